"""Aftercare use cases on a real database (SQLite and PostgreSQL): starting a plan,
advancing it day by day, skipping a day whose date has passed, stopping, moving the
time, declining, checking in."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from clinic.aftercare import CarePlan, Laser
from clinic.content import load_content
from clinic.statuses import OutboxStatus, PlanStatus
from db.aftercare import invite
from db.engine import Database
from db.models import AftercareCheckin, AftercarePlan, OutboxMessage
from db.patients import upsert_patient
from services import aftercare
from services.aftercare import (
    ALERT,
    NUDGE,
    Answer,
    Declined,
    NothingLeft,
    NotRunning,
    SendDay,
    SkipDay,
    Started,
    Stopped,
    TimeChanged,
)

ZONE = ZoneInfo("America/Toronto")
SETTINGS = load_content().fallback.aftercare
CO2: CarePlan = SETTINGS.plans[Laser.CO2]
SUNDAY = date(2026, 11, 22)  # the treatment day (day 0)
STAFF_CHAT = -100123


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE).astimezone(UTC)


MONDAY_10AM = local(date(2026, 11, 23), 10)


async def add_patient(database: Database, telegram_id: int = 42) -> int:
    async with database.transaction() as session:
        return await upsert_patient(
            session,
            telegram_id=telegram_id,
            first_name="Ana",
            last_name=None,
            username=None,
            language_code="en",
            now=MONDAY_10AM,
        )


async def start(
    database: Database,
    patient_id: int,
    *,
    at: time = time(18),
    treated_on: date = SUNDAY,
    now: datetime = MONDAY_10AM,
) -> Started | NothingLeft:
    async with database.transaction() as session:
        return await aftercare.start(
            session,
            patient_id=patient_id,
            care=CO2,
            treated_on=treated_on,
            send_at=at,
            invited_id=None,
            zone=ZONE,
            now=now,
        )


async def nudges(database: Database) -> list[tuple[str, int, str, datetime]]:
    """(status, day, time of day, due) of every nudge row, in due order."""
    async with database.transaction() as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == NUDGE)
            .order_by(OutboxMessage.due_at, OutboxMessage.id)
        )
        return [(r.status, r.payload["day"], r.payload["at"], r.due_at) for r in rows]


async def plan_row(database: Database, plan_id: int) -> tuple[str, int | None, time | None]:
    async with database.transaction() as session:
        row = await session.get(AftercarePlan, plan_id)
        assert row is not None
        return row.status, row.last_nudge_day, row.send_at


async def send_due(database: Database, plan_id: int, day: int, now: datetime) -> None:
    """What the dispatcher does with a day's row when it is due: decide, then settle."""
    async with database.transaction() as session:
        decision = await aftercare.due_nudge(
            session,
            plan_id=plan_id,
            chat_id=42,
            day=day,
            at="18:00",
            settings=SETTINGS,
            zone=ZONE,
            now=now,
        )
        assert isinstance(decision, SendDay), decision
        await aftercare.advance(session, [decision.done], now)


async def test_starting_a_plan_queues_day_one_at_the_chosen_local_time(
    database: Database,
) -> None:
    patient_id = await add_patient(database)
    started = await start(database, patient_id)
    assert isinstance(started, Started)
    monday_6pm = local(date(2026, 11, 23), 18)
    assert started.first == monday_6pm
    assert await nudges(database) == [("pending", 1, "18:00", monday_6pm)]
    assert await plan_row(database, started.plan.id) == (PlanStatus.ACTIVE, None, time(18))


async def test_a_plan_whose_days_have_all_passed_starts_with_nothing_left(
    database: Database,
) -> None:
    patient_id = await add_patient(database)
    long_ago = SUNDAY - timedelta(days=CO2.last_day + 1)
    assert isinstance(await start(database, patient_id, treated_on=long_ago), NothingLeft)
    assert await nudges(database) == []


async def test_advancing_records_the_day_and_queues_the_next(database: Database) -> None:
    patient_id = await add_patient(database)
    started = await start(database, patient_id)
    assert isinstance(started, Started)
    await send_due(database, started.plan.id, 1, local(date(2026, 11, 23), 18))
    assert await plan_row(database, started.plan.id) == (PlanStatus.ACTIVE, 1, time(18))
    # The dispatcher marks the first row sent; here it stays pending, the second is new.
    assert (await nudges(database))[1] == ("pending", 2, "18:00", local(date(2026, 11, 24), 18))


async def test_advancing_after_the_last_day_completes_the_plan(database: Database) -> None:
    patient_id = await add_patient(database)
    last = CO2.last_day
    # Treated long enough ago that only the last day is still ahead.
    treated_on = date(2026, 11, 23) - timedelta(days=last)
    started = await start(database, patient_id, treated_on=treated_on)
    assert isinstance(started, Started)
    assert [(day, due) for _, day, _, due in await nudges(database)] == [
        (last, local(date(2026, 11, 23), 18))
    ]
    await send_due(database, started.plan.id, last, local(date(2026, 11, 23), 18))
    assert await plan_row(database, started.plan.id) == (PlanStatus.COMPLETED, last, time(18))
    assert len(await nudges(database)) == 1  # nothing more queued


async def test_a_day_whose_date_has_passed_is_skipped_to_the_next_day_ahead(
    database: Database,
) -> None:
    patient_id = await add_patient(database)
    started = await start(database, patient_id)
    assert isinstance(started, Started)
    # The bot was down from before Monday 6 p.m. until Wednesday 10 a.m.
    wednesday_10am = local(date(2026, 11, 25), 10)
    async with database.transaction() as session:
        decision = await aftercare.due_nudge(
            session,
            plan_id=started.plan.id,
            chat_id=42,
            day=1,
            at="18:00",
            settings=SETTINGS,
            zone=ZONE,
            now=wednesday_10am,
        )
        assert isinstance(decision, SkipDay) and decision.day == 1
        # Deciding wrote nothing.
        row = await session.get(AftercarePlan, started.plan.id)
        assert row is not None and row.last_nudge_day is None
        await aftercare.advance(session, [decision.done], wednesday_10am)
    # Tuesday's day 2 is gone too: the next is Wednesday's day 3, at 6 p.m.
    assert await plan_row(database, started.plan.id) == (PlanStatus.ACTIVE, 1, time(18))
    assert (await nudges(database))[-1] == ("pending", 3, "18:00", local(date(2026, 11, 25), 18))


async def test_a_day_already_sent_or_queued_before_a_change_of_time_is_not_wanted(
    database: Database,
) -> None:
    patient_id = await add_patient(database)
    started = await start(database, patient_id)
    assert isinstance(started, Started)
    monday_6pm = local(date(2026, 11, 23), 18)
    await send_due(database, started.plan.id, 1, monday_6pm)
    async with database.transaction() as session:
        again = await aftercare.due_nudge(
            session,
            plan_id=started.plan.id,
            chat_id=42,
            day=1,
            at="18:00",
            settings=SETTINGS,
            zone=ZONE,
            now=monday_6pm,
        )
        old_time = await aftercare.due_nudge(
            session,
            plan_id=started.plan.id,
            chat_id=42,
            day=2,
            at="09:00",
            settings=SETTINGS,
            zone=ZONE,
            now=monday_6pm,
        )
    assert again is None and old_time is None


async def test_stopping_cancels_the_pending_rows(database: Database) -> None:
    patient_id = await add_patient(database)
    started = await start(database, patient_id)
    assert isinstance(started, Started)
    async with database.transaction() as session:
        result = await aftercare.stop_or_decline(session, patient_id=patient_id, now=MONDAY_10AM)
    assert isinstance(result, Stopped) and result.plan.id == started.plan.id
    assert [status for status, *_ in await nudges(database)] == [OutboxStatus.CANCELLED]
    assert (await plan_row(database, started.plan.id))[0] == PlanStatus.STOPPED
    # Advancing a stopped plan's day (its message was on its way) queues nothing.
    async with database.transaction() as session:
        await aftercare.advance(
            session,
            [
                aftercare.DayDone(
                    started.plan.id, patient_id, 42, 1, "18:00", (2, local(date(2026, 11, 24), 18))
                )
            ],
            MONDAY_10AM,
        )
    assert len(await nudges(database)) == 1
    async with database.transaction() as session:
        again = await aftercare.stop_or_decline(session, patient_id=patient_id, now=MONDAY_10AM)
    assert isinstance(again, NotRunning)


async def test_changing_the_time_moves_the_next_row(database: Database) -> None:
    patient_id = await add_patient(database)
    started = await start(database, patient_id)
    assert isinstance(started, Started)
    async with database.transaction() as session:
        changed = await aftercare.change_time(
            session, plan=started.plan, care=CO2, send_at=time(9), zone=ZONE, now=MONDAY_10AM
        )
    # Monday 9 a.m. has passed: day 1 goes, day 2 comes on Tuesday at 9.
    tuesday_9am = local(date(2026, 11, 24), 9)
    assert isinstance(changed, TimeChanged) and changed.next_at == tuesday_9am
    assert await nudges(database) == [
        ("cancelled", 1, "18:00", local(date(2026, 11, 23), 18)),
        ("pending", 2, "09:00", tuesday_9am),
    ]
    assert await plan_row(database, started.plan.id) == (PlanStatus.ACTIVE, None, time(9))


async def test_declining_an_invitation(database: Database) -> None:
    patient_id = await add_patient(database)
    async with database.transaction() as session:
        plan = await invite(
            session,
            patient_id=patient_id,
            laser=Laser.CO2,
            treated_on=SUNDAY,
            recorded_by="Maria",
            appointment_id=None,
            now=MONDAY_10AM,
        )
        result = await aftercare.stop_or_decline(session, patient_id=patient_id, now=MONDAY_10AM)
    assert isinstance(result, Declined) and result.plan.id == plan.id
    assert (await plan_row(database, plan.id))[0] == PlanStatus.DECLINED


async def test_a_warning_sign_is_stored_with_the_day_and_alerts_the_staff(
    database: Database,
) -> None:
    patient_id = await add_patient(database)
    started = await start(database, patient_id)
    assert isinstance(started, Started)
    sign = SETTINGS.signs[0].key
    async with database.transaction() as session:
        await aftercare.check_in(
            session, plan=started.plan, answer=Answer.WORRIED, zone=ZONE, now=MONDAY_10AM
        )
        checkin_id = await aftercare.report_sign(
            session,
            plan=started.plan,
            sign=sign,
            staff_chat_id=STAFF_CHAT,
            zone=ZONE,
            now=MONDAY_10AM,
        )
    async with database.transaction() as session:
        checkins = (
            await session.scalars(select(AftercareCheckin).order_by(AftercareCheckin.id))
        ).all()
        alerts = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == ALERT))
        ).all()
    assert [(c.day, c.answer, c.sign) for c in checkins] == [
        (1, "worried", None),
        (1, "sign", sign),
    ]
    assert [(a.chat_id, a.payload, a.plan_id, a.due_at) for a in alerts] == [
        (STAFF_CHAT, {"checkin": checkin_id}, None, MONDAY_10AM)
    ]
