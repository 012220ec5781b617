"""Anything no flow expected: a clear answer and the way back, never silence."""

from __future__ import annotations

import logging
import re

from telegram import Update
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    MessageHandler,
    filters,
)

from handlers import steps, triage
from handlers.callbacks import STAFF
from handlers.context import CURRENT_SCOPE, ClinicApp, ClinicContext, Outcome
from handlers.navigation import back_to_menu
from handlers.replies import answer_button, send
from services import errors as database_errors

log = logging.getLogger(__name__)

# New messages only: answering an edit of an old message would reply out of order.
PATIENT_MESSAGE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE


async def unknown_command(update: Update, context: ClinicContext) -> None:
    """Points to /help and shows where the patient was."""
    await steps.reshow(update, context, context.text("fallback.unknown_command"))


async def photo(update: Update, context: ClinicContext) -> None:
    """Explains that photos (of skin, most likely) are not read here."""
    await steps.reshow(update, context, context.text("fallback.photo"))


async def free_text(update: Update, context: ClinicContext) -> None:
    """Answers typed text where buttons were expected: a warning sign gets the call-the-
    clinic answer (handlers.triage); anything else, the step again."""
    if await triage.typed_signs(update, context):
        return
    key = "fallback.text" if context.flow.name else "fallback.text_no_flow"
    await steps.reshow(update, context, context.text(key))


async def other_media(update: Update, context: ClinicContext) -> None:
    """Answers stickers, voice notes, files and the like."""
    await steps.reshow(update, context, context.text("fallback.media"))


async def old_button(update: Update, context: ClinicContext) -> None:
    """Answers a button no handler knows (an old message, or forged data)."""
    notice = context.text("fallback.old_button")
    await answer_button(update, context, notice)
    chat = update.effective_chat
    if chat is not None and chat.type == "private":
        await steps.reshow(update, context, notice)


async def button_outside_its_chat(update: Update, context: ClinicContext) -> None:
    """A patient's button pressed outside a private chat (forged, or forwarded into the
    staff group): nothing happens, whatever its data names. Patients' buttons act only
    for the patient whose private chat they are in; staff buttons check their group."""
    chat = update.effective_chat
    if chat is None or chat.type == "private":
        return  # for the flows to handle
    await answer_button(update, context, context.text("fallback.private_only"))
    raise ApplicationHandlerStop


async def edited_message(update: Update, context: ClinicContext) -> None:
    """An edit of a message sent earlier, in any chat: nothing happens, whatever it now
    says. Editing is not sending: an old message turned into /forget or /book hours
    later must not run it far from what the chat shows now (python-telegram-bot's
    command handlers take edits too), and answering an edited text would reply out of
    order. A patient who wants the command sends it, as the menu and /help show."""
    log.debug("edited message ignored update_id=%s", update.update_id)
    raise ApplicationHandlerStop


async def on_error(update: object, context: ClinicContext) -> None:
    """Rolls the update back; apologises for our bugs, retries when the database failed.

    Handlers never call Telegram (their replies are sent after the commit), so an error
    here is either the database going away, which the update waits out, or a bug.
    """
    error = context.error
    scope = CURRENT_SCOPE.get()
    update_id = update.update_id if isinstance(update, Update) else None
    if scope is None:
        log.error("error outside an update update_id=%s", update_id, exc_info=error)
        return
    if database_errors.passes(error):
        scope.outcome = Outcome.RETRY
        log.warning(
            "database unavailable, update will be retried update_id=%s error=%s",
            update_id,
            type(error).__name__,
        )
        # No later handler group may act on an update that will be rolled back.
        raise ApplicationHandlerStop
    scope.outcome = Outcome.FAILED
    log.error("handler failed update_id=%s", update_id, exc_info=error)
    # Whatever the failed handler meant to say is dropped with its changes.
    scope.replies.clear()
    if (
        isinstance(update, Update)
        and update.effective_chat
        and update.effective_chat.type == "private"
    ):
        await send(update, context, context.text("fallback.error"), back_to_menu(context))
    raise ApplicationHandlerStop


def register_guard(application: ClinicApp) -> None:
    """Registers what runs before every flow (handler group -1)."""
    patient_button = f"^(?!{re.escape(STAFF)})"
    application.add_handlers(
        [
            MessageHandler(filters.UpdateType.EDITED, edited_message),
            CallbackQueryHandler(button_outside_its_chat, pattern=patient_button),
        ],
        group=-1,
    )


def register(application: ClinicApp) -> None:
    """Registers the catch-alls; they must come after every flow's handlers."""
    application.add_handlers(
        [
            MessageHandler(PATIENT_MESSAGE & filters.COMMAND, unknown_command),
            MessageHandler(PATIENT_MESSAGE & filters.PHOTO, photo),
            MessageHandler(PATIENT_MESSAGE & filters.TEXT, free_text),
            MessageHandler(PATIENT_MESSAGE, other_media),
            CallbackQueryHandler(old_button),
        ]
    )
    application.add_error_handler(on_error)
