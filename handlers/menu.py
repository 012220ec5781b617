"""The front door: /start, the main menu, contact details, /help."""

from __future__ import annotations

import html

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from handlers.context import ClinicApp, ClinicContext
from handlers.navigation import (
    CONTACT,
    MENU,
    back_to_menu,
    menu_keyboard,
    show_menu,
)
from handlers.replies import send, send_contact_card, show

PRIVATE = filters.ChatType.PRIVATE


async def start(update: Update, context: ClinicContext) -> None:
    """Greets the patient by first name and shows the main menu."""
    user = update.effective_user
    assert user is not None
    context.flow.reset()
    greeting = context.text("menu.greeting", first_name=html.escape(user.first_name))
    await send(
        update, context, f"{greeting}\n\n{context.text('menu.prompt')}", menu_keyboard(context)
    )


async def menu(update: Update, context: ClinicContext) -> None:
    """Shows the main menu."""
    await show_menu(update, context)


def _contact_text(context: ClinicContext) -> str:
    key = "contact.with_address" if context.content.clinic.address else "contact.text"
    return context.text(key)


async def contact(update: Update, context: ClinicContext) -> None:
    """Shows the clinic's phone number, and sends it as a card to tap."""
    await show(update, context, _contact_text(context), back_to_menu(context))
    await send_contact_card(update, context)


async def help_command(update: Update, context: ClinicContext) -> None:
    """Explains the commands."""
    await send(update, context, context.text("help.text"), back_to_menu(context))


def register(application: ClinicApp) -> None:
    application.add_handlers(
        [
            CommandHandler("start", start, filters=PRIVATE),
            CommandHandler("menu", menu, filters=PRIVATE),
            CommandHandler("contact", contact, filters=PRIVATE),
            CommandHandler("help", help_command, filters=PRIVATE),
            CallbackQueryHandler(menu, pattern=f"^{MENU}$"),
            CallbackQueryHandler(contact, pattern=f"^{CONTACT}$"),
        ]
    )
