"""services.booking on a real database: what a booking returns, and what it leaves."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from clinic.schedule import Schedule, Unavailable
from clinic.statuses import AppointmentStatus, OutboxStatus
from db import outbox
from db.engine import Database
from db.models import Appointment, OutboxMessage, Patient
from db.patients import upsert_patient
from services import booking

ZONE = ZoneInfo("America/Toronto")
OPEN = ((time(10), time(12)),)
# Monday to Friday, 10:00 to 12:00: four half-hour consultations a day.
SCHEDULE = Schedule(hours=dict.fromkeys(range(5), OPEN), closed=frozenset(), horizon_days=14)
NOW = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)  # Monday 2 March, 08:00 in Toronto
CALENDAR = booking.Calendar(SCHEDULE, ZONE, NOW)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant in March 2026, Toronto time (standard time until the 8th)."""
    return datetime(2026, 3, day, hour, minute, tzinfo=ZONE).astimezone(UTC)


TUESDAY_10 = local(3, 10)


async def add_patient(database: Database, telegram_id: int) -> int:
    async with database.transaction() as session:
        return await upsert_patient(
            session,
            telegram_id=telegram_id,
            first_name="Ana",
            last_name=None,
            username=None,
            language_code="en",
            now=NOW,
        )


async def book(
    database: Database,
    patient_id: int,
    start: datetime,
    *,
    staff_confirm: bool = False,
    move: int | None = None,
    calendar: booking.Calendar = CALENDAR,
) -> booking.BookResult:
    async with database.transaction() as session:
        return await booking.book(
            session,
            calendar,
            patient_id=patient_id,
            start=start,
            name="Ana Silva",
            phone="+14165550123",
            staff_confirm=staff_confirm,
            move=move,
        )


async def appointments(database: Database) -> list[tuple[int | None, datetime, str, int | None]]:
    async with database.transaction() as session:
        rows = await session.execute(
            select(
                Appointment.patient_id,
                Appointment.starts_at,
                Appointment.status,
                Appointment.rescheduled_from_id,
            ).order_by(Appointment.id)
        )
        return [(row[0], row[1], row[2], row[3]) for row in rows]


async def test_a_free_time_is_booked_and_the_number_kept(database: Database) -> None:
    ana = await add_patient(database, 1)
    result = await book(database, ana, TUESDAY_10)

    assert isinstance(result, booking.Booked)
    assert result.appointment.starts_at == TUESDAY_10
    assert result.appointment.ends_at == TUESDAY_10 + timedelta(minutes=30)
    assert (result.moved, result.kept) == (False, None)
    assert await appointments(database) == [(ana, TUESDAY_10, "confirmed", None)]
    async with database.transaction() as session:
        assert await session.scalar(select(Patient.phone)) == "+14165550123"
        begun = await booking.begin(session, patient_id=ana, now=NOW, per_patient=2)
    assert begun == booking.Begun(phone="+14165550123")


async def test_a_taken_time_offers_the_nearest_free_ones(database: Database) -> None:
    ana, ben = await add_patient(database, 1), await add_patient(database, 2)
    assert isinstance(await book(database, ana, TUESDAY_10), booking.Booked)

    result = await book(database, ben, TUESDAY_10)

    assert result == booking.Taken(
        TUESDAY_10,
        # Six free times nearest Tuesday 10:00, in time order: Monday's are too soon.
        [
            local(3, 10, 30),
            local(3, 11),
            local(3, 11, 30),
            local(4, 10),
            local(4, 10, 30),
            local(4, 11),
        ],
    )
    assert await appointments(database) == [(ana, TUESDAY_10, "confirmed", None)]
    async with database.transaction() as session:
        assert await booking.free_times(session, CALENDAR, day=date(2026, 3, 3)) == [
            local(3, 10, 30),
            local(3, 11),
            local(3, 11, 30),
        ]


async def test_a_time_that_cannot_be_booked_says_why(database: Database) -> None:
    ana = await add_patient(database, 1)
    assert await book(database, ana, local(2, 11)) == booking.Unavailable(Unavailable.TOO_SOON)
    assert await book(database, ana, local(3, 9, 30)) == booking.Unavailable(Unavailable.CLOSED)
    assert await appointments(database) == []


async def test_one_upcoming_consultation_per_patient(database: Database) -> None:
    ana = await add_patient(database, 1)
    assert isinstance(await book(database, ana, TUESDAY_10), booking.Booked)

    assert await book(database, ana, local(4, 10)) == booking.LimitReached()
    async with database.transaction() as session:
        begun = await booking.begin(
            session, patient_id=ana, now=NOW, per_patient=SCHEDULE.per_patient
        )
    assert begun == booking.LimitReached()
    assert await appointments(database) == [(ana, TUESDAY_10, "confirmed", None)]

    # Once it has passed, it no longer counts.
    later = booking.Calendar(SCHEDULE, ZONE, TUESDAY_10 + timedelta(hours=1))
    result = await book(database, ana, local(4, 10), calendar=later)
    assert isinstance(result, booking.Booked)


async def test_staff_confirm_or_the_booking_stands_at_once(database: Database) -> None:
    ana, ben = await add_patient(database, 1), await add_patient(database, 2)
    assert booking.new_status(True) is AppointmentStatus.REQUESTED
    assert booking.new_status(False) is AppointmentStatus.CONFIRMED

    requested = await book(database, ana, TUESDAY_10, staff_confirm=True)
    confirmed = await book(database, ben, local(3, 11), staff_confirm=False)

    assert isinstance(requested, booking.Booked) and isinstance(confirmed, booking.Booked)
    assert requested.appointment.status == AppointmentStatus.REQUESTED
    assert confirmed.appointment.status == AppointmentStatus.CONFIRMED
    assert await appointments(database) == [
        (ana, TUESDAY_10, "requested", None),
        (ben, local(3, 11), "confirmed", None),
    ]


async def test_a_move_waiting_for_staff_keeps_the_confirmed_time(database: Database) -> None:
    ana = await add_patient(database, 1)
    first = await book(database, ana, TUESDAY_10)
    assert isinstance(first, booking.Booked)
    old = first.appointment
    async with database.transaction() as session:
        outbox.enqueue(
            session,
            kind="reminder",
            chat_id=1,
            patient_id=ana,
            appointment_id=old.id,
            due_at=TUESDAY_10 - timedelta(hours=2),
            now=NOW,
        )

    moved = await book(database, ana, local(4, 11), staff_confirm=True, move=old.id)

    assert isinstance(moved, booking.Booked)
    assert moved.moved and moved.kept is not None and moved.kept.id == old.id
    assert moved.appointment.status == AppointmentStatus.REQUESTED
    assert await appointments(database) == [
        (ana, TUESDAY_10, "confirmed", None),
        (ana, local(4, 11), "requested", old.id),
    ]
    async with database.transaction() as session:
        reminder = await session.scalar(select(OutboxMessage.status))
    assert reminder == OutboxStatus.PENDING  # the old time's reminder still goes


async def test_a_move_confirmed_at_once_gives_up_the_old_time(database: Database) -> None:
    ana = await add_patient(database, 1)
    first = await book(database, ana, TUESDAY_10)
    assert isinstance(first, booking.Booked)
    old = first.appointment
    async with database.transaction() as session:
        outbox.enqueue(
            session,
            kind="reminder",
            chat_id=1,
            patient_id=ana,
            appointment_id=old.id,
            due_at=TUESDAY_10 - timedelta(hours=2),
            now=NOW,
        )

    moved = await book(database, ana, local(4, 11), move=old.id)

    assert isinstance(moved, booking.Booked)
    assert moved.moved and moved.kept is None
    assert await appointments(database) == [
        (ana, TUESDAY_10, "cancelled", None),
        (ana, local(4, 11), "confirmed", old.id),
    ]
    async with database.transaction() as session:
        reminder = await session.scalar(select(OutboxMessage.status))
    assert reminder == OutboxStatus.CANCELLED
    # The freed time is bookable again.
    ben = await add_patient(database, 2)
    assert isinstance(await book(database, ben, TUESDAY_10), booking.Booked)


async def test_a_move_to_a_taken_time_changes_nothing(database: Database) -> None:
    ana, ben = await add_patient(database, 1), await add_patient(database, 2)
    mine = await book(database, ana, TUESDAY_10)
    assert isinstance(mine, booking.Booked)
    assert isinstance(await book(database, ben, local(4, 11)), booking.Booked)

    result = await book(database, ana, local(4, 11), move=mine.appointment.id)

    assert isinstance(result, booking.Taken) and local(4, 11) not in result.nearest
    assert [status for _, _, status, _ in await appointments(database)] == [
        "confirmed",
        "confirmed",
    ]


async def test_only_the_patients_own_upcoming_appointment_moves(database: Database) -> None:
    ana, ben = await add_patient(database, 1), await add_patient(database, 2)
    bens = await book(database, ben, TUESDAY_10)
    assert isinstance(bens, booking.Booked)

    result = await book(database, ana, local(4, 11), move=bens.appointment.id)

    assert result == booking.NotMovable()
    assert await appointments(database) == [(ben, TUESDAY_10, "confirmed", None)]


async def test_the_days_come_a_week_at_a_time(database: Database) -> None:
    async with database.transaction() as session:
        first = await booking.days_page(session, CALENDAR, week=0)
        second = await booking.days_page(session, CALENDAR, week=1)
        beyond = await booking.days_page(session, CALENDAR, week=9)
    # Today's times are too soon; the weekend is closed.
    assert first == booking.DaysPage(
        week=0,
        days=[date(2026, 3, d) for d in (3, 4, 5, 6)],
        has_later=True,
        none_at_all=False,
    )
    assert second.days == [date(2026, 3, d) for d in (9, 10, 11, 12, 13)]
    assert beyond.week == 2 and beyond.days == [date(2026, 3, 16)] and not beyond.has_later


async def test_no_free_time_at_all_is_said_once(database: Database) -> None:
    # One consultation on Tuesday, and nothing else within the horizon.
    only = Schedule(hours={1: ((time(10), time(10, 30)),)}, closed=frozenset(), horizon_days=6)
    calendar = booking.Calendar(only, ZONE, NOW)
    ana = await add_patient(database, 1)
    async with database.transaction() as session:
        page = await booking.days_page(session, calendar, week=0)
    assert page.days == [date(2026, 3, 3)] and not page.none_at_all

    assert isinstance(await book(database, ana, TUESDAY_10, calendar=calendar), booking.Booked)

    async with database.transaction() as session:
        page = await booking.days_page(session, calendar, week=0)
    assert page == booking.DaysPage(week=0, days=[], has_later=False, none_at_all=True)
    ben = await add_patient(database, 2)
    assert await book(database, ben, TUESDAY_10, calendar=calendar) == booking.Taken(TUESDAY_10, [])
