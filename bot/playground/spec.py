"""Checks Bot API requests against the published specification (api.min.json)."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

# A copy of the Bot API specification (PaulSonOfLars/telegram-bot-api-spec, MIT licence:
# API-SPEC-LICENSE beside it), shipped with the package so a clone needs nothing beside it.
SPEC_PATH = Path(__file__).with_name("api.min.json")

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64

# Tags Telegram accepts with parse_mode=HTML.
_HTML_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
    "tg-time",
}


class HtmlError(ValueError):
    pass


class _Plain(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag not in _HTML_TAGS:
            raise HtmlError(f'can\'t parse entities: Unsupported start tag "{tag}"')
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            raise HtmlError(f'can\'t parse entities: Unmatched end tag "{tag}"')

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(text: str, parse_mode: str | None) -> str:
    """What the patient sees: the text after Telegram parsed its formatting."""
    if (parse_mode or "").upper() != "HTML":
        return text
    parser = _Plain()
    parser.feed(text)
    parser.close()
    if parser.open:
        raise HtmlError(f'can\'t parse entities: Unclosed start tag "{parser.open[-1]}"')
    return "".join(parser.parts)


class Spec:
    def __init__(self, path: Path = SPEC_PATH) -> None:
        data = json.loads(path.read_text())
        self.version: str = data["version"]
        self.methods: dict[str, Any] = data["methods"]

    def check(self, method: str, params: dict[str, Any]) -> list[str]:
        """Every way the request breaks the specification; empty when it is valid."""
        spec = self.methods.get(method)
        if spec is None:
            return [f"unknown method {method}"]
        fields = {field["name"]: field for field in spec.get("fields", [])}
        problems = [f"{method}: unknown parameter {name}" for name in params if name not in fields]
        problems += [
            f"{method}: missing required parameter {name}"
            for name, field in fields.items()
            if field["required"] and name not in params
        ]
        for name, value in params.items():
            if name in fields:
                problems += self._check_value(method, name, fields[name]["types"], value)
        problems += self._check_limits(method, params)
        return problems

    def _check_value(self, method: str, name: str, types: list[str], value: Any) -> list[str]:
        if not isinstance(value, str):
            return []  # an uploaded file
        for kind in types:
            if kind == "String" or kind == "InputFile":
                return []
            if kind == "Integer" and _parses(int, value):
                return []
            if kind == "Float" and _parses(float, value):
                return []
            if kind == "Boolean" and value in ("true", "false"):
                return []
            if kind not in ("Integer", "Float", "Boolean") and _is_json_object(value, kind):
                return []
        return [f"{method}: {name}={value[:60]!r} is not {' or '.join(types)}"]

    def _check_limits(self, method: str, params: dict[str, Any]) -> list[str]:
        problems = []
        parse_mode = params.get("parse_mode")
        for name, limit in (("text", MAX_TEXT), ("caption", MAX_CAPTION)):
            if name in params and isinstance(params[name], str):
                try:
                    length = len(plain_text(params[name], parse_mode))
                except HtmlError as exc:
                    problems.append(f"{method}: {exc}")
                    continue
                if not (name == "caption" or length >= 1) or length > limit:
                    problems.append(f"{method}: {name} is {length} characters (limit {limit})")
        markup = params.get("reply_markup")
        if isinstance(markup, str):
            problems += _check_keyboard(method, json.loads(markup))
        return problems


def _check_keyboard(method: str, markup: dict[str, Any]) -> list[str]:
    problems = []
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if not button.get("text"):
                problems.append(f"{method}: a button has no text")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
                problems.append(f"{method}: callback_data {data!r} is not 1-64 bytes")
    return problems


def _parses(convert: Any, value: str) -> bool:
    try:
        convert(value)
    except ValueError:
        return False
    return True


def _is_json_object(value: str, kind: str) -> bool:
    try:
        parsed = json.loads(value)
    except ValueError:
        return False
    return isinstance(parsed, list) if kind.startswith("Array of") else isinstance(parsed, dict)
