"""What a handler can reach: the update's transaction scope and the bot's services
(services.context, built by bot/). bot.scope opens and closes the scope."""

from __future__ import annotations

import enum
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeAlias

from sqlalchemy.ext.asyncio import AsyncSession
from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from clinic.content import Content
from clinic.conversation import Flow, LogEntry
from clinic.when import Dates
from handlers.outgoing import Outgoing
from services.context import Services


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
    # The patient's language (a content folder); None: not a patient's update, so the
    # staff group's language.
    language: str | None = None
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


class ClinicContext(CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """CallbackContext with typed access to the services and the update's scope."""

    @property
    def services(self) -> Services:
        services: Services = self.bot_data["services"]
        return services

    @property
    def content(self) -> Content:
        """The content in the language of whoever this update is from."""
        scope = CURRENT_SCOPE.get()
        language = scope.language if scope is not None else None
        if language is None:
            return self.services.for_staff
        return self.services.content.speaking(language)

    @property
    def dates(self) -> Dates:
        """Dates and times in that language, in the clinic's zone."""
        return self.content.dates(self.services.zone)

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


# The Application the bot builds (bot.app) and the flows register their handlers on.
ClinicApp: TypeAlias = Application[
    ExtBot[Any],
    ClinicContext,
    dict[Any, Any],
    dict[Any, Any],
    dict[Any, Any],
    JobQueue[ClinicContext],
]
