"""What a handler can reach: the update's transaction scope and the bot's services."""

from __future__ import annotations

import enum
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import CallbackContext, ExtBot

from clinic.clock import Clock
from clinic.content import Content
from db import outbox
from db.engine import Database
from db.flow_states import Flow, Visitor, open_conversation, save_flow
from db.messages import Direction, LogEntry, add_to_log
from db.retention import Retention
from handlers.inbound import describe
from handlers.outgoing import Outgoing


class Outcome(enum.Enum):
    DONE = "done"
    # A bug in a handler: its changes are rolled back, the update counts as handled.
    FAILED = "failed"
    # The database failed: roll back and let the update come again.
    RETRY = "retry"
    # The update id was handled before; nothing ran.
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class ButtonAnswer:
    """The answer to a pressed button: stops its spinner, maybe with a short notice."""

    query_id: str
    text: str | None


@dataclass
class UpdateScope:
    """Everything one update reads and writes inside its single transaction."""

    session: AsyncSession
    update_id: int
    now: datetime
    # The chat the update came from, where replies go.
    chat_id: int | None = None
    patient_id: int | None = None
    flow: Flow = field(default_factory=Flow)
    log: list[LogEntry] = field(default_factory=list)
    # What the handlers said back, in order; sent once the transaction committed.
    replies: list[Outgoing] = field(default_factory=list)
    # Their outbox rows, once written.
    reply_ids: list[int] = field(default_factory=list)
    button: ButtonAnswer | None = None
    outcome: Outcome = Outcome.DONE
    # The patient writes again after having blocked the bot (handlers.welcome_back).
    returned: bool = False
    # Set by a handler whose step is about the patient's health (a pre-screen answer, an
    # aftercare check-in, a warning sign): the message log then keeps only that such a
    # step happened (this word as its kind), never the question, the answer or the text.
    health_step: str | None = None


CURRENT_SCOPE: ContextVar[UpdateScope | None] = ContextVar("clinic_update_scope", default=None)


@dataclass
class StaffChat:
    """The staff group's chat id: Telegram gives a group a new one when it becomes a
    supergroup, and the bot follows (bot.staff_chat) without a restart."""

    id: int | None


@dataclass
class StaffRoster:
    """Who may act as clinic staff: the staff group's administrators or STAFF_USER_IDS.

    Being in the group is not enough (anyone can be added to a group). Telegram's list
    of administrators is kept in memory: no Bot API call may wait inside an update's
    transaction, so bot.staff_admins fetches it outside one, at start and every few
    minutes, and a chat_member update about the group changes it at once.
    """

    listed: frozenset[int] = frozenset()
    admins: frozenset[int] = frozenset()
    # When the list was last fetched (the clock's time); None: never.
    fetched_at: datetime | None = None
    # Set when the group's membership changed in a way a fetch should confirm.
    stale: bool = False
    # Whether the last fetch failed (its error is logged once).
    failing: bool = False

    def allows(self, user_id: int) -> bool:
        return user_id in self.listed or user_id in self.admins

    def promoted(self, user_id: int, admin: bool) -> None:
        """A chat_member update: the user became an administrator, or stopped being one."""
        self.admins = self.admins | {user_id} if admin else self.admins - {user_id}


@dataclass(frozen=True)
class Services:
    """Long-lived objects shared by all handlers, kept in bot_data."""

    content: Content
    database: Database
    clock: Clock
    zone: ZoneInfo
    staff_chat: StaffChat
    # Whether staff confirm each booking; if not, bookings are confirmed at once.
    staff_confirm: bool
    # How long each kind of personal data is kept (the *_RETENTION_DAYS settings).
    retention: Retention = field(default_factory=Retention)
    staff: StaffRoster = field(default_factory=StaffRoster)

    @property
    def staff_chat_id(self) -> int | None:
        return self.staff_chat.id


def _private_patient(update: Update) -> bool:
    """Whether this update is something a patient did in their private chat with us."""
    chat, user = update.effective_chat, update.effective_user
    acted = update.message is not None or update.callback_query is not None
    return acted and chat is not None and chat.type == "private" and user is not None


async def open_scope(session: AsyncSession, update: Update, now: datetime) -> UpdateScope:
    """Loads the patient and their flow, and logs what they sent."""
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
    )
    scope.patient_id, scope.flow, scope.returned = await open_conversation(
        session, visitor=visitor, now=now
    )
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


class ClinicContext(CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """CallbackContext with typed access to the services and the update's scope."""

    @property
    def services(self) -> Services:
        services: Services = self.bot_data["services"]
        return services

    @property
    def content(self) -> Content:
        return self.services.content

    @property
    def scope(self) -> UpdateScope:
        scope = CURRENT_SCOPE.get()
        if scope is None:
            raise RuntimeError("a handler ran outside an update's transaction")
        return scope

    @property
    def session(self) -> AsyncSession:
        return self.scope.session

    @property
    def flow(self) -> Flow:
        return self.scope.flow

    def text(self, key: str, **values: str) -> str:
        return self.content.texts(key, **values)
