"""db.aftercare: invited, started, nudged, paused and resumed, ended; check-ins."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from clinic.aftercare import Laser
from clinic.statuses import OutboxStatus, PlanStatus
from db import aftercare, outbox
from db.aftercare import PlanView
from db.engine import Database
from db.models import AftercarePlan, OutboxMessage
from tests.db.support import NOW, add_appointment, add_patient

TREATED = date(2026, 10, 30)
NINE = time(9)
LATER = NOW + timedelta(minutes=5)


async def _plan_row(database: Database, plan_id: int) -> tuple[str, datetime | None, str | None]:
    async with database.transaction() as session:
        row = (
            await session.execute(
                select(
                    AftercarePlan.status, AftercarePlan.ended_at, AftercarePlan.end_reason
                ).where(AftercarePlan.id == plan_id)
            )
        ).one()
    return row.status, row.ended_at, row.end_reason


async def _queue(database: Database, *, patient_id: int, plan_id: int, count: int = 2) -> None:
    async with database.transaction() as session:
        for day in range(count):
            outbox.enqueue(
                session,
                kind="aftercare_nudge",
                chat_id=42,
                due_at=NOW + timedelta(days=day + 1),
                now=NOW,
                patient_id=patient_id,
                plan_id=plan_id,
                payload={"day": day + 1},
            )


async def _outbox_statuses(database: Database, plan_id: int) -> list[str]:
    async with database.transaction() as session:
        return list(
            (
                await session.scalars(
                    select(OutboxMessage.status)
                    .where(OutboxMessage.plan_id == plan_id)
                    .order_by(OutboxMessage.id)
                )
            ).all()
        )


async def test_an_invitation_replaces_the_unanswered_one(database: Database) -> None:
    ana = await add_patient(database)
    visit = await add_appointment(database, patient_id=ana, starts_at=NOW - timedelta(days=2))
    async with database.transaction() as session:
        assert await aftercare.invitation(session, patient_id=ana) is None
        assert await aftercare.newest(session, patient_id=ana) is None
        first = await aftercare.invite(
            session,
            patient_id=ana,
            laser=Laser.CO2,
            treated_on=TREATED,
            recorded_by="Dr. Lee",
            appointment_id=visit,
            now=NOW,
        )
    assert first == PlanView(
        first.id, ana, Laser.CO2, TREATED, PlanStatus.INVITED, None, None, "Dr. Lee", visit
    )
    async with database.transaction() as session:
        second = await aftercare.invite(
            session,
            patient_id=ana,
            laser=Laser.ERBIUM,
            treated_on=TREATED,
            recorded_by="Dr. Lee",
            appointment_id=None,
            now=LATER,
        )
    async with database.transaction() as session:
        assert await aftercare.invitation(session, patient_id=ana) == second
        assert await aftercare.newest(session, patient_id=ana) == second
        assert await aftercare.active(session, patient_id=ana) is None
        assert await aftercare.of_appointment(session, appointment_id=visit) == PlanView(
            first.id, ana, Laser.CO2, TREATED, PlanStatus.DECLINED, None, None, "Dr. Lee", visit
        )
        assert await aftercare.find(session, plan_id=second.id, patient_id=ana) == second
        assert await aftercare.find(session, plan_id=second.id, patient_id=ana + 1) is None
    assert await _plan_row(database, first.id) == ("declined", LATER, "replaced")


async def test_starting_the_invited_plan(database: Database) -> None:
    ana = await add_patient(database)
    async with database.transaction() as session:
        invited = await aftercare.invite(
            session,
            patient_id=ana,
            laser=Laser.CO2,
            treated_on=TREATED,
            recorded_by="Dr. Lee",
            appointment_id=None,
            now=NOW,
        )
        started = await aftercare.start(
            session,
            patient_id=ana,
            laser=Laser.ERBIUM,
            treated_on=TREATED - timedelta(days=1),
            send_at=NINE,
            now=LATER,
            invited_id=invited.id,
        )
    assert started == PlanView(
        invited.id,
        ana,
        Laser.ERBIUM,
        TREATED - timedelta(days=1),
        PlanStatus.ACTIVE,
        NINE,
        None,
        "Dr. Lee",
        None,
    )
    async with database.transaction() as session:
        assert await aftercare.active(session, patient_id=ana) == started
        assert await aftercare.invitation(session, patient_id=ana) is None
        row = await session.get_one(AftercarePlan, invited.id)
        assert row.started_at == LATER


async def test_someone_elses_invitation_is_not_started(database: Database) -> None:
    ana = await add_patient(database)
    ben = await add_patient(database, telegram_id=2, first_name="Ben")
    async with database.transaction() as session:
        bens = await aftercare.invite(
            session,
            patient_id=ben,
            laser=Laser.CO2,
            treated_on=TREATED,
            recorded_by="Dr. Lee",
            appointment_id=None,
            now=NOW,
        )
        started = await aftercare.start(
            session,
            patient_id=ana,
            laser=Laser.CO2,
            treated_on=TREATED,
            send_at=NINE,
            now=NOW,
            invited_id=bens.id,
        )
    assert started.id != bens.id
    assert started.patient_id == ana
    assert started.recorded_by is None
    async with database.transaction() as session:
        assert await aftercare.invitation(session, patient_id=ben) == bens


async def test_a_new_plan_stops_the_one_sending(database: Database) -> None:
    ana = await add_patient(database)
    async with database.transaction() as session:
        old = await aftercare.start(
            session, patient_id=ana, laser=Laser.CO2, treated_on=TREATED, send_at=NINE, now=NOW
        )
    await _queue(database, patient_id=ana, plan_id=old.id)
    async with database.transaction() as session:
        new = await aftercare.start(
            session,
            patient_id=ana,
            laser=Laser.ERBIUM,
            treated_on=TREATED,
            send_at=time(20),
            now=LATER,
        )
    assert new.id != old.id and new.status == PlanStatus.ACTIVE and new.recorded_by is None
    assert await _plan_row(database, old.id) == ("stopped", LATER, "replaced")
    assert await _outbox_statuses(database, old.id) == ["cancelled", "cancelled"]
    async with database.transaction() as session:
        assert await aftercare.active(session, patient_id=ana) == new
        assert await aftercare.newest(session, patient_id=ana) == new


async def test_decline_only_lapses_an_invitation(database: Database) -> None:
    ana = await add_patient(database)
    async with database.transaction() as session:
        invited = await aftercare.invite(
            session,
            patient_id=ana,
            laser=Laser.CO2,
            treated_on=TREATED,
            recorded_by="Dr. Lee",
            appointment_id=None,
            now=NOW,
        )
        sending = await aftercare.start(
            session, patient_id=ana, laser=Laser.CO2, treated_on=TREATED, send_at=NINE, now=NOW
        )
        await aftercare.decline(session, plan_id=invited.id, now=LATER)
        await aftercare.decline(session, plan_id=sending.id, now=LATER)
    assert await _plan_row(database, invited.id) == ("declined", LATER, "patient")
    assert await _plan_row(database, sending.id) == ("active", None, None)


async def test_end_cancels_the_pending_messages(database: Database) -> None:
    ana = await add_patient(database)
    async with database.transaction() as session:
        plan = await aftercare.start(
            session, patient_id=ana, laser=Laser.CO2, treated_on=TREATED, send_at=NINE, now=NOW
        )
    await _queue(database, patient_id=ana, plan_id=plan.id)
    async with database.transaction() as session:
        await aftercare.end(
            session, plan_id=plan.id, status=PlanStatus.STOPPED, reason="patient", now=LATER
        )
    assert await _plan_row(database, plan.id) == ("stopped", LATER, "patient")
    assert await _outbox_statuses(database, plan.id) == [OutboxStatus.CANCELLED] * 2
    async with database.transaction() as session:
        assert await aftercare.active(session, patient_id=ana) is None
        # Stopped by the patient, not for a blocked chat: not paused.
        assert await aftercare.paused(session, patient_id=ana) is None
        assert await aftercare.resume(session, plan_id=plan.id) is None


async def test_a_blocked_chat_pauses_the_plan_until_resumed(database: Database) -> None:
    ana = await add_patient(database)
    ben = await add_patient(database, telegram_id=2, first_name="Ben")
    async with database.transaction() as session:
        plan = await aftercare.start(
            session, patient_id=ana, laser=Laser.CO2, treated_on=TREATED, send_at=NINE, now=NOW
        )
        invited = await aftercare.invite(
            session,
            patient_id=ana,
            laser=Laser.ERBIUM,
            treated_on=TREATED,
            recorded_by="Dr. Lee",
            appointment_id=None,
            now=NOW,
        )
        bens = await aftercare.start(
            session, patient_id=ben, laser=Laser.CO2, treated_on=TREATED, send_at=NINE, now=NOW
        )
    await _queue(database, patient_id=ana, plan_id=plan.id)
    async with database.transaction() as session:
        await aftercare.end_for_patient(session, patient_id=ana, reason="unreachable", now=LATER)
    assert await _plan_row(database, plan.id) == ("stopped", LATER, "unreachable")
    assert await _plan_row(database, invited.id) == ("stopped", LATER, "unreachable")
    assert await _plan_row(database, bens.id) == ("active", None, None)
    assert await _outbox_statuses(database, plan.id) == ["cancelled", "cancelled"]
    async with database.transaction() as session:
        # The plan that was sending is what the block paused, not the newer invitation
        # it lapsed (the patient never said yes to that one): it cannot be resumed.
        paused = await aftercare.paused(session, patient_id=ana)
        assert paused is not None and paused.id == plan.id
        assert await aftercare.resume(session, plan_id=invited.id) is None
        resumed = await aftercare.resume(session, plan_id=plan.id)
        assert resumed is not None and resumed.id == plan.id
        assert resumed.status == PlanStatus.ACTIVE
        assert await aftercare.resume(session, plan_id=plan.id) is None
    assert await _plan_row(database, plan.id) == ("active", None, None)


async def test_nudged_sending_times_and_complete(database: Database) -> None:
    ana = await add_patient(database)
    ben = await add_patient(database, telegram_id=2, first_name="Ben")
    cleo = await add_patient(database, telegram_id=3, first_name="Cleo")
    async with database.transaction() as session:
        a = await aftercare.start(
            session, patient_id=ana, laser=Laser.CO2, treated_on=TREATED, send_at=NINE, now=NOW
        )
        b = await aftercare.start(
            session,
            patient_id=ben,
            laser=Laser.CO2,
            treated_on=TREATED,
            send_at=time(20, 30),
            now=NOW,
        )
        c = await aftercare.invite(
            session,
            patient_id=cleo,
            laser=Laser.CO2,
            treated_on=TREATED,
            recorded_by="Dr. Lee",
            appointment_id=None,
            now=NOW,
        )
        await aftercare.nudged(session, days={})
        await aftercare.nudged(session, days={a.id: 3, b.id: 5})
        assert await aftercare.sending_times(session, plan_ids=[]) == {}
        assert await aftercare.sending_times(session, plan_ids=[a.id, b.id, c.id]) == {
            a.id: NINE,
            b.id: time(20, 30),
        }
        await aftercare.complete(session, plan_ids=[], now=LATER)
        await aftercare.complete(session, plan_ids=[a.id, c.id], now=LATER)
    async with database.transaction() as session:
        found_a = await aftercare.find(session, plan_id=a.id)
        found_b = await aftercare.find(session, plan_id=b.id)
        assert found_a is not None and found_a.last_nudge_day == 3
        assert found_b is not None and found_b.last_nudge_day == 5
        assert await aftercare.sending_times(session, plan_ids=[a.id, b.id]) == {b.id: time(20, 30)}
    assert await _plan_row(database, a.id) == ("completed", LATER, None)
    assert await _plan_row(database, c.id) == ("invited", None, None)


async def test_change_time_cancels_what_was_queued(database: Database) -> None:
    ana = await add_patient(database)
    async with database.transaction() as session:
        plan = await aftercare.start(
            session, patient_id=ana, laser=Laser.CO2, treated_on=TREATED, send_at=NINE, now=NOW
        )
    await _queue(database, patient_id=ana, plan_id=plan.id)
    async with database.transaction() as session:
        moved = await aftercare.change_time(session, plan_id=plan.id, send_at=time(18))
    assert moved.send_at == time(18) and moved.status == PlanStatus.ACTIVE
    assert await _outbox_statuses(database, plan.id) == ["cancelled", "cancelled"]


async def test_checkins_are_recorded(database: Database) -> None:
    ana = await add_patient(database)
    async with database.transaction() as session:
        plan = await aftercare.start(
            session, patient_id=ana, laser=Laser.CO2, treated_on=TREATED, send_at=NINE, now=NOW
        )
        ok = await aftercare.record_checkin(session, plan_id=plan.id, day=2, answer="ok", now=NOW)
        sign = await aftercare.record_checkin(
            session, plan_id=plan.id, day=3, answer="sign", sign="blisters", now=LATER
        )
    async with database.transaction() as session:
        assert await aftercare.checkin(session, checkin_id=ok) == aftercare.Checkin(
            ok, plan.id, 2, "ok", None, NOW
        )
        assert await aftercare.checkin(session, checkin_id=sign) == aftercare.Checkin(
            sign, plan.id, 3, "sign", "blisters", LATER
        )
        assert await aftercare.checkin(session, checkin_id=sign + 100) is None
