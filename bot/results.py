"""Records what Telegram did with each sent row, many rows per transaction.

The sender reports each row as it is done (sent, to retry, failed, the patient
blocked the bot, the group moved); the recorder writes them a few dozen milliseconds
later in one short transaction, with what each send settles (a nudge's next day).
Until then a row stays claimed, so no one sends it again; if the process dies first,
its claim runs out and the row is sent again: those few rows are at-least-once.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from clinic.conversation import Direction, LogEntry
from db import outbox
from db.messages import add_to_log
from db.outbox import Retry
from handlers.outgoing import SETTLERS
from services import staff
from services.context import Services
from services.patients import stop_unreachable

if TYPE_CHECKING:
    from bot.sender import Delivery

log = logging.getLogger(__name__)

# After a failed write (the database is down), the next try waits this long, doubling.
FIRST_PAUSE, LONGEST_PAUSE = 0.5, 30.0


@dataclass
class _Batch:
    # (row, Telegram's message id, when it was sent)
    sent: list[tuple[Delivery, int | None, datetime]] = field(default_factory=list)
    retries: list[tuple[Delivery, Retry]] = field(default_factory=list)
    failed: list[tuple[Delivery, str]] = field(default_factory=list)
    unreachable: list[Delivery] = field(default_factory=list)
    moved: list[tuple[Delivery, int]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.sent or self.retries or self.failed or self.unreachable or self.moved)

    def deliveries(self) -> list[Delivery]:
        return [
            *(delivery for delivery, _, _ in self.sent),
            *(delivery for delivery, _ in self.retries),
            *(delivery for delivery, _ in self.failed),
            *self.unreachable,
            *(delivery for delivery, _ in self.moved),
        ]


class Recorder:
    def __init__(self, services: Services, *, on_moved: Callable[[], None]) -> None:
        self._services = services
        self._on_moved = on_moved
        self._batch = _Batch()
        self._task: asyncio.Task[None] | None = None
        self._pause = FIRST_PAUSE

    # -- what the sender reports -------------------------------------------------------

    def sent(self, delivery: Delivery, message_id: int | None, at: datetime) -> None:
        self._batch.sent.append((delivery, message_id, at))
        self._soon()

    def retry(
        self,
        delivery: Delivery,
        due_at: datetime,
        error: str,
        *,
        count_attempt: bool = True,
    ) -> None:
        self._batch.retries.append((delivery, Retry(delivery.row_id, due_at, error, count_attempt)))
        self._soon()

    def failed(self, delivery: Delivery, error: str) -> None:
        if delivery.patient_id is None:
            log.error(
                "the bot cannot post to the staff chat chat_id=%s id=%s kind=%s error=%s",
                delivery.chat_id,
                delivery.row_id,
                delivery.kind,
                error,
            )
        else:
            log.error("message refused by telegram id=%s kind=%s", delivery.row_id, delivery.kind)
        self._batch.failed.append((delivery, error))
        self._soon()

    def unreachable(self, delivery: Delivery) -> None:
        self._batch.unreachable.append(delivery)
        self._soon()

    def moved(self, delivery: Delivery, new_chat_id: int) -> None:
        self._batch.moved.append((delivery, new_chat_id))
        self._soon()

    async def idle(self) -> None:
        """Returns once every result reported so far is written."""
        while self._task is not None and not self._task.done():
            await self._task

    async def close(self) -> None:
        """Writes what is left; called once the sender has finished."""
        await self.idle()
        if self._batch:
            await self._write()

    # -- writing -------------------------------------------------------------------------

    def _soon(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        # No waiting for company: results that come while a write is under way (or
        # while it waits for the database) share the next one. The sooner a send is
        # recorded, the fewer a crash could send twice.
        while self._batch:
            try:
                await self._write()
                self._pause = FIRST_PAUSE
            except Exception:
                log.exception("could not record sent messages; trying again")
                await asyncio.sleep(self._pause)
                self._pause = min(self._pause * 2, LONGEST_PAUSE)

    async def _write(self) -> None:
        batch, self._batch = self._batch, _Batch()
        try:
            # Not urgent: waiting its turn behind updates lets results gather into
            # fewer, larger writes.
            async with self._services.database.transaction() as session:
                await self._record(session, batch)
        except BaseException:
            # Nothing was written: the results go back, ahead of any newer ones.
            self._batch = _merge(batch, self._batch)
            raise
        for delivery, _, _ in batch.sent:
            log.info("sent id=%s kind=%s", delivery.row_id, delivery.kind)
        # Only now is each row done with: until its result is written, a crash would
        # send it again, so the dispatcher counts it as in flight.
        for delivery in batch.deliveries():
            if delivery.on_done is not None:
                delivery.on_done()
        if batch.moved:
            self._on_moved()

    async def _record(self, session: AsyncSession, batch: _Batch) -> None:
        services = self._services
        now = services.clock()
        await outbox.mark_sent(
            session, sent=[(delivery.row_id, at) for delivery, _, at in batch.sent]
        )
        await outbox.retry_later(session, retries=[retry for _, retry in batch.retries])
        await outbox.mark_failed(
            session,
            failures=[(d.row_id, error) for d, error in batch.failed]
            + [
                (d.row_id, "403 forbidden" if d.patient_id is None else "403 blocked")
                for d in batch.unreachable
            ],
        )
        # Replies are in the log already, written with the update they answer. Only what
        # went to the patient's own (private) chat is their conversation: a staff alert
        # about them is not, and may quote the words they typed about their health.
        await add_to_log(
            session,
            entries=[
                (
                    delivery.patient_id,
                    LogEntry(
                        Direction.OUT,
                        delivery.kind[:16],
                        delivery.message.log_text,
                        at,
                        telegram_message_id=message_id,
                    ),
                )
                for delivery, message_id, at in batch.sent
                if delivery.patient_id is not None
                and delivery.kind != outbox.REPLY
                and delivery.chat_id > 0  # private chats have positive ids, groups negative
            ],
        )
        for delivery in batch.unreachable:
            if delivery.patient_id is not None:
                await stop_unreachable(session, patient_id=delivery.patient_id, now=now)
                log.info("patient unreachable, their messages stop id=%s", delivery.row_id)
            else:
                log.error(
                    "the bot cannot post to the staff chat (removed from the group?) "
                    "chat_id=%s id=%s",
                    delivery.chat_id,
                    delivery.row_id,
                )
        for delivery, new_chat_id in batch.moved:
            # The row stays pending: re-addressed with the others, it goes out again.
            await outbox.retry_later(
                session,
                retries=[Retry(delivery.row_id, now, "group moved", count_attempt=False)],
            )
            await staff.follow_move(
                session,
                staff_chat=services.staff_chat,
                roster=services.staff,
                old_chat_id=delivery.chat_id,
                new_chat_id=new_chat_id,
                now=now,
            )
        settled: dict[str, list[Any]] = defaultdict(list)
        for delivery in [d for d, _, _ in batch.sent]:
            if (settle := delivery.message.settle) is not None:
                settled[settle.kind].append(settle.item)
        for delivery, _ in batch.failed:
            if (settle := delivery.message.settle) is not None and not settle.if_delivered:
                settled[settle.kind].append(settle.item)
        for kind, items in settled.items():
            await SETTLERS[kind](session, services, items, now)


def _merge(first: _Batch, then: _Batch) -> _Batch:
    return _Batch(
        sent=first.sent + then.sent,
        retries=first.retries + then.retries,
        failed=first.failed + then.failed,
        unreachable=first.unreachable + then.unreachable,
        moved=first.moved + then.moved,
    )
