"""The main menu (each flow's steps, and showing them again: handlers.steps)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from handlers.callbacks import APPOINTMENTS, WL_JOIN, WL_LEAVE
from handlers.context import ClinicContext
from handlers.replies import show

# Callback data of the main menu's buttons.
MENU = "menu"
ABOUT = "faq"
CANDIDACY = "menu:candidacy"
BOOK = "menu:book"
AFTERCARE = "menu:aftercare"
PROBLEM = "menu:problem"
CONTACT = "menu:contact"
LANGUAGES = "menu:language"


def menu_keyboard(context: ClinicContext) -> InlineKeyboardMarkup:
    labels = [
        ("menu.about", ABOUT),
        ("menu.candidacy", CANDIDACY),
        ("menu.book", BOOK),
        ("menu.appointments", APPOINTMENTS),
        ("menu.aftercare", AFTERCARE),
        ("menu.problem", PROBLEM),
        ("menu.contact", CONTACT),
        ("menu.language", LANGUAGES),
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


def join_waitlist_button(context: ClinicContext) -> InlineKeyboardButton:
    """ "Tell me if an earlier time frees up" (handlers.waitlist), on the booking screens
    and the patient's list."""
    return InlineKeyboardButton(context.text("waitlist.join"), callback_data=WL_JOIN)


def leave_waitlist_button(context: ClinicContext) -> InlineKeyboardButton:
    return InlineKeyboardButton(context.text("waitlist.leave"), callback_data=WL_LEAVE)
