"""Handles each update in one database transaction, one chat's updates in order."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from clinic.clock import Clock
from db.engine import Database
from db.updates import claim_update
from handlers.context import CURRENT_SCOPE, Outcome, UpdateScope, close_scope, open_scope

log = logging.getLogger(__name__)


class RetryLater(Exception):
    """The update was rolled back because Telegram or the network failed; fetch it again."""


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
    """Runs handlers inside one transaction per update, and keeps each chat's order.

    The update id is claimed, the patient and their flow state read, the handlers run,
    and the flow state and message log written, all in that one transaction: a crash
    at any point leaves either all of it or none. A repeated update id is skipped.
    Different chats run concurrently, up to what the database can take.
    """

    def __init__(
        self,
        database: Database,
        clock: Clock,
        max_concurrent_updates: int = 512,
        *,
        on_outbox: Callable[[], None] | None = None,
    ):
        super().__init__(max_concurrent_updates)
        self._database = database
        self._clock = clock
        # Called after a commit that queued messages due now.
        self._on_outbox = on_outbox
        self._chats: dict[int, _ChatLock] = {}

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
        async with self._chat_turn(_chat_key(update)):
            outcome = await self._run(update, coroutine)
        log.info(
            "update %s update_id=%s ms=%.1f",
            outcome.value,
            update.update_id,
            (time.perf_counter() - started) * 1000,
        )

    async def _run(self, update: Update, coroutine: Awaitable[Any]) -> Outcome:
        scope: UpdateScope | None = None
        try:
            async with self._database.transaction() as session:
                now = self._clock()
                if not await claim_update(session, update_id=update.update_id, now=now):
                    return Outcome.DUPLICATE  # by us before a crash, or by a twin
                scope = await open_scope(session, update, now)
                token = CURRENT_SCOPE.set(scope)
                try:
                    await coroutine
                finally:
                    CURRENT_SCOPE.reset(token)
                if scope.outcome is not Outcome.DONE:
                    raise _RollBack
                await close_scope(scope)
        except _RollBack:
            pass
        finally:
            if scope is None and hasattr(coroutine, "close"):
                coroutine.close()  # never started: say so rather than warn at exit
        assert scope is not None  # committed, or rolled back on a handler's outcome
        if scope.outcome is Outcome.DONE:
            if scope.wake_dispatcher and self._on_outbox is not None:
                self._on_outbox()
            return Outcome.DONE
        if scope.outcome is Outcome.RETRY:
            raise RetryLater(update.update_id)
        await self._record_failure(update, scope)
        return Outcome.FAILED

    async def _record_failure(self, update: Update, failed: UpdateScope) -> None:
        """Keeps the conversation (what came in, the apology that went out) and marks the
        update handled, without any of the failed handler's changes."""
        async with self._database.transaction() as session:
            await claim_update(session, update_id=update.update_id, now=failed.now)
            # The flow state is read afresh, as it was before the failed handler ran.
            scope = await open_scope(session, update, failed.now)
            scope.log = failed.log
            await close_scope(scope)


class _RollBack(Exception):
    """Leaves the transaction block so that it rolls back."""
