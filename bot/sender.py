"""Sends outbox rows to Telegram, outside any transaction, each chat's in order.

Replies come from the processor right after their update committed; due rows come
from the dispatcher. Each chat has its own queue, worked by its own task, so one
chat's slow or failing sends (a 429, a timeout) delay only that chat. What happened
to each row goes to the recorder, which writes the results in batches.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from telegram import InputFile, Message
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import ExtBot

from bot.lanes import Lane
from bot.results import Recorder
from clinic.clock import Clock
from handlers.context import ButtonAnswer
from handlers.outgoing import Outgoing

log = logging.getLogger(__name__)

# How long a claim lasts (real time). A row is sent well within it or handed back to
# the outbox; after it, another process (or this one after a restart) claims it again.
LEASE = timedelta(seconds=60)
# A row is not sent with less than this left of its claim: another process may take it.
LEASE_MARGIN = 25.0
# A reply that meets a network error or a 5xx is tried again this soon, in place (its
# chat's later replies wait behind it); after the last, the outbox retries it later.
REPLY_RETRY_DELAYS = (0.5, 2.0)
# A network error or 5xx is tried this often in all before the row is marked failed.
MAX_ATTEMPTS = 6


def backoff(attempts: int) -> timedelta:
    """10 s, 20 s, 40 s, ... up to 10 minutes between tries."""
    return timedelta(seconds=min(10 * 2 ** max(attempts - 1, 0), 600))


@dataclass
class Delivery:
    """One outbox row, claimed by this process, ready to send."""

    row_id: int
    kind: str
    chat_id: int
    patient_id: int | None
    message: Outgoing
    lane: Lane
    # Failed attempts so far (a 429 is not one).
    attempts: int
    # time.monotonic() by which it must be sent or handed back.
    deadline: float
    # Called once what happened to the row is written (bot.results).
    on_done: Callable[[], None] | None = None

    @property
    def is_reply(self) -> bool:
        return self.lane is Lane.REPLY


Job = Delivery | ButtonAnswer


class Sender:
    def __init__(self, bot: ExtBot[Lane], recorder: Recorder, clock: Clock) -> None:
        self._bot = bot
        self._recorder = recorder
        self._clock = clock
        self._queues: dict[int, deque[Job]] = {}
        self._workers: dict[int, asyncio.Task[None]] = {}
        self._answers: set[asyncio.Task[None]] = set()
        # chat -> (monotonic until, clinic time) while a reply of the chat waits in the
        # outbox for Telegram: the chat's later replies go there too, to keep the order.
        # (Due rows from the dispatcher come in order anyway.)
        self._held: dict[int, tuple[float, datetime]] = {}

    def submit(self, chat_id: int, jobs: Iterable[Job]) -> None:
        """Queues jobs behind the chat's earlier ones; returns at once."""
        queue = self._queues.setdefault(chat_id, deque())
        queue.extend(jobs)
        if chat_id not in self._workers:
            self._workers[chat_id] = asyncio.get_running_loop().create_task(
                self._work(chat_id), name=f"send-{chat_id}"
            )

    async def idle(self) -> None:
        """Returns once everything queued so far has been sent (or handed back); a
        stopping bot waits here, and so do tests before they read the chat."""
        while self._workers or self._answers:
            await asyncio.gather(*self._workers.values(), *self._answers)

    async def _work(self, chat_id: int) -> None:
        queue = self._queues[chat_id]
        try:
            while queue:
                job = queue.popleft()
                if isinstance(job, ButtonAnswer):
                    # Independent of the messages: it goes alongside the first of them.
                    task = asyncio.get_running_loop().create_task(self._answer(job))
                    self._answers.add(task)
                    task.add_done_callback(self._answers.discard)
                    continue
                try:
                    await self._deliver(job)
                except Exception:
                    log.exception("send failed unexpectedly id=%s", job.row_id)
                    self._recorder.retry(job, self._clock() + backoff(job.attempts + 1), "bug")
        finally:
            del self._queues[chat_id]
            del self._workers[chat_id]
            held = self._held.get(chat_id)
            if held is not None and held[0] <= time.monotonic():
                del self._held[chat_id]

    async def _answer(self, answer: ButtonAnswer) -> None:
        """Best effort: a press whose answer fails only spins a little longer."""
        for delay in (*REPLY_RETRY_DELAYS, None):
            try:
                await self._bot.answer_callback_query(answer.query_id, text=answer.text)
                return
            except BadRequest as exc:
                # Telegram refuses a second answer, and one after about 15 seconds.
                log.info("button answer refused error=%s", exc.message)
                return
            except TelegramError as exc:
                if delay is None:
                    log.warning("button answer failed error=%s", type(exc).__name__)
                    return
                await asyncio.sleep(delay)

    async def _deliver(self, delivery: Delivery) -> None:
        chat_id = delivery.chat_id
        held = self._held.get(chat_id)
        if held is not None and held[0] <= time.monotonic():
            del self._held[chat_id]
        elif held is not None and delivery.is_reply:
            # An earlier reply of this chat waits in the outbox: this one goes after it.
            self._recorder.retry(delivery, held[1], "held", count_attempt=False)
            return
        delays = list(REPLY_RETRY_DELAYS) if delivery.is_reply else []
        while True:
            if delivery.deadline - time.monotonic() < LEASE_MARGIN:
                self._hold(delivery, 0.0, "lease ran out", count_attempt=False)
                return
            try:
                message_id = await self._send(delivery)
            except RetryAfter as exc:
                wait = _seconds(exc.retry_after)
                self._hold(delivery, wait, "429", count_attempt=False)
                log.warning("send rate limited id=%s retry_after=%s", delivery.row_id, wait)
                return
            except ChatMigrated as exc:
                self._recorder.moved(delivery, exc.new_chat_id)
                return
            except Forbidden:
                self._recorder.unreachable(delivery)
                return
            except BadRequest as exc:
                self._recorder.failed(delivery, f"400 {exc.message}")
                return
            except (NetworkError, TelegramError) as exc:
                if delays:
                    await asyncio.sleep(delays.pop(0))
                    continue
                self._failed_try(delivery, type(exc).__name__)
                return
            self._recorder.sent(delivery, message_id, self._clock())
            return

    def _failed_try(self, delivery: Delivery, error: str) -> None:
        attempts = delivery.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            self._recorder.failed(delivery, error)
            log.error("send failed for good id=%s kind=%s", delivery.row_id, delivery.kind)
            return
        self._hold(delivery, backoff(attempts).total_seconds(), error, count_attempt=True)
        log.warning("send failed, will retry id=%s attempts=%s", delivery.row_id, attempts)

    def _hold(self, delivery: Delivery, seconds: float, error: str, *, count_attempt: bool) -> None:
        """Hands the row back to the outbox, due in `seconds`, and holds the chat's
        later rows until then so that they keep their order."""
        due_at = self._clock() + timedelta(seconds=seconds)
        self._held[delivery.chat_id] = (time.monotonic() + seconds, due_at)
        self._recorder.retry(delivery, due_at, error, count_attempt=count_attempt)

    async def _send(self, delivery: Delivery) -> int | None:
        """Makes the call; the message id Telegram gave, or None for an unchanged edit."""
        message, chat_id, lane = delivery.message, delivery.chat_id, delivery.lane
        bot = self._bot
        sent: Message | bool
        if message.edit is not None:
            try:
                sent = await bot.edit_message_text(
                    message.text or "",
                    chat_id=chat_id,
                    message_id=message.edit,
                    parse_mode=ParseMode.HTML,
                    reply_markup=message.keyboard,  # type: ignore[arg-type]
                    rate_limit_args=lane,
                )
                return sent.message_id if isinstance(sent, Message) else message.edit
            except BadRequest as exc:
                # A second tap on the same button changes nothing; that is fine.
                if "not modified" in exc.message.lower():
                    return None
                # Otherwise the message is gone or too old to edit: send a fresh one.
        if message.document is not None:
            name, data = message.document
            sent = await bot.send_document(
                chat_id,
                InputFile(data, filename=name),
                caption=message.text,
                parse_mode=ParseMode.HTML,
                rate_limit_args=lane,
            )
        elif message.contact is not None:
            phone, first_name = message.contact
            sent = await bot.send_contact(
                chat_id, phone_number=phone, first_name=first_name, rate_limit_args=lane
            )
        else:
            sent = await bot.send_message(
                chat_id,
                message.text or "",
                parse_mode=ParseMode.HTML,
                reply_markup=message.keyboard,
                rate_limit_args=lane,
            )
        return sent.message_id


def _seconds(retry_after: int | timedelta) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else retry_after
