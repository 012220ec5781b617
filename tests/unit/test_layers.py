"""The layers import only downwards: bot -> handlers -> services -> (clinic, db).

Read from the source with `ast` (every import, also those inside functions or under
TYPE_CHECKING), so a shortcut fails here rather than in review. docs/architecture.md
says what goes in each layer.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("bot", "handlers", "services", "clinic", "db")


def sources() -> Iterator[Path]:
    for layer in LAYERS:
        yield from sorted((ROOT / layer).rglob("*.py"))


def package_of(path: Path) -> str:
    """The dotted package a module belongs to, for its relative imports."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts if parts[-1] == "__init__" else parts[:-1]).removesuffix(".__init__")


def imported(path: Path) -> set[str]:
    """Every module a file imports, absolute and dotted."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package_of(path).split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, module] if module else base)
            # `from db import outbox` counts as db: the top package is what the rules name.
            names.add(module)
    return names


def top(name: str) -> str:
    return name.split(".")[0]


def where(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


# For each layer, the top-level packages it must not import.
FORBIDDEN = {
    # Wiring builds everything; nothing else imports it.
    "bot": set(),
    "handlers": {"bot", "db"},
    "services": {"telegram", "bot", "handlers"},
    # The domain: plain values and rules, no Telegram, no SQL, no storage.
    "clinic": {"telegram", "bot", "handlers", "services", "db", "sqlalchemy"},
    # Queries and models; db -> clinic only for value types.
    "db": {"telegram", "bot", "handlers", "services"},
}


def violations() -> list[tuple[str, str]]:
    found = []
    for path in sources():
        layer = where(path).split("/")[0]
        for name in sorted(imported(path)):
            if top(name) in FORBIDDEN[layer]:
                found.append((where(path), name))
    return found


def test_the_source_tree_is_read() -> None:
    files = [where(path) for path in sources()]
    assert "bot/app.py" in files and "clinic/content.py" in files and "db/models.py" in files
    assert "db.engine" in imported(ROOT / "bot" / "app.py")


def test_relative_imports_are_resolved() -> None:
    assert package_of(ROOT / "handlers" / "context.py") == "handlers"
    assert package_of(ROOT / "handlers" / "__init__.py") == "handlers"


@pytest.mark.parametrize("layer", [layer for layer in LAYERS if FORBIDDEN[layer]])
def test_layer_imports_only_downwards(layer: str) -> None:
    wrong = [(path, name) for path, name in violations() if path.startswith(f"{layer}/")]
    assert wrong == []


def test_nothing_outside_bot_imports_bot() -> None:
    # tests/ and bench/ drive the bot, so they may; the source tree may not.
    assert [(path, name) for path, name in violations() if top(name) == "bot"] == []


def test_no_telegram_below_handlers() -> None:
    below = [
        (where(path), name)
        for path in sources()
        if where(path).split("/")[0] in ("services", "clinic", "db")
        for name in imported(path)
        if top(name) == "telegram"
    ]
    assert below == []
