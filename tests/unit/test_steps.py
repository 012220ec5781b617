"""handlers.steps, the one conversation-step helper: a flow's declared steps decide what
is shown again, where Back leads, and which step reads typed input."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from telegram import InlineKeyboardMarkup, ReplyKeyboardMarkup

from clinic.conversation import Flow
from handlers import steps
from handlers.context import ClinicContext

FLOW = "test_flow"
NO_BUTTONS = InlineKeyboardMarkup([])


@dataclass
class Context:
    """What the helper reads of a ClinicContext: the flow, and a text for the menu."""

    flow: Flow = field(default_factory=Flow)

    def text(self, key: str, **values: str) -> str:
        return key


def context_at(step: str | None, flow: str = FLOW, **data: Any) -> ClinicContext:
    return cast(ClinicContext, Context(Flow(flow, step, dict(data))))


async def _first(context: ClinicContext) -> steps.Screen:
    return "first", NO_BUTTONS


async def _second(context: ClinicContext) -> steps.Screen | None:
    return None if context.flow.data.get("missing") else ("second", NO_BUTTONS)


async def _reply(context: ClinicContext) -> steps.Screen:
    return "type it", ReplyKeyboardMarkup([["Back"]])


async def _first_again(context: ClinicContext) -> steps.Screen:
    context.flow.step = "first"
    return "first", NO_BUTTONS


async def _typed(update: Any, context: ClinicContext) -> None:
    pass


@pytest.fixture(autouse=True)
def declared() -> Iterator[None]:
    steps.declare(
        steps.Flow(
            FLOW,
            {
                "first": steps.Step(_first),
                "second": steps.Step(
                    _second,
                    back=lambda c: None if c.flow.data.get("no_back") else "first",
                ),
                "typing": steps.Step(_reply, back="second", text=_typed),
            },
            otherwise=_first_again,
        )
    )
    yield
    steps._FLOWS.pop(FLOW)


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, object]]:
    """What show_step put on screen: ("show" in place, or "send" as a new message)."""
    calls: list[tuple[str, str, object]] = []

    async def show(update: object, context: object, text: str, keyboard: object) -> None:
        calls.append(("show", text, keyboard))

    async def send(update: object, context: object, text: str, keyboard: object) -> None:
        calls.append(("send", text, keyboard))

    monkeypatch.setattr(steps, "show", show)
    monkeypatch.setattr(steps, "send", send)
    return calls


def test_back_leads_where_the_step_declares() -> None:
    assert steps.back_target(context_at("typing")) == "second"
    assert steps.back_target(context_at("second")) == "first"
    assert steps.back_target(context_at("second", no_back=True)) is None
    assert steps.back_target(context_at("first")) is None  # no Back declared
    assert steps.back_target(context_at("nowhere")) is None
    assert steps.back_target(context_at("first", flow="undeclared")) is None


def test_at_names_the_flow_and_its_steps() -> None:
    assert steps.at(context_at("first"), FLOW, "first", "second")
    assert not steps.at(context_at("first"), FLOW, "second")
    assert not steps.at(context_at("first", flow="other"), FLOW, "first")


async def test_a_step_is_shown_in_place_or_as_a_new_message(shown: list[Any]) -> None:
    await steps.show_step(cast(Any, None), context_at("second"))
    await steps.show_step(cast(Any, None), context_at("second"), edit=False)
    assert shown == [("show", "second", NO_BUTTONS), ("send", "second", NO_BUTTONS)]


async def test_a_reply_keyboard_always_comes_with_a_new_message(shown: list[Any]) -> None:
    await steps.show_step(cast(Any, None), context_at("typing"))
    assert shown[0][:2] == ("send", "type it")


async def test_a_step_that_cannot_be_shown_falls_back_to_otherwise(shown: list[Any]) -> None:
    for context in (context_at("second", missing=True), context_at("gone")):
        await steps.show_step(cast(Any, None), context)
        assert context.flow.step == "first"
    assert [text for _, text, _ in shown] == ["first", "first"]


async def test_a_flow_nobody_declared_shows_the_menu(shown: list[Any]) -> None:
    context = context_at("anything", flow="undeclared")
    await steps.show_step(cast(Any, None), context)
    assert context.flow.name is None and shown[0][1] == "menu.prompt"
