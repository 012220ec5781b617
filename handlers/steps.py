"""The conversation steps of every flow, declared once, and the one place that shows a
step again.

A flow declares its steps with `declare(Flow(...))`: for each step the screen that shows
it (from the flow state alone, so it can be shown again at any time), where its Back
button leads, and what typed input it accepts (text, a shared contact). Everything else
is handled here the same way for every flow: a typed word where buttons were expected,
a sticker, a command mid-flow or an old button says so and shows the step again
(`reshow`, `stale`); Back goes to the declared step (`back`); typed input reaches the
step waiting for it (`register`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardMarkup, Message, ReplyKeyboardMarkup, Update
from telegram.ext import MessageHandler, filters

from handlers.context import CURRENT_SCOPE, ClinicApp, ClinicContext
from handlers.navigation import menu_keyboard
from handlers.replies import answer_button, send, show

Screen = tuple[str, InlineKeyboardMarkup | ReplyKeyboardMarkup]
# Builds a step's screen from the flow state; None when the step cannot be shown (its
# answers are missing, its day is full now): the flow's `otherwise` is shown instead.
ScreenOf = Callable[[ClinicContext], Awaitable[Screen | None]]
Handler = Callable[[Update, ClinicContext], Coroutine[Any, Any, None]]
# Where Back leads: a step, or a function of the state choosing one (None: nowhere).
BackTo = str | Callable[[ClinicContext], str | None]


@dataclass(frozen=True)
class Step:
    screen: ScreenOf
    back: BackTo | None = None
    text: Handler | None = None  # typed text this step reads; else the fallback answers
    contact: Handler | None = None  # a contact shared with Telegram's button


@dataclass(frozen=True)
class Flow:
    name: str
    steps: Mapping[str, Step]
    # Shown when the flow is at a step it did not declare, or whose screen is None; it
    # may move the flow (to the step it shows). Without it the patient gets the menu.
    otherwise: ScreenOf | None = None


_FLOWS: dict[str, Flow] = {}


def declare(flow: Flow) -> Flow:
    """Registers a flow's steps; a module declares its flow once, at import."""
    _FLOWS[flow.name] = flow
    return flow


def declared(name: str | None) -> Flow | None:
    return _FLOWS.get(name or "")


def at(context: ClinicContext, flow: str, *steps: str) -> bool:
    """Whether the patient is at one of these steps of `flow`."""
    return context.flow.name == flow and context.flow.step in steps


def _current(context: ClinicContext) -> tuple[Flow, Step | None] | None:
    flow = declared(context.flow.name)
    if flow is None:
        return None
    return flow, flow.steps.get(context.flow.step or "")


async def show_step(update: Update, context: ClinicContext, *, edit: bool = True) -> None:
    """Shows the step the flow is at: in place after a button (`edit`), as a new message
    otherwise; the flow's `otherwise` when the step cannot be shown; else the menu."""
    found = _current(context)
    screen: Screen | None = None
    if found is not None:
        flow, step = found
        if step is not None:
            screen = await step.screen(context)
        if screen is None and flow.otherwise is not None:
            screen = await flow.otherwise(context)
    if screen is None:
        context.flow.reset()
        screen = context.text("menu.prompt"), menu_keyboard(context)
    text, keyboard = screen
    # A reply keyboard (Telegram's share-contact button) only comes with a new message.
    if not edit or isinstance(keyboard, ReplyKeyboardMarkup):
        await send(update, context, text, keyboard)
    else:
        await show(update, context, text, keyboard)


async def reshow(update: Update, context: ClinicContext, notice: str) -> None:
    """Says `notice`, then shows where the patient was: their flow's step, or the menu."""
    if declared(context.flow.name) is None:
        context.flow.reset()
        text = f"{notice}\n\n{context.text('menu.prompt')}"
        await send(update, context, text, menu_keyboard(context))
        return
    await send(update, context, notice)
    await show_step(update, context, edit=False)


async def stale(update: Update, context: ClinicContext, notice: str | None = None) -> None:
    """A button of a step the patient is no longer at (or forged): say so, change
    nothing, and show where the patient is."""
    notice = notice or context.text("fallback.old_button")
    await answer_button(update, context, notice)
    await reshow(update, context, notice)


def back_target(context: ClinicContext) -> str | None:
    """Where Back leads from the step the patient is at; None if nowhere."""
    found = _current(context)
    if found is None or found[1] is None or found[1].back is None:
        return None
    back = found[1].back
    return back if isinstance(back, str) else back(context)


def back(flow: str) -> Handler:
    """The Back button of `flow`: one step back as declared, or stale when the patient
    is not at a step of this flow with somewhere to go back to."""

    async def go_back(update: Update, context: ClinicContext) -> None:
        target = back_target(context) if context.flow.name == flow else None
        if target is None:
            await stale(update, context)
            return
        context.flow.step = target
        await show_step(update, context)

    go_back.__doc__ = f"Back in the {flow} flow."
    return go_back


def _expecting(message: Message, kind: str) -> Handler | None:
    scope = CURRENT_SCOPE.get()
    flow = declared(scope.flow.name) if scope is not None else None
    if scope is None or flow is None:
        return None
    step = flow.steps.get(scope.flow.step or "")
    return getattr(step, kind) if step is not None else None


class _Expects(filters.MessageFilter):
    """Lets a message through only while the patient's step reads that kind of input.

    Filters run inside the update's transaction, so the flow state read at its start
    decides: typed text goes to the step waiting for it, or else to the fallback.
    """

    def __init__(self, kind: str) -> None:
        super().__init__(name=f"Expects({kind})")
        self._kind = kind

    def filter(self, message: Message) -> bool:
        return _expecting(message, self._kind) is not None


async def _typed(update: Update, context: ClinicContext) -> None:
    message = update.message
    assert message is not None
    handler = _expecting(message, "contact" if message.contact else "text")
    assert handler is not None  # the filter let it through
    await handler(update, context)


def register(application: ClinicApp) -> None:
    """Sends typed input to the step waiting for it: after the flows' buttons and
    commands, before the fallback's catch-alls."""
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    text = private & filters.TEXT & ~filters.COMMAND & _Expects("text")
    contact = private & filters.CONTACT & _Expects("contact")
    application.add_handlers([MessageHandler(text, _typed), MessageHandler(contact, _typed)])
