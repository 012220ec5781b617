"""What a handler says back: recorded in the update's scope, sent after it commits.

Nothing here talks to Telegram. The processor writes the recorded messages to the
outbox in the update's transaction and hands them to the sender once it committed,
so a handler's transaction never waits on the network, and a crash between the
commit and the send loses nothing (the outbox row is sent after the restart).
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message, Update

from handlers.context import ButtonAnswer, ClinicContext
from handlers.outgoing import Keyboard, Outgoing

# Telegram shows at most 200 characters in a button's notice.
NOTICE_LENGTH = 200


async def answer_button(update: Update, context: ClinicContext, text: str | None = None) -> None:
    """Stops the button's spinner, optionally with a short notice; the first call counts."""
    query = update.callback_query
    scope = context.scope
    if query is None or scope.button is not None:
        return
    scope.button = ButtonAnswer(query.id, text[:NOTICE_LENGTH] if text else None)


def _reply(context: ClinicContext, message: Outgoing) -> None:
    context.scope.replies.append(message)


async def send(
    update: Update,
    context: ClinicContext,
    text: str,
    keyboard: Keyboard | None = None,
) -> None:
    """Sends a new message to the chat the update came from."""
    await answer_button(update, context)
    _reply(context, Outgoing(text, keyboard))


async def show(
    update: Update,
    context: ClinicContext,
    text: str,
    keyboard: InlineKeyboardMarkup | None = None,
) -> None:
    """Replaces the message whose button was pressed, or sends a new one.

    Editing in place keeps the chat short when a patient browses by buttons. If the
    message can no longer be edited (too old, deleted), the sender sends it anew.
    """
    await answer_button(update, context)
    query = update.callback_query
    pressed = query.message if query is not None else None
    edit = pressed.message_id if isinstance(pressed, Message) else None
    _reply(context, Outgoing(text, keyboard, edit=edit))


async def edit(
    context: ClinicContext, message_id: int, text: str, keyboard: Keyboard | None
) -> None:
    """Replaces a message of the bot in this chat that the update did not come from
    (a card, after a reply to another message); sent anew if it can't be edited."""
    _reply(context, Outgoing(text, keyboard, edit=message_id))


async def send_document(
    update: Update, context: ClinicContext, name: str, data: bytes, caption: str
) -> None:
    """Sends a file (a calendar entry, an export) with a caption."""
    await answer_button(update, context)
    _reply(context, Outgoing(caption, document=(name, data)))


async def send_contact_card(update: Update, context: ClinicContext) -> None:
    """Sends the clinic's number as a contact card: one tap to call or save it."""
    clinic = context.content.clinic
    name = clinic.name[:1].upper() + clinic.name[1:]
    _reply(context, Outgoing(contact=(clinic.phone_e164, name)))


# What the message log calls a health step, in place of its words (bot.scope).
PRESCREEN_STEP = "prescreen"
CHECKIN_STEP = "checkin"
WARNING_SIGN_STEP = "warning_sign"
HEALTH_STEPS = (PRESCREEN_STEP, CHECKIN_STEP, WARNING_SIGN_STEP)


def health_step(context: ClinicContext, kind: str) -> None:
    """This update is a step about the patient's health: its messages in and out are
    logged as `kind` only, without the question, the answer or what was typed."""
    context.scope.health_step = kind
