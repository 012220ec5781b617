"""The outbox dispatcher: claims due rows in batches and hands them to the sender.

A JobQueue tick (and a wake after any update that queued something due now) starts a
pass. A pass claims what Telegram's lanes can take soon, in one short transaction
that also renders each row from what the database holds then (a reminder for an
appointment cancelled meanwhile renders to nothing, and one whose moment has passed,
a reminder after the consultation say, is recorded as expired); the sender sends them outside
any transaction, each chat's in order, and the recorder writes the results in
batches. Telegram's answers decide what happens next (bot.sender):

- 429: the row waits `retry_after` (its lane pauses meanwhile, see bot.lanes);
- 403: the patient blocked the bot; they are marked unreachable, their rows stop;
- 5xx or a network error: retried with backoff, then marked failed and logged;
- 400: our request is wrong and would fail again; marked failed and logged.

Claims are leases (db.outbox): rows a process claimed and never reported, because
it died, are claimed again once the lease ran out; on PostgreSQL two processes claim
side by side (SKIP LOCKED), never the same row.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.lanes import Lane, LaneLimiter
from bot.sender import LEASE, Delivery, Sender
from clinic.clock import utc_now
from db import outbox
from db.liveness import Liveness
from db.outbox import Due
from handlers.context import ClinicContext
from handlers.notices import Expired, Render
from handlers.outgoing import SETTLERS, Outgoing
from services.context import Services

log = logging.getLogger(__name__)

# Rows in flight at once when Telegram's overall limit is off (a self-hosted server):
# as many as there are connections. A crash can send these twice at most.
UNPACED_IN_FLIGHT = 64
# With it on: this many seconds' worth of sends are claimed ahead.
SECONDS_AHEAD = 2.0


class Dispatcher:
    def __init__(
        self,
        services: Services,
        renderers: Mapping[str, Render],
        sender: Sender,
        limiter: LaneLimiter,
        messages_per_second: float,
        liveness: Liveness,
    ) -> None:
        self._services = services
        self._liveness = liveness
        self._renderers = renderers
        self._sender = sender
        self._limiter = limiter
        self._max_private = (
            max(10, int(messages_per_second * SECONDS_AHEAD))
            if messages_per_second
            else UNPACED_IN_FLIGHT
        )
        self._in_flight = {False: 0, True: 0}  # to groups?
        self._room = asyncio.Event()
        self._pass_task: asyncio.Task[None] | None = None
        self._again = False
        self._closing = False
        self._group_wake: asyncio.TimerHandle | None = None

    # -- starting passes ---------------------------------------------------------------

    async def tick(self, _context: ClinicContext | None = None) -> None:
        """The JobQueue's periodic call; also makes sure others can see we are alive."""
        self.wake()
        try:
            await self._liveness.hold()
        except Exception:
            log.warning("could not take the liveness lock; the database may be down")

    def wake(self) -> None:
        """Starts a pass now, or one more right after the pass under way."""
        if self._closing:
            return
        if self._pass_task is None or self._pass_task.done():
            self._pass_task = asyncio.get_running_loop().create_task(self._passes())
        else:
            self._again = True
            self._room.set()

    async def close(self) -> None:
        """Claims nothing more; what was claimed is sent by the sender, which the caller
        closes next, and what is left waits for the next start."""
        self._closing = True
        self._room.set()
        if self._group_wake is not None:
            self._group_wake.cancel()
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

    # -- a pass ----------------------------------------------------------------------

    async def _pass(self) -> None:
        while not self._closing:
            private = self._max_private - self._in_flight[False]
            groups = self._group_room() - self._in_flight[True]
            # Claims come in batches: with half the lane's room still in flight, wait
            # for more room rather than claim a row or two per transaction.
            if private < self._max_private // 2 and self._in_flight[False]:
                private = 0
            if private <= 0 and groups <= 0:
                # Everything the lanes can take is on its way: wait for room.
                self._room.clear()
                await self._room.wait()
                continue
            claimed, deliveries = await self._claim(private, groups)
            for delivery in deliveries:
                self._in_flight[delivery.chat_id < 0] += 1
                self._sender.submit(delivery.chat_id, [delivery])
            if claimed < max(private, 0) + max(groups, 0):
                break  # nothing else is due now
        self._wake_for_group()

    def _group_room(self) -> int:
        staff = self._services.staff_chat_id
        return self._limiter.group_room(staff) if staff is not None else 0

    def _wake_for_group(self) -> None:
        """Staff posts beyond the group's 20 a minute stay unclaimed in the outbox (and
        are rendered fresh when their turn comes); a pass starts when the minute has
        room again."""
        staff = self._services.staff_chat_id
        if staff is None or self._closing or self._group_wake is not None:
            return
        delay = self._limiter.group_free_in(staff)
        loop = asyncio.get_running_loop()
        self._group_wake = loop.call_later(delay + 0.01, self._group_woken)

    def _group_woken(self) -> None:
        self._group_wake = None
        self.wake()

    async def _claim(self, private: int, groups: int) -> tuple[int, list[Delivery]]:
        """How many rows were claimed, and those to send (the others were cancelled)."""
        services = self._services
        async with services.database.transaction() as session:
            now, real_now = services.clock(), utc_now()
            claimed, unreachable = await outbox.claim(
                session,
                now=now,
                lease_now=real_now,
                claimed_until=real_now + LEASE,
                owner=self._liveness.key,
                private=private,
                groups=groups,
            )
            if unreachable:
                log.info("rows to unreachable patients cancelled count=%s", len(unreachable))
            if claimed:
                log.debug("outbox claimed count=%s", len(claimed))
            deadline = time.monotonic() + LEASE.total_seconds()
            deliveries, dropped, expired, broken = [], [], [], []
            settled: dict[str, list[Any]] = defaultdict(list)
            for due in claimed:
                try:
                    message = await self._render(session, due)
                except SQLAlchemyError:
                    raise
                except Exception:
                    log.exception("could not render id=%s kind=%s", due.id, due.kind)
                    broken.append((due.id, "render error"))
                    continue
                if message is None:
                    dropped.append(due.id)
                    log.info("outbox row no longer wanted id=%s kind=%s", due.id, due.kind)
                    continue
                if isinstance(message, Expired):
                    expired.append(due.id)
                    if message.settle is not None:
                        settled[message.settle.kind].append(message.settle.item)
                    log.info("outbox row past its moment id=%s kind=%s", due.id, due.kind)
                    continue
                deliveries.append(self._delivery(due, message, deadline))
            await outbox.mark_cancelled(session, row_ids=dropped)
            await outbox.mark_cancelled(session, row_ids=expired, status=outbox.EXPIRED)
            await outbox.mark_failed(session, failures=broken)
            for kind, items in settled.items():  # what expired rows settle all the same
                await SETTLERS[kind](session, services, items, now)
        return len(claimed) + len(unreachable), deliveries

    async def _render(self, session: AsyncSession, due: Due) -> Outgoing | Expired | None:
        if due.kind == outbox.REPLY:
            # A reply whose process died before sending it: the message is in the row.
            return Outgoing.from_payload(due.payload)
        render = self._renderers.get(due.kind)
        if render is None:
            raise LookupError(f"outbox row of unknown kind {due.kind!r}")
        services = self._services
        # Written at send time in the reader's language: the staff group's, or the
        # patient's as it is now (they may have switched since the row was queued).
        reader = (
            services.for_staff
            if due.chat_id < 0
            else services.speaking(due.language, due.language_code)
        )
        return await render(session, services, due, services.clock(), reader)

    def _delivery(self, due: Due, message: Outgoing, deadline: float) -> Delivery:
        to_group = due.chat_id < 0

        def done() -> None:
            self._in_flight[to_group] -= 1
            self._room.set()
            if to_group:
                self._wake_for_group()  # the group's next turn

        return Delivery(
            row_id=due.id,
            kind=due.kind,
            chat_id=due.chat_id,
            patient_id=due.patient_id,
            message=message,
            lane=Lane.BULK,
            attempts=due.attempts,
            deadline=deadline,
            on_done=done,
        )
