"""The clinician's note on a planned treatment, from the consultation's staff card.

Telegram has no text field on a button: "📝 Add a note" makes the bot post a question
with a ForceReply aimed at the staff member who pressed (a mention makes it selective),
and their reply in the group is the note. The question ends with the consultation's id
and the card's message id, which the reply carries back (Telegram includes the message
replied to), so that no state waits between the two updates; only a message of this
bot is read that way.
"""

from __future__ import annotations

import html
import re

from telegram import ForceReply, Message, Update

from clinic.treatment import NOTE_LENGTH
from handlers.callbacks import staff_card_id
from handlers.context import ClinicContext
from handlers.notices import staff_card
from handlers.replies import edit, send
from handlers.staff.access import (
    actor,
    button_data,
    in_staff_chat,
    is_staff,
    not_allowed,
    refuse,
    staff_press,
)
from handlers.staff.cards import show_result
from services import treatment
from services.appointments import Done, Gone

# The question's last line: "🔖 <consultation id>/<card message id>".
_REFERENCE = re.compile(r"🔖\D*(\d{1,18})/(\d{1,18})\s*$")


async def ask_note(update: Update, context: ClinicContext) -> None:
    """The card's note button: a question the staff member replies to."""
    if not staff_press(update, context):
        await not_allowed(update, context)
        return
    found = await treatment.noteable(
        context.session, appointment_id=staff_card_id(button_data(update))
    )
    if isinstance(found, Gone):
        await show_result(update, context, found, "staff.done")
        return
    query = update.callback_query
    assert query is not None
    card = query.message.message_id if isinstance(query.message, Message) else 0
    user = query.from_user
    texts = context.text
    question = texts(
        "outcome.note_ask",
        staff=f'<a href="tg://user?id={user.id}">{html.escape(user.full_name)}</a>',
        most=str(NOTE_LENGTH),
        reference=f"{found.id}/{card}",
    )
    placeholder = texts("outcome.note_placeholder")
    await send(
        update,
        context,
        question,
        ForceReply(selective=True, input_field_placeholder=placeholder[:64]),
    )


def _asked(update: Update, context: ClinicContext) -> tuple[int, int] | None:
    """The consultation and card a message replies about, if it replies to our question."""
    message = update.effective_message
    asked = message.reply_to_message if message is not None else None
    if asked is None or asked.from_user is None or asked.from_user.id != context.bot.id:
        return None
    found = _REFERENCE.search(asked.text or "")
    if found is None:
        return None
    return int(found.group(1)), int(found.group(2))


async def note_reply(update: Update, context: ClinicContext) -> None:
    """A reply in the staff group to the bot's question: the note, if staff wrote it."""
    if not in_staff_chat(update, context) or (asked := _asked(update, context)) is None:
        return  # a reply to something else: not ours to answer
    if not is_staff(update, context):
        await refuse(update, context)
        return
    appointment_id, card = asked
    message = update.effective_message
    assert message is not None
    if message.text is None:
        await send(update, context, context.text("outcome.note_text_only"))
        return
    result = await treatment.add_note(
        context.session,
        actor(update),
        appointment_id=appointment_id,
        note=message.text,
        now=context.scope.now,
    )
    match result:
        case treatment.NoteEmpty():
            await send(update, context, context.text("outcome.note_text_only"))
        case treatment.NoteTooLong(length):
            text = context.text("outcome.note_too_long", most=str(NOTE_LENGTH), length=str(length))
            await send(update, context, text)
        case Gone():
            await send(update, context, context.text("outcome.note_gone"))
        case Done(appointment):
            await send(update, context, context.text("outcome.note_saved"))
            text, keyboard = await staff_card(
                context.session, context.services, appointment, context.scope.now
            )
            if card:
                await edit(context, card, text, keyboard)
            else:
                await send(update, context, text, keyboard)
