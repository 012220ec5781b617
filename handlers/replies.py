"""Sending and editing messages, each one logged in the update's transaction."""

from __future__ import annotations

from telegram import (
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest

from db.messages import Direction, LogEntry
from handlers.context import ClinicContext


def log_sent(context: ClinicContext, kind: str, message: Message) -> None:
    """Adds a message the bot sent to the patient's conversation log."""
    scope = context.scope
    text = message.text if message.text is not None else message.caption
    if message.contact is not None:
        text = message.contact.phone_number
    scope.log.append(
        LogEntry(Direction.OUT, kind, text, scope.now, telegram_message_id=message.message_id)
    )


async def answer_button(update: Update, context: ClinicContext, text: str | None = None) -> None:
    """Stops the button's spinner, optionally with a short notice; once per update."""
    query = update.callback_query
    if query is None or context.scope.button_answered:
        return
    context.scope.button_answered = True
    await query.answer(text)


async def send(
    update: Update,
    context: ClinicContext,
    text: str,
    keyboard: InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None = None,
) -> Message:
    """Sends a new message to the chat the update came from."""
    await answer_button(update, context)
    chat = update.effective_chat
    assert chat is not None
    message = await context.bot.send_message(
        chat.id, text, parse_mode=ParseMode.HTML, reply_markup=keyboard
    )
    log_sent(context, "text", message)
    return message


async def show(
    update: Update,
    context: ClinicContext,
    text: str,
    keyboard: InlineKeyboardMarkup | None = None,
) -> None:
    """Replaces the message whose button was pressed, or sends a new one.

    Editing in place keeps the chat short when a patient browses by buttons.
    """
    query = update.callback_query
    if query is not None and isinstance(query.message, Message):
        await answer_button(update, context)
        try:
            edited = await query.edit_message_text(
                text, parse_mode=ParseMode.HTML, reply_markup=keyboard
            )
        except BadRequest as exc:
            # A second tap on the same button changes nothing; that is fine.
            if "not modified" in exc.message.lower():
                return
            # Otherwise the message is gone or too old to edit: send a fresh one.
        else:
            if isinstance(edited, Message):
                log_sent(context, "edit", edited)
            return
    await send(update, context, text, keyboard)


async def send_contact_card(update: Update, context: ClinicContext) -> None:
    """Sends the clinic's number as a contact card: one tap to call or save it."""
    chat = update.effective_chat
    assert chat is not None
    clinic = context.content.clinic
    name = clinic.name[:1].upper() + clinic.name[1:]
    message = await context.bot.send_contact(
        chat.id, phone_number=clinic.phone_e164, first_name=name
    )
    log_sent(context, "contact_card", message)
