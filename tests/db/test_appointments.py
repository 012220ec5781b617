"""db.appointments: times held, seats taken, statuses and moves."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from clinic.schedule import Booked, Schedule, Unavailable, free_slots, why_unavailable
from clinic.statuses import AppointmentStatus
from db import appointments
from db.appointments import booked_between
from db.engine import Database
from db.models import ACTIVE_STATUSES, Appointment
from tests.db.support import NOW, add_patient

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


HOUR = timedelta(hours=1)
LENGTH = timedelta(minutes=30)
REQUESTED, CONFIRMED = AppointmentStatus.REQUESTED, AppointmentStatus.CONFIRMED
CANCELLED = AppointmentStatus.CANCELLED


async def _book(
    database: Database,
    patient_id: int,
    starts_at: datetime,
    status: AppointmentStatus = CONFIRMED,
    capacity: int = 1,
) -> appointments.AppointmentView | None:
    async with database.transaction() as session:
        return await appointments.book(
            session,
            patient_id=patient_id,
            starts_at=starts_at,
            length=LENGTH,
            capacity=capacity,
            name="Ana Silva",
            phone="+14165550100",
            status=status,
            now=NOW,
        )


async def _statuses(database: Database, *ids: int) -> list[str]:
    async with database.transaction() as session:
        found = [await appointments.find(session, appointment_id=i) for i in ids]
    return [a.status if a is not None else "missing" for a in found]


async def test_book_takes_a_free_seat_until_none_is_left(database: Database) -> None:
    ana = await add_patient(database)
    at = NOW + 2 * HOUR
    first = await _book(database, ana, at, REQUESTED, capacity=2)
    assert first is not None
    assert first.status == REQUESTED
    assert (first.patient_id, first.starts_at, first.ends_at) == (ana, at, at + LENGTH)
    assert (first.name, first.phone, first.created_at) == ("Ana Silva", "+14165550100", NOW)
    assert first.active and first.rescheduled_from_id is None
    second = await _book(database, ana, at, CONFIRMED, capacity=2)
    assert second is not None and second.id != first.id
    assert await _book(database, ana, at, capacity=2) is None
    # A seat freed by a cancellation is taken again.
    async with database.transaction() as session:
        await appointments.change_status(
            session, appointment_id=first.id, status=CANCELLED, now=NOW
        )
    assert await _book(database, ana, at, capacity=2) is not None
    async with database.transaction() as session:
        seats = await session.scalars(
            select(Appointment.seat).where(Appointment.starts_at == at).order_by(Appointment.id)
        )
        assert list(seats) == [0, 1, 0]


async def test_find_and_find_own(database: Database) -> None:
    ana = await add_patient(database)
    ben = await add_patient(database, telegram_id=2, first_name="Ben")
    booked = await _book(database, ana, NOW + HOUR)
    assert booked is not None
    async with database.transaction() as session:
        assert await appointments.find(session, appointment_id=booked.id) == booked
        assert await appointments.find(session, appointment_id=booked.id + 99) is None
        own = await appointments.find_own(session, appointment_id=booked.id, patient_id=ana)
        assert own == booked
        assert (
            await appointments.find_own(session, appointment_id=booked.id, patient_id=ben) is None
        )


async def test_change_status_records_who_decided_and_who_cancelled(database: Database) -> None:
    ana = await add_patient(database)
    booked = await _book(database, ana, NOW + HOUR, REQUESTED)
    assert booked is not None
    later = NOW + timedelta(minutes=5)
    async with database.transaction() as session:
        confirmed = await appointments.change_status(
            session, appointment_id=booked.id, status=CONFIRMED, now=later, decided_by="Lee"
        )
    assert (confirmed.status, confirmed.decided_by, confirmed.decided_at) == (
        CONFIRMED,
        "Lee",
        later,
    )
    assert confirmed.cancelled_by is None
    async with database.transaction() as session:
        cancelled = await appointments.change_status(
            session,
            appointment_id=booked.id,
            status=CANCELLED,
            now=later + HOUR,
            cancelled_by="staff",
            cancel_reason="ill",
        )
    assert (cancelled.cancelled_by, cancelled.cancel_reason) == ("staff", "ill")
    assert (cancelled.decided_by, cancelled.decided_at) == ("Lee", later)
    assert not cancelled.active
    async with database.transaction() as session:
        row = await session.get_one(Appointment, booked.id)
        assert (row.status, row.updated_at) == ("cancelled", later + HOUR)


async def _move(
    database: Database, old_id: int, starts_at: datetime, status: AppointmentStatus
) -> appointments.Moved | None:
    async with database.transaction() as session:
        return await appointments.reschedule(
            session,
            old_id=old_id,
            starts_at=starts_at,
            length=LENGTH,
            capacity=1,
            status=status,
            now=NOW,
            prescreen_id=None,
        )


async def test_a_request_to_move_a_confirmed_time_keeps_it(database: Database) -> None:
    ana = await add_patient(database)
    confirmed = await _book(database, ana, NOW + HOUR)
    assert confirmed is not None
    moved = await _move(database, confirmed.id, NOW + 2 * HOUR, REQUESTED)
    assert moved is not None and moved.cancelled == []
    assert (moved.new.status, moved.new.rescheduled_from_id) == (REQUESTED, confirmed.id)
    assert await _statuses(database, confirmed.id) == [CONFIRMED]
    async with database.transaction() as session:
        assert await appointments.replaced_by_move(session, appointment=moved.new) == confirmed
        assert await appointments.replaced_by_move(session, appointment=confirmed) is None
    # A second request replaces the first; moving the pending move moves the request.
    again = await _move(database, confirmed.id, NOW + 3 * HOUR, REQUESTED)
    assert again is not None and [a.id for a in again.cancelled] == [moved.new.id]
    third = await _move(database, again.new.id, NOW + 4 * HOUR, REQUESTED)
    assert third is not None and [a.id for a in third.cancelled] == [again.new.id]
    assert third.new.rescheduled_from_id == confirmed.id
    assert await _statuses(database, confirmed.id, moved.new.id, again.new.id, third.new.id) == [
        CONFIRMED,
        CANCELLED,
        CANCELLED,
        REQUESTED,
    ]
    # Staff confirm it: the confirmed time is given up then.
    async with database.transaction() as session:
        new = await appointments.change_status(
            session, appointment_id=third.new.id, status=CONFIRMED, now=NOW
        )
        replaced = await appointments.finish_move(session, appointment=new, now=NOW)
    assert replaced is not None and replaced.id == confirmed.id
    assert (replaced.status, replaced.cancelled_by, replaced.cancel_reason) == (
        CANCELLED,
        "patient",
        "rescheduled",
    )
    async with database.transaction() as session:
        # Nothing is left to replace.
        assert await appointments.finish_move(session, appointment=new, now=NOW) is None
        assert await appointments.finish_move(session, appointment=replaced, now=NOW) is None


async def test_a_confirmed_move_or_a_moved_request_cancels_the_old(database: Database) -> None:
    ana = await add_patient(database)
    confirmed = await _book(database, ana, NOW + HOUR)
    requested = await _book(database, ana, NOW + 2 * HOUR, REQUESTED)
    assert confirmed is not None and requested is not None
    moved = await _move(database, confirmed.id, NOW + 3 * HOUR, CONFIRMED)
    assert moved is not None and [a.id for a in moved.cancelled] == [confirmed.id]
    assert moved.cancelled[0].cancel_reason == "rescheduled"
    assert (moved.new.status, moved.new.rescheduled_from_id) == (CONFIRMED, confirmed.id)
    request_moved = await _move(database, requested.id, NOW + 4 * HOUR, REQUESTED)
    assert request_moved is not None and [a.id for a in request_moved.cancelled] == [requested.id]
    assert await _statuses(database, confirmed.id, requested.id) == [CANCELLED, CANCELLED]


async def test_a_move_to_a_taken_time_changes_nothing(database: Database) -> None:
    ana = await add_patient(database)
    ben = await add_patient(database, telegram_id=2, first_name="Ben")
    mine = await _book(database, ana, NOW + HOUR)
    pending = await _book(database, ana, NOW + 2 * HOUR, REQUESTED)
    taken = await _book(database, ben, NOW + 3 * HOUR)
    assert mine is not None and pending is not None and taken is not None
    async with database.transaction() as session:
        row = await session.get_one(Appointment, pending.id)
        row.rescheduled_from_id = mine.id
    assert await _move(database, mine.id, NOW + 3 * HOUR, CONFIRMED) is None
    assert await _move(database, mine.id, NOW + 3 * HOUR, REQUESTED) is None
    assert await _statuses(database, mine.id, pending.id, taken.id) == [
        CONFIRMED,
        REQUESTED,
        CONFIRMED,
    ]


async def test_between_upcoming_and_count_active(database: Database) -> None:
    ana = await add_patient(database)
    ben = await add_patient(database, telegram_id=2, first_name="Ben")
    past = await _book(database, ana, NOW - HOUR)
    soon = await _book(database, ana, NOW + HOUR, REQUESTED)
    later = await _book(database, ana, NOW + 2 * HOUR)
    gone = await _book(database, ana, NOW + 3 * HOUR)
    bens = await _book(database, ben, NOW + 4 * HOUR)
    assert past and soon and later and gone and bens
    async with database.transaction() as session:
        await appointments.change_status(session, appointment_id=gone.id, status=CANCELLED, now=NOW)
    async with database.transaction() as session:
        upcoming = await appointments.upcoming_for_patient(session, patient_id=ana, now=NOW)
        assert [a.id for a in upcoming] == [soon.id, later.id]
        assert await appointments.count_active(session, patient_id=ana, now=NOW) == 2
        assert await appointments.count_active(session, patient_id=ben, now=NOW) == 1
        assert await appointments.count_active(session, patient_id=ben, now=NOW + 4 * HOUR) == 0
        found = await appointments.between(
            session, start=NOW - HOUR, end=NOW + 4 * HOUR, statuses={CONFIRMED, CANCELLED}
        )
        # [start, end): the one at the end is left out.
        assert [a.id for a in found] == [past.id, later.id, gone.id]
        assert [
            a.id
            for a in await appointments.between(
                session, start=NOW, end=NOW + 5 * HOUR, statuses={REQUESTED}
            )
        ] == [soon.id]
        newest = await appointments.of_patient(session, patient_id=ana, limit=2)
        assert [a.id for a in newest] == [gone.id, later.id]
