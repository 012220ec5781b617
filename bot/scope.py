"""Opening and closing an update's scope around its handlers, in its transaction: the
processor's part of handling an update (bot.processor)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from clinic.conversation import Direction, LogEntry
from db import outbox
from db.flow_states import Visitor, open_conversation, save_flow
from db.messages import add_to_log
from handlers.context import UpdateScope
from handlers.inbound import describe


def _private_patient(update: Update) -> bool:
    """Whether this update is something a patient did in their private chat with us."""
    chat, user = update.effective_chat, update.effective_user
    acted = update.message is not None or update.callback_query is not None
    return acted and chat is not None and chat.type == "private" and user is not None


# The language for someone whose Telegram is set to this language_code.
ChooseLanguage = Callable[[str | None], str]


async def open_scope(
    session: AsyncSession, update: Update, now: datetime, choose: ChooseLanguage
) -> UpdateScope:
    """Loads the patient, their language and their flow, and logs what they sent."""
    chat = update.effective_chat
    scope = UpdateScope(
        session=session,
        update_id=update.update_id,
        now=now,
        chat_id=chat.id if chat is not None else None,
    )
    if not _private_patient(update):
        return scope
    user = update.effective_user
    assert user is not None
    visitor = Visitor(
        telegram_id=user.id,
        first_name=user.first_name,
        last_name=user.last_name,
        username=user.username,
        language_code=user.language_code,
        language=choose(user.language_code),
    )
    conversation = await open_conversation(session, visitor=visitor, now=now)
    scope.patient_id, scope.flow, scope.returned = (
        conversation.patient_id,
        conversation.flow,
        conversation.returned,
    )
    scope.language = conversation.language or visitor.language
    kind, text, message_id = describe(update)
    scope.log.append(
        LogEntry(
            Direction.IN,
            kind,
            text,
            now,
            telegram_message_id=message_id,
            update_id=update.update_id,
        )
    )
    return scope


async def close_scope(scope: UpdateScope, *, claimed_until: datetime, owner: int) -> list[int]:
    """Writes the flow state, the message log and the replies in the update's
    transaction; returns the replies' outbox ids, claimed until `claimed_until` by the
    process (`owner`) that sends them after the commit."""
    if scope.patient_id is not None:
        await save_flow(scope.session, patient_id=scope.patient_id, flow=scope.flow, now=scope.now)
        said = [
            LogEntry(Direction.OUT, reply.log_kind, reply.log_text, scope.now)
            for reply in scope.replies
        ]
        entries = [*scope.log, *said]
        if scope.health_step is not None:
            entries = [replace(entry, kind=scope.health_step, text=None) for entry in entries]
        await add_to_log(
            scope.session,
            entries=[(scope.patient_id, entry) for entry in entries],
        )
    if not scope.replies or scope.chat_id is None:
        return []
    return await outbox.add_replies(
        scope.session,
        chat_id=scope.chat_id,
        patient_id=scope.patient_id,
        payloads=[reply.to_payload() for reply in scope.replies],
        now=scope.now,
        claimed_until=claimed_until,
        owner=owner,
    )
