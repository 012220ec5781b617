"""Reachability on a real database: blocking the bot stops what goes to the patient's
own chat (aftercare, reminders) but not the staff's alert about them; coming back
reports what was paused, and turning it on again queues the reminders still ahead."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from clinic.aftercare import Laser
from clinic.content import load_content
from clinic.statuses import AppointmentStatus, OutboxStatus, PlanStatus
from db import aftercare, appointments, outbox
from db.engine import Database
from db.models import AftercarePlan, OutboxMessage, Patient
from db.patients import upsert_patient
from services import notify, patients

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
ANA = 4242
STAFF_CHAT = -100123
# When a treatment's preparation messages go (none here: these are consultations).
PREPARATION = notify.Preparation(load_content().schedule.treatments, ZoneInfo("America/Toronto"))


async def _patient(database: Database) -> int:
    async with database.transaction() as session:
        return await upsert_patient(
            session,
            telegram_id=ANA,
            first_name="Ana",
            last_name=None,
            username=None,
            language_code="en",
            now=NOW,
        )


async def _treated_and_booked(database: Database, patient_id: int) -> tuple[int, int]:
    """An active aftercare plan with its next nudge, a confirmed consultation in three
    days with its reminders, and a warning-sign alert to staff: all pending."""
    async with database.transaction() as session:
        plan = await aftercare.start(
            session,
            patient_id=patient_id,
            laser=Laser.CO2,
            treated_on=date(2026, 3, 1),
            send_at=time(9, 0),
            now=NOW,
        )
        booked = await appointments.book(
            session,
            patient_id=patient_id,
            starts_at=NOW + timedelta(days=3),
            length=timedelta(minutes=30),
            capacity=1,
            name="Ana",
            phone="+14165550100",
            status=AppointmentStatus.CONFIRMED,
            now=NOW,
        )
        assert booked is not None
        outbox.enqueue(
            session,
            kind="nudge",
            chat_id=ANA,
            patient_id=patient_id,
            plan_id=plan.id,
            due_at=NOW + timedelta(hours=18),
            now=NOW,
        )
        for hours in (24, 2):
            outbox.enqueue(
                session,
                kind="reminder",
                chat_id=ANA,
                patient_id=patient_id,
                appointment_id=booked.id,
                payload={"hours": hours},
                due_at=booked.starts_at - timedelta(hours=hours),
                now=NOW,
            )
        outbox.enqueue(
            session,
            kind="triage_alert",
            chat_id=STAFF_CHAT,
            patient_id=patient_id,
            due_at=NOW,
            now=NOW,
        )
    return plan.id, booked.id


async def _pending(database: Database) -> list[tuple[str, int]]:
    async with database.transaction() as session:
        rows = await session.execute(
            select(OutboxMessage.kind, OutboxMessage.chat_id)
            .where(OutboxMessage.status == OutboxStatus.PENDING)
            .order_by(OutboxMessage.due_at, OutboxMessage.id)
        )
        return [(kind, chat_id) for kind, chat_id in rows]


async def test_blocking_stops_the_plan_and_private_messages_not_the_staff_alert(
    database: Database,
) -> None:
    patient_id = await _patient(database)
    plan_id, _ = await _treated_and_booked(database, patient_id)
    async with database.transaction() as session:
        came_back = await patients.membership_changed(
            session, telegram_id=ANA, reachable=False, now=NOW
        )
    assert came_back is None
    assert await _pending(database) == [("triage_alert", STAFF_CHAT)]
    async with database.transaction() as session:
        plan = await session.get_one(AftercarePlan, plan_id)
        assert (plan.status, plan.end_reason) == (PlanStatus.STOPPED, "unreachable")
        assert await session.scalar(select(Patient.reachable)) is False


async def test_an_undeliverable_message_stops_them_the_same_way(database: Database) -> None:
    patient_id = await _patient(database)
    await _treated_and_booked(database, patient_id)
    async with database.transaction() as session:
        await patients.stop_unreachable(session, patient_id=patient_id, now=NOW)
    assert await _pending(database) == [("triage_alert", STAFF_CHAT)]


async def test_coming_back_reports_what_was_paused_and_resumes_the_reminders(
    database: Database,
) -> None:
    patient_id = await _patient(database)
    plan_id, appointment_id = await _treated_and_booked(database, patient_id)
    async with database.transaction() as session:
        await patients.membership_changed(session, telegram_id=ANA, reachable=False, now=NOW)
    later = NOW + timedelta(hours=1)
    async with database.transaction() as session:
        came_back = await patients.membership_changed(
            session, telegram_id=ANA, reachable=True, now=later
        )
        assert came_back == patient_id
        # Unblocked twice (or a second update): they came back once.
        assert (
            await patients.membership_changed(session, telegram_id=ANA, reachable=True, now=later)
            is None
        )
        paused = await patients.paused(session, patient_id=patient_id, now=later)
        assert paused
        assert paused.plan is not None and paused.plan.id == plan_id
        assert [appointment.id for appointment in paused.appointments] == [appointment_id]
        await patients.resume_reminders(
            session, appointments=paused.appointments, preparation=PREPARATION, now=later
        )
    # Nothing restarts on its own: the plan stays stopped until the patient chooses.
    pending = await _pending(database)
    assert pending == [("triage_alert", STAFF_CHAT), ("reminder", ANA), ("reminder", ANA)]
    async with database.transaction() as session:
        assert await session.scalar(select(Patient.reachable)) is True
        plan = await session.get_one(AftercarePlan, plan_id)
        assert plan.status == PlanStatus.STOPPED


async def test_resuming_twice_leaves_one_set_of_reminders(database: Database) -> None:
    patient_id = await _patient(database)
    await _treated_and_booked(database, patient_id)
    async with database.transaction() as session:
        await patients.stop_unreachable(session, patient_id=patient_id, now=NOW)
        paused = await patients.paused(session, patient_id=patient_id, now=NOW)
        await patients.resume_reminders(
            session, appointments=paused.appointments, preparation=PREPARATION, now=NOW
        )
        await patients.resume_reminders(
            session, appointments=paused.appointments, preparation=PREPARATION, now=NOW
        )
    assert [kind for kind, _ in await _pending(database)].count("reminder") == 2


async def test_an_unknown_chat_changes_nothing(database: Database) -> None:
    async with database.transaction() as session:
        assert (
            await patients.membership_changed(session, telegram_id=1, reachable=False, now=NOW)
            is None
        )
