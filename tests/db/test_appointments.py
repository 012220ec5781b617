"""db.appointments: times held, seats taken, statuses and moves."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from clinic.schedule import Booked, Schedule, Unavailable, free_slots, why_unavailable
from db.appointments import booked_between
from db.engine import Database
from db.models import ACTIVE_STATUSES, Appointment
from tests.db.support import NOW

TORONTO = ZoneInfo("America/Toronto")
NIGHT = Schedule(
    hours={weekday: ((time(1), time(4)),) for weekday in range(7)},
    closed=frozenset(),
    capacity=2,
)


def toronto(day: date, hour: int, minute: int = 0) -> datetime:
    """A local wall-clock time; in the repeated hour, its first occurrence."""
    return datetime.combine(day, time(hour, minute), TORONTO).astimezone(UTC)


@pytest.mark.parametrize(
    ("day", "bookings", "free"),
    [
        # Spring forward: 2:00 to 3:00 does not exist, so a 60-minute consultation
        # booked at 1:30 ends at 3:30 by the wall clock and holds a seat of 3:00 too.
        (
            date(2026, 3, 8),
            [
                ((1, 0), 30, "confirmed", 2),
                ((1, 30), 60, "requested", 1),
                ((3, 0), 30, "confirmed", 1),
                ((3, 30), 30, "cancelled", 2),
                ((3, 30), 30, "declined", 1),
            ],
            ["01:30", "03:30"],
        ),
        # Fall back: 1:00 to 2:00 happens twice; the slots are its first occurrence.
        (
            date(2026, 11, 1),
            [
                ((1, 0), 30, "requested", 1),
                ((1, 0), 30, "confirmed", 1),
                ((1, 30), 30, "confirmed", 1),
                ((1, 30), 30, "no_show", 1),
                ((2, 0), 60, "confirmed", 1),
                ((2, 30), 30, "confirmed", 1),
                ((3, 0), 30, "completed", 2),
            ],
            ["01:30", "02:00", "03:00", "03:30"],
        ),
    ],
)
async def test_free_times_come_from_counts_per_time(
    database: Database,
    day: date,
    bookings: list[tuple[tuple[int, int], int, str, int]],
    free: list[str],
) -> None:
    """The database counts active appointments per (start, end); the free times are the
    ones the single appointments give, on the days the clocks change too."""
    now = toronto(day - timedelta(days=7), 12)
    rows = [
        (toronto(day, *at), timedelta(minutes=minutes), status)
        for at, minutes, status, copies in bookings
        for _ in range(copies)
    ]
    # Outside what a booking step reads: long before now, beyond the horizon.
    rows += [
        (now - timedelta(days=2), timedelta(minutes=30), "confirmed"),
        (now + timedelta(days=40), timedelta(minutes=30), "confirmed"),
    ]
    seats: Counter[tuple[datetime, bool]] = Counter()
    async with database.transaction() as session:
        for starts_at, length, status in rows:
            active = status in ACTIVE_STATUSES
            session.add(
                Appointment(
                    starts_at=starts_at,
                    ends_at=starts_at + length,
                    seat=seats[starts_at, active],
                    status=status,
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
            seats[starts_at, active] += 1
    end = now + timedelta(days=NIGHT.horizon_days + 2)
    async with database.transaction() as session:
        counted = await booked_between(session, start=now, end=end)
    one_by_one = [
        Booked(starts_at, starts_at + length)
        for starts_at, length, status in rows
        if status in ACTIVE_STATUSES and now - timedelta(days=1) <= starts_at <= end
    ]
    expected = Counter((b.starts_at, b.ends_at) for b in one_by_one)
    assert sorted((b.starts_at, b.ends_at, b.count) for b in counted) == sorted(
        (start, end, count) for (start, end), count in expected.items()
    )
    slots = free_slots(NIGHT, counted, now, TORONTO, first_day=day, last_day=day)
    assert [slot.astimezone(TORONTO).strftime("%H:%M") for slot in slots] == free
    assert slots == free_slots(NIGHT, one_by_one, now, TORONTO, first_day=day, last_day=day)
    for slot in free_slots(NIGHT, [], now, TORONTO, first_day=day, last_day=day):
        reason = why_unavailable(NIGHT, counted, now, TORONTO, slot)
        assert reason is (None if slot in slots else Unavailable.TAKEN)
