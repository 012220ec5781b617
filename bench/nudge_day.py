"""Nudge day: many patients on an aftercare plan, every day-1 nudge due in the same minute.

The 100,000 plans are inserted in bulk; how fast the opt-in path makes plans one by
one (the patient row, `services.aftercare.start`) is measured on a sample.
The bot then starts as its own
process and the stand-in counts what reaches each chat: every patient must get exactly
one message, and the database must hold one sent and one queued (day 2) row per plan.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text

from bench.harness import bot_process, fresh_database, until
from bot.playground.botapi import StandIn
from clinic.aftercare import Laser, next_nudge
from clinic.clock import utc_now
from clinic.content import load_content
from clinic.when import local_date
from db import patients
from db.engine import Database
from db.models import AftercarePlan, OutboxMessage, Patient
from services import aftercare
from services.aftercare import NUDGE, hhmm

ZONE = ZoneInfo("America/Toronto")
FIRST_PATIENT = 10_000_000
PER_TRANSACTION = 1000


@dataclass
class Seeded:
    count: int
    due_at: datetime
    seconds: float  # creating the plans and their first nudges


def _due_minute(now: datetime) -> tuple[datetime, date]:
    """The next whole minute (local), and a treatment date that makes day 1 due then."""
    due = (now + timedelta(minutes=1)).astimezone(ZONE).replace(second=0, microsecond=0)
    return due, local_date(now, ZONE) - timedelta(days=1)


async def opt_in_rate(url: str, count: int) -> float:
    """Plans per second made one by one the way an opt-in makes them."""
    await fresh_database(url)
    database = Database(url)
    started = time.perf_counter()
    await opt_in(database, first_telegram_id=FIRST_PATIENT, count=count, now=utc_now())
    seconds = time.perf_counter() - started
    await database.dispose()
    return count / seconds


async def opt_in(database: Database, *, first_telegram_id: int, count: int, now: datetime) -> None:
    """`count` patients opting in the way the bot's opt-in does it (the patient row,
    `services.aftercare.start`), day 1 due at the minute after `now`: a
    `now` two minutes back makes them due at once."""
    care = load_content().fallback.aftercare.plans[Laser.CO2]
    due, treated_on = _due_minute(now)
    for first in range(0, count, PER_TRANSACTION):
        async with database.transaction() as session:
            for number in range(first, min(first + PER_TRANSACTION, count)):
                patient_id = await patients.upsert_patient(
                    session,
                    telegram_id=first_telegram_id + number,
                    first_name=f"Patient{number}",
                    last_name=None,
                    username=None,
                    language_code="en",
                    now=now,
                )
                await aftercare.start(
                    session,
                    patient_id=patient_id,
                    care=care,
                    treated_on=treated_on,
                    send_at=due.time(),
                    invited_id=None,
                    zone=ZONE,
                    now=now,
                )


async def seed(url: str, count: int, *, now: datetime | None = None) -> Seeded:
    """`count` patients with an active CO2 plan whose day-1 nudge is due at the minute
    after `now` (default: the real time), inserted a thousand rows per statement, as an
    import would. The due time comes from the plan's own schedule (`next_nudge`); a
    `now` two minutes back makes the whole day due at once."""
    await fresh_database(url)
    database = Database(url)
    care = load_content().fallback.aftercare.plans[Laser.CO2]
    now = now or utc_now()
    due, treated_on = _due_minute(now)
    upcoming = next_nudge(care, treated_on=treated_on, at=due.time(), zone=ZONE, now=now)
    assert upcoming is not None and upcoming[0] == 1, upcoming
    day, due_at = upcoming
    started = time.perf_counter()
    for first in range(0, count, PER_TRANSACTION):
        numbers = range(first, min(first + PER_TRANSACTION, count))
        async with database.transaction() as session:
            # A fresh database numbers rows from 1, so row n is patient n and plan n.
            await session.execute(
                insert(Patient),
                [
                    {
                        "telegram_id": FIRST_PATIENT + n,
                        "first_name": f"Patient{n}",
                        "language_code": "en",
                        "reachable": True,
                        "created_at": now,
                    }
                    for n in numbers
                ],
            )
            await session.execute(
                insert(AftercarePlan),
                [
                    {
                        "patient_id": n + 1,
                        "laser": Laser.CO2.value,
                        "treated_on": treated_on,
                        "status": "active",
                        "send_at": due.time(),
                        "created_at": now,
                        "started_at": now,
                    }
                    for n in numbers
                ],
            )
            await session.execute(
                insert(OutboxMessage),
                [
                    {
                        "kind": NUDGE,
                        "chat_id": FIRST_PATIENT + n,
                        "patient_id": n + 1,
                        "plan_id": n + 1,
                        "payload": {"day": day, "at": hhmm(due.time())},
                        "due_at": due_at,
                        "status": "pending",
                        "attempts": 0,
                        "created_at": now,
                    }
                    for n in numbers
                ],
            )
    seconds = time.perf_counter() - started
    if not database.is_sqlite:
        # As autovacuum would after such an import: without table statistics the planner
        # takes the outbox for empty and sorts every due row at each claim.
        async with database.engine.connect() as connection:
            await connection.execute(text("ANALYZE"))
            await connection.commit()
    await database.dispose()
    return Seeded(count, due_at, seconds)


@dataclass
class Dispatched:
    delivered: int  # nudges that reached a chat while measured
    seconds: float  # from the first nudge received to the last one measured
    rate: float
    peak_memory_mb: float
    refused_429: int  # the stand-in's flood-limit refusals
    lost: int  # marked sent without reaching the chat, or failed, or gone
    doubled: int  # second copies, in all runs so far


async def dispatch(
    server: StandIn,
    url: str,
    seeded: Seeded,
    workdir: Path,
    *,
    messages_per_second: float,
    window: float,
) -> Dispatched:
    """Starts the bot once the nudges are due; measures until all have arrived, or for
    `window` seconds from the first one (0: no window); stops the bot and checks rows
    against what each chat received. Runs again on the same day go on where the last
    one stopped."""
    chats = [FIRST_PATIENT + number for number in range(seeded.count)]
    for chat_id in chats:
        server.chats.setdefault(chat_id, [])
    before = sum(server.sent_to.values())
    refused_before = server.call_counts["429 flood"]
    first_at: list[float] = []

    def on_call(chat_id: int, method: str) -> None:
        if not first_at and method == "sendMessage":
            first_at.append(time.perf_counter())

    def done() -> bool:
        if sum(server.sent_to.values()) >= len(chats):
            return True
        return bool(window and first_at and time.perf_counter() - first_at[0] >= window)

    server.on_call = on_call
    await until(lambda: utc_now() >= seeded.due_at, 120, "the nudges to fall due", every=0.2)
    env = {"DATABASE_URL": url, "TELEGRAM_MESSAGES_PER_SECOND": str(messages_per_second)}
    async with bot_process(server, workdir, env) as bot:
        budget = 120 + (window or seeded.count / min(messages_per_second or 1000, 1000) * 4)
        await until(done, budget, f"the nudges (see {bot.log})", every=0.1)
        last = time.perf_counter()
        delivered = sum(server.sent_to.values()) - before
        peak = bot.peak_memory_mb()
    server.on_call = None
    await settle(server)  # a send under way at the stop still lands
    seconds = last - first_at[0]
    received = [server.sent_to.get(chat_id, 0) for chat_id in chats]
    database = Database(url)
    async with database.transaction() as session:
        statuses = dict(
            (
                await session.execute(
                    select(OutboxMessage.status, func.count())
                    .where(OutboxMessage.kind == NUDGE)
                    .group_by(OutboxMessage.status)
                )
            ).all()
        )
    await database.dispose()
    sent, pending = statuses.get("sent", 0), statuses.get("pending", 0)
    reached = sum(1 for n in received if n)
    # Each nudge sent queued the next day's: pending rows stay one per plan.
    gone = seeded.count - pending
    other = sum(statuses.values()) - sent - pending
    return Dispatched(
        delivered=delivered,
        seconds=seconds,
        rate=(delivered - 1) / seconds if seconds > 0 else 0.0,
        peak_memory_mb=peak,
        refused_429=server.call_counts["429 flood"] - refused_before,
        lost=max(0, sent - reached) + other + max(0, gone),
        doubled=sum(n - 1 for n in received if n > 1),
    )


async def settle(server: StandIn, quiet: float = 1.0) -> None:
    """Returns once nothing more has arrived for `quiet` seconds."""
    seen = -1
    while (total := sum(server.sent_to.values())) != seen:
        seen = total
        await asyncio.sleep(quiet)
