"""Availability: listing a month of free times with 10,000 appointments booked in it.

The worst case for the query: all 10,000 appointments are active and fall inside the
month the booking screen looks at, in a clinic with enough rooms to hold them. Timed
is what a booking step does: read what holds times (`appointments.booked_between`,
which counts the active appointments per start and end, so the database returns a few
hundred rows rather than 10,000) and compute the free ones
(`clinic.schedule.free_slots`), in one transaction.
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, text

from bench.harness import fresh_database, percentiles
from clinic.clock import utc_now
from clinic.content import load_content
from clinic.schedule import day_slots, free_slots
from db import appointments
from db.engine import Database
from db.models import Appointment, Patient

ZONE = ZoneInfo("America/Toronto")
RUNS = 50


async def measure(url: str, count: int = 10_000) -> tuple[float, float, int]:
    """Median and p95 in ms of listing the month's free times, and how many were free."""
    await fresh_database(url)
    schedule = load_content().schedule
    now = utc_now()
    slots = [
        start
        for day in range(1, schedule.horizon_days + 1)
        for start in day_slots(schedule, (now + timedelta(days=day)).astimezone(ZONE).date(), ZONE)
    ]
    rooms = -(-count // len(slots)) + 1  # enough seats for all, and one free in each slot
    schedule = dataclasses.replace(schedule, capacity=rooms)
    database = Database(url)
    async with database.transaction() as session:
        await session.execute(
            insert(Patient),
            [
                {"telegram_id": 20_000_000 + n, "first_name": f"P{n}", "created_at": now}
                for n in range(count)
            ],
        )
    async with database.transaction() as session:
        await session.execute(
            insert(Appointment),
            [
                {
                    "patient_id": n + 1,
                    "starts_at": slots[n % len(slots)],
                    "ends_at": slots[n % len(slots)] + schedule.length,
                    "seat": n // len(slots),
                    "status": "confirmed",
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(count)
            ],
        )
    if database.engine.dialect.name == "postgresql":
        # What autovacuum does within a minute of such a change, and long before a
        # clinic has booked 10,000: without statistics the planner expects one row and
        # sorts all 10,000 to count them, instead of one pass with a hash.
        async with database.transaction() as session:
            await session.execute(text("ANALYZE appointment"))
    timings = []
    free = 0
    for _ in range(RUNS):
        started = time.perf_counter()
        async with database.transaction() as session:
            booked = await appointments.booked_between(
                session, start=now, end=now + timedelta(days=schedule.horizon_days + 2)
            )
        free = len(free_slots(schedule, booked, now, ZONE))
        timings.append((time.perf_counter() - started) * 1000)
    await database.dispose()
    _, p95, _ = percentiles(timings)
    assert sum(held.count for held in booked) == count, booked
    return statistics.median(timings), p95, free
