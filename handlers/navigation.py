"""The main menu, and how each flow shows its current step again after a detour."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import filters

from handlers.callbacks import APPOINTMENTS
from handlers.context import CURRENT_SCOPE, ClinicContext
from handlers.replies import send, show

# Callback data of the main menu's buttons.
MENU = "menu"
ABOUT = "faq"
CANDIDACY = "menu:candidacy"
BOOK = "menu:book"
AFTERCARE = "menu:aftercare"
PROBLEM = "menu:problem"
CONTACT = "menu:contact"

Reshow = Callable[[Update, ClinicContext], Awaitable[None]]
# flow name -> how to show its current step again as a new message
_RESHOW: dict[str, Reshow] = {}


def reshows(flow: str) -> Callable[[Reshow], Reshow]:
    """Registers how a flow shows its current step again (after a typed word, say)."""

    def register(function: Reshow) -> Reshow:
        _RESHOW[flow] = function
        return function

    return register


def menu_keyboard(context: ClinicContext) -> InlineKeyboardMarkup:
    labels = [
        ("menu.about", ABOUT),
        ("menu.candidacy", CANDIDACY),
        ("menu.book", BOOK),
        ("menu.appointments", APPOINTMENTS),
        ("menu.aftercare", AFTERCARE),
        ("menu.problem", PROBLEM),
        ("menu.contact", CONTACT),
    ]
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(context.text(key), callback_data=data)] for key, data in labels]
    )


def back_to_menu_button(context: ClinicContext) -> InlineKeyboardButton:
    return InlineKeyboardButton(context.text("menu.back_to_menu"), callback_data=MENU)


def back_to_menu(context: ClinicContext) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[back_to_menu_button(context)]])


async def show_menu(update: Update, context: ClinicContext, intro: str | None = None) -> None:
    """Leaves any flow and shows the main menu, in place when a button was pressed."""
    context.flow.reset()
    text = context.text("menu.prompt")
    if intro:
        text = f"{intro}\n\n{text}"
    await show(update, context, text, menu_keyboard(context))


async def reshow_current_step(update: Update, context: ClinicContext, notice: str) -> None:
    """Says `notice`, then shows where the patient was: their flow's step, or the menu."""
    reshow = _RESHOW.get(context.flow.name or "")
    if reshow is None:
        context.flow.reset()
        await send(
            update, context, f"{notice}\n\n{context.text('menu.prompt')}", menu_keyboard(context)
        )
        return
    await send(update, context, notice)
    await reshow(update, context)


class AtStep(filters.MessageFilter):
    """Lets a message through only while the patient is at one of these steps of a flow.

    Filters run inside the update's transaction, so the flow state read at its start
    decides: typed text goes to the step waiting for it, or else to the fallback.
    """

    def __init__(self, flow: str, *steps: str) -> None:
        super().__init__(name=f"AtStep({flow}, {', '.join(steps)})")
        self._flow, self._steps = flow, steps

    def filter(self, message: Message) -> bool:
        scope = CURRENT_SCOPE.get()
        return (
            scope is not None and scope.flow.name == self._flow and scope.flow.step in self._steps
        )
