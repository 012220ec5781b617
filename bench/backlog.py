"""Staff backlog: posts to the staff group queued while patients browse the FAQ.

Telegram lets a bot post 20 messages a minute in one group, and the stand-in enforces
it (429 with the seconds until the minute frees up). 100 staff cards (`--backlog-posts`)
are queued and due before the bot starts, as a busy hour of bookings leaves them: each
is a requested appointment booked with `db.appointments.book` and its `staff_card`
outbox row queued with `db.outbox.enqueue`, in one seeding transaction, as the booking
handler does. Then 20 patients browse the FAQ (closed loop, a fixed number of taps
each, reading each answer for a second before the next tap, so that the browsing
lasts long enough to meet the backlog) while the bot works through the backlog. The
same run without the backlog is the reference: a backlog in the staff group's lane
must not slow the patients.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import faq
from bench.harness import STAFF, bot_process, fresh_database, standin, until
from clinic.clock import utc_now
from db import appointments, outbox, patients
from db.engine import Database

FIRST_BOOKED = 20_000_000
LENGTH = timedelta(minutes=30)


async def seed_staff_cards(url: str, count: int, *, staff_chat_id: int = STAFF) -> None:
    """`count` requested appointments, each with its staff card due now."""
    database = Database(url)
    now = utc_now()
    # Tomorrow from 14:00 UTC on, half an hour apart: one per time, all ahead.
    first = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
    first += timedelta(hours=14)
    async with database.transaction() as session:
        for number in range(count):
            patient_id = await patients.upsert_patient(
                session,
                telegram_id=FIRST_BOOKED + number,
                first_name=f"Booked{number}",
                last_name=None,
                username=None,
                language_code="en",
                now=now,
            )
            booked = await appointments.book(
                session,
                patient_id=patient_id,
                starts_at=first + number * LENGTH,
                length=LENGTH,
                capacity=1,
                name=f"Booked Patient {number}",
                phone=f"+1416555{number:04d}",
                status="requested",
                now=now,
            )
            assert booked is not None, "a seeded time was taken"
            outbox.enqueue(
                session,
                kind="staff_card",
                chat_id=staff_chat_id,
                due_at=now,
                now=now,
                appointment_id=booked.id,
            )
    await database.dispose()


@dataclass
class Backlogged:
    run: faq.Run
    posts: int  # staff cards queued before the start
    staff_sent: int  # staff posts that reached the group while the patients browsed
    # (the first one came before they started)
    refused_429: int  # the stand-in's group-limit refusals meanwhile


async def run(
    url: str,
    work: Path,
    plan: list[list[str]] | None,
    *,
    posts: int,
    patients: int,
    taps: int,
    delay: float,
    group_per_minute: int,
    max_seconds: float | None,
    first_id: int,
    think: float = 0.0,
) -> tuple[Backlogged, list[list[str]]]:
    """One run: a fresh database, `posts` staff cards due (0: none), the bot started,
    the patients browsing from the moment it is up (with a backlog: from its first
    staff post). Learns the plan if not given."""
    await fresh_database(url)
    if posts:
        await seed_staff_cards(url, posts)
    env = {"DATABASE_URL": url, "STAFF_CHAT_ID": str(STAFF)}
    async with (
        standin(delay=delay, group_messages_per_minute=group_per_minute) as server,
        bot_process(server, work, env, log_level="INFO") as bot,
    ):
        await until(lambda: bool(server.commands), 60, "the bot to start")
        if plan is None:
            plan = await faq.learn(server, taps)
        if posts:
            # The patients come once the bot works on the backlog (its first tick may
            # come a few seconds after the start).
            await until(lambda: server.sent_to.get(STAFF, 0) > 0, 60, "the first staff post")
        sent_before = server.sent_to.get(STAFF, 0)
        result = await faq.measure(
            server,
            bot,
            plan,
            patients=patients,
            taps=taps,
            first_id=first_id,
            max_seconds=max_seconds,
            think=think,
        )
        staff_sent = server.sent_to.get(STAFF, 0) - sent_before
        refused = server.call_counts["429 group"]
    return Backlogged(result, posts, staff_sent, refused), plan
