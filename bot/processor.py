"""Handles each update in one database transaction, then sends its replies.

The update id is claimed, the patient and their flow state read, the handlers run,
and the flow state, the message log and the replies (outbox rows) written, all in
that one transaction: a crash at any point leaves either all of it or none. Only
after the commit are the replies handed to the sender, which talks to Telegram while
the database serves other updates. A repeated update id is skipped.

One chat's updates are handled one after the other and their replies queued in that
order; different chats run concurrently, up to what the database can take.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.lanes import Lane
from bot.scope import ChooseLanguage, close_scope, open_scope
from bot.sender import LEASE, Delivery, Job, Sender
from clinic.clock import Clock, utc_now
from db.engine import Database
from db.updates import claim_update
from handlers.context import (
    CURRENT_SCOPE,
    ButtonAnswer,
    Outcome,
    UpdateScope,
)
from services.outbox import due_now_queued

log = logging.getLogger(__name__)


class RetryLater(Exception):
    """The update was rolled back because the database failed; fetch it again."""


@dataclass
class _ChatLock:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


def _chat_key(update: Update) -> int | None:
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


class TransactionalUpdateProcessor(BaseUpdateProcessor):
    def __init__(
        self,
        database: Database,
        clock: Clock,
        sender: Sender,
        owner: int,
        choose_language: ChooseLanguage,
        max_concurrent_updates: int = 512,
        *,
        on_outbox: Callable[[], None] | None = None,
    ):
        super().__init__(max_concurrent_updates)
        self._database = database
        self._clock = clock
        self._sender = sender
        # This process's key in the outbox claims (db.liveness).
        self._owner = owner
        self._choose_language = choose_language
        # Called after a commit that queued messages due now.
        self._on_outbox = on_outbox
        self._chats: dict[int, _ChatLock] = {}
        self._statements = _StatementCounter(database)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @asynccontextmanager
    async def _chat_turn(self, key: int | None) -> AsyncIterator[None]:
        """Waits for the chat's earlier updates; forgets the lock when nobody waits."""
        if key is None:
            yield
            return
        chat = self._chats.setdefault(key, _ChatLock())
        chat.users += 1
        try:
            async with chat.lock:
                yield
        finally:
            chat.users -= 1
            if chat.users == 0:
                del self._chats[key]

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if not isinstance(update, Update):
            await coroutine
            return
        started = time.perf_counter()
        with self._statements.counting() as statements:
            async with self._chat_turn(_chat_key(update)):
                outcome, scope = await self._run(update, coroutine)
                # Queued while the chat's turn is held: its replies keep their order.
                self._send_replies(update, scope)
        # A message due now was queued: the dispatcher sends it right after the commit
        # instead of at its next tick.
        if scope is not None and due_now_queued(scope.session) and self._on_outbox is not None:
            self._on_outbox()
        log.info(
            "update %s update_id=%s ms=%.1f statements=%s",
            outcome.value,
            update.update_id,
            (time.perf_counter() - started) * 1000,
            statements.count,
        )

    async def _run(
        self, update: Update, coroutine: Awaitable[Any]
    ) -> tuple[Outcome, UpdateScope | None]:
        scope: UpdateScope | None = None
        try:
            async with self._database.transaction() as session:
                now = self._clock()
                if not await claim_update(session, update_id=update.update_id, now=now):
                    return Outcome.DUPLICATE, None  # by us before a crash, or by a twin
                scope = await open_scope(session, update, now, self._choose_language)
                token = CURRENT_SCOPE.set(scope)
                try:
                    await coroutine
                finally:
                    CURRENT_SCOPE.reset(token)
                if scope.outcome is not Outcome.DONE:
                    raise _RollBack
                scope.reply_ids = await close_scope(
                    scope, claimed_until=utc_now() + LEASE, owner=self._owner
                )
        except _RollBack:
            pass
        finally:
            if scope is None and hasattr(coroutine, "close"):
                coroutine.close()  # never started: say so rather than warn at exit
        assert scope is not None  # committed, or rolled back on a handler's outcome
        if scope.outcome is Outcome.DONE:
            return Outcome.DONE, scope
        if scope.outcome is Outcome.RETRY:
            raise RetryLater(update.update_id)
        return Outcome.FAILED, await self._record_failure(update, scope)

    async def _record_failure(self, update: Update, failed: UpdateScope) -> UpdateScope:
        """Keeps the conversation (what came in, the apology that goes out) and marks the
        update handled, without any of the failed handler's changes."""
        async with self._database.transaction() as session:
            await claim_update(session, update_id=update.update_id, now=failed.now)
            # The flow state is read afresh, as it was before the failed handler ran.
            scope = await open_scope(session, update, failed.now, self._choose_language)
            scope.log, scope.replies, scope.button = failed.log, failed.replies, failed.button
            scope.reply_ids = await close_scope(
                scope, claimed_until=utc_now() + LEASE, owner=self._owner
            )
        return scope

    def _send_replies(self, update: Update, scope: UpdateScope | None) -> None:
        if scope is None or scope.chat_id is None:
            return
        jobs: list[Job] = []
        query = update.callback_query
        if query is not None:
            # Every press is answered, whatever the handlers did: no button keeps spinning.
            jobs.append(scope.button or ButtonAnswer(query.id, None))
        deadline = time.monotonic() + LEASE.total_seconds()
        jobs += [
            Delivery(
                row_id=row_id,
                kind="reply",
                chat_id=scope.chat_id,
                patient_id=scope.patient_id,
                message=message,
                lane=Lane.REPLY,
                attempts=0,
                deadline=deadline,
            )
            for row_id, message in zip(scope.reply_ids, scope.replies, strict=True)
        ]
        if jobs:
            self._sender.submit(scope.chat_id, jobs)


class _RollBack(Exception):
    """Leaves the transaction block so that it rolls back."""


@dataclass
class _Count:
    count: int = 0


class _StatementCounter:
    """Counts the SQL statements each update runs, for the log line (and benchmarks)."""

    def __init__(self, database: Database) -> None:
        self._current: ContextVar[_Count | None] = ContextVar("statements", default=None)
        event.listen(database.engine.sync_engine, "before_cursor_execute", self._executed)

    def _executed(self, *_args: Any) -> None:
        count = self._current.get()
        if count is not None:
            count.count += 1

    @contextmanager
    def counting(self) -> Iterator[_Count]:
        count = _Count()
        token = self._current.set(count)
        try:
            yield count
        finally:
            self._current.reset(token)
