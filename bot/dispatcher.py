"""The outbox dispatcher: sends due messages within Telegram's limits, each exactly once.

A JobQueue tick (and a nudge after any update that queued something due now) starts a
pass. A pass reads the due rows, sends each chat's rows in order, different chats
concurrently, and records every send in the transaction that locked its row: a
restart loses nothing and repeats at most the messages in flight when the process
died. Telegram's answers decide what happens next:

- 429: the rate limiter already waited and retried; the row waits `retry_after` more;
- 403: the patient blocked the bot; they are marked unreachable, their rows stop;
- 5xx or a network error: retried with backoff, then marked failed and logged;
- 400: our request is wrong and would fail again; marked failed and logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, InputFile, Message
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import CallbackContext

from clinic.clock import Clock
from db import outbox, patients
from db.engine import Database
from db.messages import Direction, LogEntry, add_to_log
from db.outbox import Due
from handlers.context import Services
from handlers.notices import Outgoing, Render
from handlers.staff import follow_move

log = logging.getLogger(__name__)

# Rows read per query; a pass keeps reading until nothing due is left.
BATCH = 500
# Chats served at once; SQLite runs one transaction at a time anyway.
CONCURRENT_CHATS = 16
# A network error or 5xx is tried this often in all before the row is marked failed.
MAX_ATTEMPTS = 6


def backoff(attempts: int) -> timedelta:
    """10 s, 20 s, 40 s, ... up to 10 minutes between tries."""
    return timedelta(seconds=min(10 * 2 ** max(attempts - 1, 0), 600))


class Dispatcher:
    def __init__(
        self,
        bot: Bot,
        services: Services,
        renderers: Mapping[str, Render],
    ) -> None:
        self._bot = bot
        self._services = services
        self._database: Database = services.database
        self._clock: Clock = services.clock
        self._renderers = renderers
        self._pass_task: asyncio.Task[None] | None = None
        self._again = False
        self._closing = False
        self._chats = asyncio.Semaphore(1 if self._database.is_sqlite else CONCURRENT_CHATS)

    # -- starting passes ---------------------------------------------------------------

    async def tick(self, _context: CallbackContext | None = None) -> None:  # type: ignore[type-arg]
        """The JobQueue's periodic call."""
        self.wake()

    def wake(self) -> None:
        """Starts a pass now, or one more right after the pass under way."""
        if self._closing:
            return
        if self._pass_task is None or self._pass_task.done():
            self._pass_task = asyncio.get_running_loop().create_task(self._passes())
        else:
            self._again = True

    async def close(self) -> None:
        """Lets the row being sent finish; what is left waits for the next start."""
        self._closing = True
        if self._pass_task is not None:
            await self._pass_task

    async def _passes(self) -> None:
        while True:
            self._again = False
            try:
                await self._pass()
            except Exception:
                # The database is down, say: the next tick tries again.
                log.exception("outbox pass failed")
            if not self._again or self._closing:
                return

    async def _pass(self) -> None:
        seen: set[int] = set()
        while not self._closing:
            async with self._database.transaction() as session:
                rows = await outbox.due_chats(session, now=self._clock(), limit=BATCH)
            # Rows we tried this pass and that are still due belong to a process that
            # holds them, or wait for Telegram: leave them to the next pass.
            rows = [(row_id, chat_id) for row_id, chat_id in rows if row_id not in seen]
            if not rows:
                return
            seen.update(row_id for row_id, _ in rows)
            by_chat: dict[int, list[int]] = {}
            for row_id, chat_id in rows:
                by_chat.setdefault(chat_id, []).append(row_id)
            await asyncio.gather(*(self._send_chat(ids) for ids in by_chat.values()))

    async def _send_chat(self, row_ids: list[int]) -> None:
        """Sends one chat's rows in order; stops at the first one that must wait."""
        async with self._chats:
            for row_id in row_ids:
                if self._closing or not await self._send_one(row_id):
                    return

    # -- one row -----------------------------------------------------------------------

    async def _send_one(self, row_id: int) -> bool:
        """Sends a row in its own transaction; False when the chat's next rows must wait."""
        async with self._database.transaction() as session:
            now = self._clock()
            due = await outbox.take(session, row_id=row_id, now=now)
            if due is None:
                return True  # sent, cancelled, or being sent by another process
            if due.patient_id is not None and not await outbox.is_reachable(
                session, patient_id=due.patient_id
            ):
                await outbox.mark_cancelled(session, row_id=due.id)
                return True
            render = self._renderers.get(due.kind)
            if render is None:
                log.error("outbox row of unknown kind id=%s kind=%s", due.id, due.kind)
                await outbox.mark_failed(session, row_id=due.id, error="unknown kind")
                return True
            outgoing = await render(session, self._services, due, now)
            if outgoing is None:
                await outbox.mark_cancelled(session, row_id=due.id)
                log.info("outbox row no longer wanted id=%s kind=%s", due.id, due.kind)
                return True
            try:
                message = await self._deliver(due.chat_id, outgoing)
            except RetryAfter as exc:
                wait = _seconds(exc.retry_after)
                await outbox.retry_at(
                    session,
                    row_id=due.id,
                    due_at=now + timedelta(seconds=wait),
                    error="429",
                    count_attempt=False,
                )
                log.warning("outbox rate limited id=%s retry_after=%s", due.id, wait)
                return False
            except Forbidden:
                await self._unreachable(session, due)
                return False
            except ChatMigrated as exc:
                # The staff group became a supergroup: this row and the rest go there.
                await follow_move(
                    self._services,
                    session,
                    old_chat_id=due.chat_id,
                    new_chat_id=exc.new_chat_id,
                    now=now,
                )
                self.wake()
                return False
            except BadRequest as exc:
                await outbox.mark_failed(session, row_id=due.id, error=f"400 {exc.message}")
                if due.patient_id is None:
                    log.error(
                        "the bot cannot post to the staff chat chat_id=%s id=%s kind=%s error=%s",
                        due.chat_id,
                        due.id,
                        due.kind,
                        exc.message,
                    )
                else:
                    log.error("outbox row refused by telegram id=%s kind=%s", due.id, due.kind)
                await _done_with(session, outgoing)
                return True
            except (NetworkError, TelegramError) as exc:
                return await self._failed_try(session, due, outgoing, now, type(exc).__name__)
            await outbox.mark_sent(session, row_id=due.id, now=now)
            await _done_with(session, outgoing)
            if due.patient_id is not None:
                add_to_log(
                    session,
                    patient_id=due.patient_id,
                    entries=[_logged(due, outgoing, message, now)],
                )
            log.info("outbox sent id=%s kind=%s", due.id, due.kind)
            return True

    async def _deliver(self, chat_id: int, outgoing: Outgoing) -> Message:
        if outgoing.document is not None:
            name, data = outgoing.document
            return await self._bot.send_document(
                chat_id,
                InputFile(data, filename=name),
                caption=outgoing.text,
                parse_mode=ParseMode.HTML,
            )
        return await self._bot.send_message(
            chat_id, outgoing.text, parse_mode=ParseMode.HTML, reply_markup=outgoing.keyboard
        )

    async def _unreachable(self, session: AsyncSession, due: Due) -> None:
        if due.patient_id is not None:
            await outbox.mark_failed(session, row_id=due.id, error="403 blocked")
            await patients.stop_unreachable(session, patient_id=due.patient_id, now=self._clock())
            log.info("patient unreachable, their messages stop patient_id=%s", due.patient_id)
            return
        await outbox.mark_failed(session, row_id=due.id, error="403 forbidden")
        log.error(
            "the bot cannot post to the staff chat (removed from the group?) chat_id=%s id=%s",
            due.chat_id,
            due.id,
        )

    async def _failed_try(
        self, session: AsyncSession, due: Due, outgoing: Outgoing, now: datetime, error: str
    ) -> bool:
        attempts = due.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            await outbox.mark_failed(session, row_id=due.id, error=error)
            log.error("outbox row failed for good id=%s kind=%s error=%s", due.id, due.kind, error)
            await _done_with(session, outgoing)
            return True
        await outbox.retry_at(
            session,
            row_id=due.id,
            due_at=now + backoff(attempts),
            error=error,
            count_attempt=True,
        )
        log.warning("outbox send failed, will retry id=%s attempts=%s", due.id, attempts)
        return False


async def _done_with(session: AsyncSession, outgoing: Outgoing) -> None:
    if outgoing.then is not None:
        await outgoing.then(session)


def _seconds(retry_after: int | timedelta) -> float:
    if isinstance(retry_after, timedelta):
        return retry_after.total_seconds()
    return float(retry_after)


def _logged(due: Due, outgoing: Outgoing, message: Message, now: datetime) -> LogEntry:
    text = outgoing.text if outgoing.document is None else f"[{outgoing.document[0]}]"
    return LogEntry(Direction.OUT, due.kind[:16], text, now, telegram_message_id=message.message_id)
