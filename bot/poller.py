"""Long polling that never loses an update and never waits on a slow one.

python-telegram-bot's Updater confirms each batch to Telegram as soon as it is
fetched, before the handlers have run, so a crash mid-update would lose it. Here a
fetched batch is first written to the database (one short transaction, db.updates),
and only then confirmed, by asking for the next batch. The updates are handled as
they arrive, each in its own transaction, while the poller keeps fetching: one slow
update holds up nobody else. After a crash, what was received and not handled is
handled first thing at the restart; an update handled already is skipped by its id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any, cast

from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram._utils.types import JSONDict
from telegram.error import Conflict, InvalidToken, TelegramError
from telegram.ext import ExtBot

from bot.lanes import Lane
from bot.processor import RetryLater
from db import updates as inbox
from handlers.context import ClinicApp
from services import errors as database_errors
from services.context import Services

log = logging.getLogger(__name__)

POLL_TIMEOUT = 10  # seconds Telegram holds an empty getUpdates open
# Seconds Telegram may take to answer, on top of the poll's own wait.
READ_TIMEOUT = 5.0
# An update that fails this often, for another reason than the database, is given up.
MAX_ATTEMPTS = 5
MAX_PAUSE = 30.0
# Updates in hand at most: beyond, the database is not keeping up, and fetching more
# would only hold them in memory.
MAX_IN_HAND = 1000
# Polls that bring updates are this far apart at least: each batch is stored in a
# transaction of its own, and on a busy bot a few milliseconds' wait gathers more
# updates into one (Telegram itself takes longer than this to answer).
BUSY_POLL_INTERVAL = 0.005


class UpdatesBot(ExtBot[Lane]):
    """python-telegram-bot's bot, able to fetch updates as JSON: the poller stores them
    as Telegram sent them before it parses them."""

    async def get_update_data(
        self, *, offset: int | None, poll_seconds: int, read_timeout: float
    ) -> list[JSONDict]:
        data: dict[str, Any] = {"timeout": poll_seconds, "allowed_updates": Update.ALL_TYPES}
        if offset is not None:
            data["offset"] = offset
        result = await self._post("getUpdates", data, read_timeout=read_timeout + poll_seconds)
        return cast(list[JSONDict], result)


class Poller:
    def __init__(self, application: ClinicApp, *, poll_timeout: int = POLL_TIMEOUT) -> None:
        self._app = application
        self._services: Services = application.bot_data["services"]
        self._poll_timeout = poll_timeout
        self._stopping = asyncio.Event()
        self._fetch: asyncio.Future[list[JSONDict]] | None = None
        self._failures = 0
        # Telegram forgets every update below it: all of them are stored.
        self._offset: int | None = None
        self._in_hand: dict[int, asyncio.Task[None]] = {}
        self._attempts: dict[int, int] = {}
        self._retries: set[asyncio.TimerHandle] = set()
        self._chores: set[asyncio.Task[None]] = set()  # writes that give an update up
        self._progress = asyncio.Event()

    async def idle(self) -> None:
        """Returns once no update is in hand or waiting to be tried again (tests wait
        here before reading the chat)."""
        while self._in_hand or self._chores or self._retries:
            if self._in_hand or self._chores:
                tasks = [*self._in_hand.values(), *self._chores]
                await asyncio.gather(*tasks, return_exceptions=True)
            else:
                await asyncio.sleep(0.01)  # an update waits to be tried again

    def stop(self) -> None:
        """Finishes the updates in hand, then returns from run(); safe from a signal handler."""
        self._stopping.set()
        if self._fetch is not None:
            self._fetch.cancel()

    async def run(self) -> None:
        await self._resume()
        while not self._stopping.is_set():
            try:
                batch = await self._next_batch()
            except asyncio.CancelledError:
                if self._stopping.is_set():
                    break
                raise
            except InvalidToken:
                raise
            except Conflict:
                log.error("another process is polling with this bot token; waiting")
                await self._pause()
                continue
            except TelegramError as exc:
                log.warning("getUpdates failed error=%s", type(exc).__name__)
                await self._pause()
                continue
            except Exception:
                # An answer that is not a list of updates; try again later.
                log.exception("getUpdates returned something unreadable")
                await self._pause()
                continue
            # Stored first (an urgent transaction, ahead of queued updates): handling an
            # update also writes its row, and a slow one would hold the store up.
            if batch and not await self._store(batch):
                await self._pause()  # not confirmed: Telegram sends them again
                continue
            self._failures = 0
            if batch:
                self._offset = int(batch[-1]["update_id"]) + 1
            for data in batch:
                self._start(data)
            while len(self._in_hand) >= MAX_IN_HAND and not self._stopping.is_set():
                self._progress.clear()
                await self._progress.wait()
            if batch:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=BUSY_POLL_INTERVAL)
        for handle in self._retries:
            handle.cancel()  # still stored: handled after the next start
        if self._in_hand:
            await asyncio.gather(*self._in_hand.values(), return_exceptions=True)
        if self._chores:
            await asyncio.gather(*self._chores, return_exceptions=True)
        await self._confirm()

    async def _resume(self) -> None:
        """Handles what an earlier run received and did not handle (it died)."""
        async with self._services.database.transaction() as session:
            left = await inbox.unhandled(session)
        if left:
            log.info("handling updates received before a restart count=%s", len(left))
        for data in left:
            self._start(data)

    async def _next_batch(self) -> list[JSONDict]:
        bot = self._app.bot
        assert isinstance(bot, UpdatesBot)
        self._fetch = asyncio.ensure_future(
            bot.get_update_data(
                offset=self._offset, poll_seconds=self._poll_timeout, read_timeout=READ_TIMEOUT
            )
        )
        try:
            return await self._fetch
        finally:
            self._fetch = None

    async def _store(self, batch: list[JSONDict]) -> bool:
        try:
            async with self._services.database.transaction(urgent=True) as session:
                await inbox.receive(session, updates=batch, now=self._services.clock())
        except (SQLAlchemyError, OSError) as exc:
            log.warning("could not store fetched updates error=%s", type(exc).__name__)
            return False
        return True

    def _start(self, data: JSONDict) -> None:
        update_id = int(data["update_id"])
        if update_id in self._in_hand:
            return  # received before the restart and fetched again meanwhile
        try:
            update = Update.de_json(data, self._app.bot)
        except Exception:
            log.exception("unreadable update given up update_id=%s", update_id)
            self._spawn(self._give_up(update_id))
            return
        self._handle(update)

    def _handle(self, update: Update) -> None:
        processor = self._app.update_processor
        task = asyncio.ensure_future(
            processor.process_update(update, self._app.process_update(update))
        )
        self._in_hand[update.update_id] = task
        task.add_done_callback(lambda done: self._finished(update, done))

    def _finished(self, update: Update, task: asyncio.Task[None]) -> None:
        update_id = update.update_id
        del self._in_hand[update_id]
        self._progress.set()
        error = task.exception() if not task.cancelled() else asyncio.CancelledError()
        if error is None:
            self._attempts.pop(update_id, None)
            return
        attempts = self._attempts[update_id] = self._attempts.get(update_id, 0) + 1
        # RetryLater: a handler met the database away; otherwise an error of the commit
        # or of storing the step (a bug's broken constraint is given up like any bug).
        database_down = isinstance(error, RetryLater) or database_errors.passes(error)
        if attempts >= MAX_ATTEMPTS and not database_down:
            # Not the database: something about this update that will not change.
            log.error(
                "giving up on update update_id=%s after %s attempts",
                update_id,
                attempts,
                exc_info=error,
            )
            self._attempts.pop(update_id)
            self._spawn(self._give_up(update_id))
            return
        # The database being away is never a reason to drop an update: it waits, stored,
        # and is tried again, less and less often, until the database answers.
        delay = min(2.0 ** (attempts - 1), MAX_PAUSE)
        log.log(
            logging.WARNING if attempts == 1 else logging.DEBUG,
            "update will be retried update_id=%s attempt=%s error=%s",
            update_id,
            attempts,
            type(error).__name__,
        )
        if self._stopping.is_set():
            return  # stored: handled after the next start

        def again() -> None:
            self._retries.discard(handle)
            if not self._stopping.is_set():
                self._handle(update)

        handle = asyncio.get_running_loop().call_later(delay, again)
        self._retries.add(handle)

    async def _give_up(self, update_id: int) -> None:
        with contextlib.suppress(SQLAlchemyError, OSError):
            async with self._services.database.transaction() as session:
                await inbox.give_up(session, update_id=update_id, now=self._services.clock())

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._chores.add(task)
        task.add_done_callback(self._chores.discard)

    async def _pause(self) -> None:
        """Backs off 1, 2, 4 ... 30 seconds, or less if asked to stop."""
        delay = min(2.0**self._failures, MAX_PAUSE)
        self._failures += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=delay)

    async def _confirm(self) -> None:
        """Tells Telegram which updates are stored, so a clean restart gets none again."""
        if self._offset is None:
            return
        try:
            await self._app.bot.get_updates(offset=self._offset, timeout=0, limit=1)
        except TelegramError as exc:
            log.warning("could not confirm updates on stop error=%s", type(exc).__name__)
