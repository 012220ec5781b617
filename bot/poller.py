"""Long polling that confirms an update to Telegram only once it is committed.

python-telegram-bot's Updater confirms each batch as soon as it is fetched, before the
handlers have run, so a crash mid-update would lose it. Here the offset moves past an
update only after its transaction committed; after a crash Telegram delivers the
unconfirmed updates again and the processed-update table skips the ones already done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import Update
from telegram.error import Conflict, InvalidToken, TelegramError
from telegram.ext import Application

log = logging.getLogger(__name__)

POLL_TIMEOUT = 10  # seconds Telegram holds an empty getUpdates open
MAX_ATTEMPTS = 5  # an update that fails this often is skipped rather than block the queue
MAX_PAUSE = 30.0


class Poller:
    def __init__(self, application: Application, *, poll_timeout: int = POLL_TIMEOUT) -> None:  # type: ignore[type-arg]
        self._app = application
        self._poll_timeout = poll_timeout
        self._offset: int | None = None
        self._attempts: dict[int, int] = {}
        self._stopping = asyncio.Event()
        self._fetch: asyncio.Future[tuple[Update, ...]] | None = None
        self._failures = 0

    def stop(self) -> None:
        """Finishes the batch in hand, then returns from run(); safe from a signal handler."""
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
            if updates:
                await self._handle(updates)
        await self._confirm()

    async def _next_batch(self) -> tuple[Update, ...]:
        self._fetch = asyncio.ensure_future(
            self._app.bot.get_updates(
                offset=self._offset,
                timeout=self._poll_timeout,
                allowed_updates=Update.ALL_TYPES,
            )
        )
        try:
            return await self._fetch
        finally:
            self._fetch = None

    async def _handle(self, updates: tuple[Update, ...]) -> None:
        """Processes a batch concurrently (the processor keeps each chat in order)."""
        processor = self._app.update_processor
        results = await asyncio.gather(
            *(
                processor.process_update(update, self._app.process_update(update))
                for update in updates
            ),
            return_exceptions=True,
        )
        retry = []
        for update, result in zip(updates, results, strict=True):
            if not isinstance(result, BaseException):
                self._attempts.pop(update.update_id, None)
                continue
            attempts = self._attempts[update.update_id] = (
                self._attempts.get(update.update_id, 0) + 1
            )
            if attempts >= MAX_ATTEMPTS:
                log.error(
                    "giving up on update update_id=%s after %s attempts",
                    update.update_id,
                    attempts,
                    exc_info=result,
                )
                self._attempts.pop(update.update_id)
            else:
                log.warning(
                    "update will be retried update_id=%s attempt=%s error=%s",
                    update.update_id,
                    attempts,
                    type(result).__name__,
                )
                retry.append(update.update_id)
        if retry:
            # Everything from the first failure on comes again; done ones are skipped.
            self._offset = min(retry)
            await self._pause()
        else:
            self._offset = updates[-1].update_id + 1

    async def _pause(self) -> None:
        """Backs off 1, 2, 4 ... 30 seconds, or less if asked to stop."""
        delay = min(2.0**self._failures, MAX_PAUSE)
        self._failures += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=delay)

    async def _confirm(self) -> None:
        """Tells Telegram which updates are done, so a clean restart gets none again."""
        if self._offset is None:
            return
        try:
            await self._app.bot.get_updates(offset=self._offset, timeout=0, limit=1)
        except TelegramError as exc:
            log.warning("could not confirm updates on stop error=%s", type(exc).__name__)
