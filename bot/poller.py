"""Long polling that confirms an update to Telegram only once it is committed.

python-telegram-bot's Updater confirms each batch as soon as it is fetched, before the
handlers have run, so a crash mid-update would lose it. Here the offset moves past an
update only after its transaction committed; after a crash Telegram delivers the
unconfirmed updates again and the processed-update table skips the ones already done.

Updates are handled as they arrive, not a batch at a time: the poller asks for more
while earlier ones are still being handled, so one slow update never holds the rest.
Telegram repeats the ones still in hand (they are above the offset); they are skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time

from telegram import Update
from telegram.error import Conflict, InvalidToken, TelegramError
from telegram.ext import Application

log = logging.getLogger(__name__)

POLL_TIMEOUT = 10  # seconds Telegram holds an empty getUpdates open
MAX_ATTEMPTS = 5  # an update that fails this often is skipped rather than block the queue
MAX_PAUSE = 30.0
# With updates in hand, the next getUpdates waits until half of them are done, or this
# long: Telegram sends the unfinished ones again each time, so asking at every
# completion would mostly fetch what is already being handled.
REFETCH_WAIT = 0.1


class Poller:
    def __init__(self, application: Application, *, poll_timeout: int = POLL_TIMEOUT) -> None:  # type: ignore[type-arg]
        self._app = application
        self._poll_timeout = poll_timeout
        self._stopping = asyncio.Event()
        self._fetch: asyncio.Future[tuple[Update, ...]] | None = None
        self._failures = 0
        self._in_hand: dict[int, asyncio.Task[None]] = {}
        # The newest update id fetched so far.
        self._highest: int | None = None
        # Committed, but above an update still in hand, so not yet confirmable.
        self._done: set[int] = set()
        self._attempts: dict[int, int] = {}
        # Failed updates wait until then before they are tried again.
        self._not_before: dict[int, float] = {}
        self._progress = asyncio.Event()

    def stop(self) -> None:
        """Finishes the updates in hand, then returns from run(); safe from a signal handler."""
        self._stopping.set()
        if self._fetch is not None:
            self._fetch.cancel()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                updates = await self._next_batch()
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
                # An update python-telegram-bot cannot read; keep serving the rest.
                log.exception("getUpdates returned something unreadable")
                await self._pause()
                continue
            self._failures = 0
            started = self._start(updates)
            if not started and updates and not self._stopping.is_set():
                # Only what is in hand (or waits to be retried) came back: wait for some
                # of it to finish rather than ask again at once.
                await self._some_progress()
        if self._in_hand:
            await asyncio.gather(*self._in_hand.values(), return_exceptions=True)
        await self._confirm()

    async def _next_batch(self) -> tuple[Update, ...]:
        if self._in_hand:
            await self._some_progress()
        offset = self._offset()
        self._done = {update_id for update_id in self._done if offset and update_id >= offset}
        self._fetch = asyncio.ensure_future(
            self._app.bot.get_updates(
                offset=offset,
                # Updates in hand will be confirmed soon: do not hold the poll open.
                timeout=0 if self._in_hand or self._not_before else self._poll_timeout,
                allowed_updates=Update.ALL_TYPES,
            )
        )
        try:
            return await self._fetch
        finally:
            self._fetch = None

    async def _some_progress(self) -> None:
        """Waits until half of the updates in hand are done, or REFETCH_WAIT."""
        target = len(self._in_hand) // 2
        deadline = time.monotonic() + REFETCH_WAIT
        while len(self._in_hand) > target and not self._stopping.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self._progress.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._progress.wait(), timeout=remaining)

    def _start(self, updates: tuple[Update, ...]) -> int:
        """Starts handling the updates not already in hand or done; returns how many."""
        started = 0
        now = time.monotonic()
        for update in updates:
            update_id = update.update_id
            if update_id in self._in_hand or update_id in self._done:
                continue
            if self._highest is None or update_id > self._highest:
                self._highest = update_id
            not_before = self._not_before.get(update_id)
            if not_before is not None:
                if not_before > now:
                    continue  # failed a moment ago: it waits a little
                del self._not_before[update_id]
            processor = self._app.update_processor
            task = asyncio.ensure_future(
                processor.process_update(update, self._app.process_update(update))
            )
            self._in_hand[update_id] = task
            task.add_done_callback(functools.partial(self._finished, update_id))
            started += 1
        return started

    def _offset(self) -> int | None:
        """The first update not yet done: Telegram forgets every update below it."""
        pending = [*self._in_hand, *self._not_before]
        if pending:
            return min(pending)
        return None if self._highest is None else self._highest + 1

    def _finished(self, update_id: int, task: asyncio.Task[None]) -> None:
        del self._in_hand[update_id]
        error = task.exception() if not task.cancelled() else asyncio.CancelledError()
        if error is None:
            self._attempts.pop(update_id, None)
            self._done.add(update_id)
        else:
            attempts = self._attempts[update_id] = self._attempts.get(update_id, 0) + 1
            if attempts >= MAX_ATTEMPTS:
                log.error(
                    "giving up on update update_id=%s after %s attempts",
                    update_id,
                    attempts,
                    exc_info=error,
                )
                self._attempts.pop(update_id)
                self._not_before.pop(update_id, None)
                self._done.add(update_id)
            else:
                delay = min(2.0 ** (attempts - 1), MAX_PAUSE)
                log.warning(
                    "update will be retried update_id=%s attempt=%s error=%s",
                    update_id,
                    attempts,
                    type(error).__name__,
                )
                self._not_before[update_id] = time.monotonic() + delay
        self._progress.set()

    async def _pause(self) -> None:
        """Backs off 1, 2, 4 ... 30 seconds, or less if asked to stop."""
        delay = min(2.0**self._failures, MAX_PAUSE)
        self._failures += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=delay)

    async def _confirm(self) -> None:
        """Tells Telegram which updates are done, so a clean restart gets none again."""
        offset = self._offset()
        if offset is None:
            return
        try:
            await self._app.bot.get_updates(offset=offset, timeout=0, limit=1)
        except TelegramError as exc:
            log.warning("could not confirm updates on stop error=%s", type(exc).__name__)
