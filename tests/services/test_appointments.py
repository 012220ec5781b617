"""Use cases on appointments against a real database: cancelling (by the patient and by
the clinic), staff's decision (a move included), attendance, recording a treatment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from clinic.aftercare import Laser
from clinic.statuses import AppointmentStatus, OutboxStatus, PlanStatus
from db import appointments as queries
from db.engine import Database
from db.models import AftercarePlan, Audit, OutboxMessage
from db.patients import upsert_patient
from services import appointments, notify
from services.appointments import Already, Cancelled, Done, Gone, NotYet
from services.staff import Actor

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
ZONE = ZoneInfo("America/Toronto")
STAFF_CHAT = -100
ANA_CHAT = 42
NINA = Actor(7, "Nina")
CONFIRMED, REQUESTED = AppointmentStatus.CONFIRMED, AppointmentStatus.REQUESTED


async def patient(database: Database) -> int:
    async with database.transaction() as session:
        return await upsert_patient(
            session,
            telegram_id=ANA_CHAT,
            first_name="Ana",
            last_name=None,
            username=None,
            language_code="en",
            now=NOW,
        )


async def booked(
    database: Database,
    patient_id: int,
    *,
    status: str = CONFIRMED,
    starts_at: datetime = NOW + timedelta(days=2),
    moves: int | None = None,
) -> int:
    """An appointment; confirmed ones with their confirmation and reminders queued."""
    async with database.transaction() as session:
        appointment = await queries.book(
            session,
            patient_id=patient_id,
            starts_at=starts_at,
            length=timedelta(minutes=30),
            capacity=1,
            name="Ana",
            phone="+15145550100",
            status=status,
            now=NOW,
            rescheduled_from_id=moves,
        )
        assert appointment is not None
        if status == CONFIRMED:
            await notify.after_confirmation(session, appointment=appointment, now=NOW)
        return appointment.id


async def status_of(database: Database, appointment_id: int) -> str:
    async with database.transaction() as session:
        found = await queries.find(session, appointment_id=appointment_id)
    assert found is not None
    return found.status


async def messages(database: Database, **where: object) -> list[tuple[str, int, str]]:
    """(kind, chat, status) of the outbox rows, in the order they were queued."""
    async with database.transaction() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        for column, value in where.items():
            query = query.where(getattr(OutboxMessage, column) == value)
        rows = await session.scalars(query)
        return [(row.kind, row.chat_id, row.status) for row in rows]


async def audited(database: Database) -> list[tuple[str, int | None, str | None]]:
    async with database.transaction() as session:
        rows = await session.scalars(select(Audit).order_by(Audit.id))
        return [(row.action, row.target_id, row.detail) for row in rows]


def pending(rows: list[tuple[str, int, str]]) -> list[str]:
    return [kind for kind, _, status in rows if status == OutboxStatus.PENDING]


# -- cancelling: the same effects whoever cancels ------------------------------------------


async def test_the_patient_cancels_and_the_staff_group_is_told(database: Database) -> None:
    ana = await patient(database)
    appointment_id = await booked(database, ana)
    assert pending(await messages(database, appointment_id=appointment_id)) == [
        "confirmed",
        "ics",
        "reminder",
        "reminder",
    ]
    async with database.transaction() as session:
        result = await appointments.cancel_by_patient(
            session,
            patient_id=ana,
            appointment_id=appointment_id,
            reason="unwell",
            now=NOW,
            staff_chat_id=STAFF_CHAT,
        )
    assert isinstance(result, Cancelled) and result.kept is None
    assert result.appointment.status == AppointmentStatus.CANCELLED
    assert (result.appointment.cancelled_by, result.appointment.cancel_reason) == (
        "patient",
        "unwell",
    )
    assert await status_of(database, appointment_id) == AppointmentStatus.CANCELLED
    rows = await messages(database, appointment_id=appointment_id)
    # What was queued for the patient is cancelled; the staff group hears of it.
    assert [(kind, status) for kind, _, status in rows[:4]] == [
        (kind, OutboxStatus.CANCELLED) for kind in ("confirmed", "ics", "reminder", "reminder")
    ]
    assert rows[4:] == [(notify.STAFF_CANCELLED, STAFF_CHAT, OutboxStatus.PENDING)]


async def test_the_clinic_cancels_and_the_patient_is_told(database: Database) -> None:
    ana = await patient(database)
    appointment_id = await booked(database, ana)
    async with database.transaction() as session:
        result = await appointments.cancel_by_staff(
            session, NINA, appointment_id=appointment_id, reason_number=2, reason="ill", now=NOW
        )
    assert isinstance(result, Cancelled)
    assert (result.appointment.cancelled_by, result.appointment.cancel_reason) == ("staff", "ill")
    assert await status_of(database, appointment_id) == AppointmentStatus.CANCELLED
    rows = await messages(database, appointment_id=appointment_id)
    assert [status for _, _, status in rows[:4]] == [OutboxStatus.CANCELLED] * 4
    assert rows[4:] == [(notify.CANCELLED_BY_CLINIC, ANA_CHAT, OutboxStatus.PENDING)]
    assert await audited(database) == [("appointment.cancel", appointment_id, "reason 2")]
    # A second press finds it cancelled: nothing more happens.
    async with database.transaction() as session:
        again = await appointments.cancel_by_staff(
            session, NINA, appointment_id=appointment_id, reason_number=2, reason="ill", now=NOW
        )
    assert isinstance(again, Already)
    assert len(await messages(database, appointment_id=appointment_id)) == 5


async def test_a_patient_cannot_cancel_what_is_not_theirs_or_is_past(database: Database) -> None:
    ana = await patient(database)
    past = await booked(database, ana, starts_at=NOW - timedelta(hours=1))
    ahead = await booked(database, ana)
    async with database.transaction() as session:
        for patient_id, appointment_id in ((ana, past), (ana + 1, ahead), (None, ahead)):
            result = await appointments.cancel_by_patient(
                session,
                patient_id=patient_id,
                appointment_id=appointment_id,
                reason=None,
                now=NOW,
                staff_chat_id=STAFF_CHAT,
            )
            assert isinstance(result, Gone)
    assert await status_of(database, ahead) == CONFIRMED


async def test_cancelling_a_pending_move_keeps_the_confirmed_time(database: Database) -> None:
    ana = await patient(database)
    kept = await booked(database, ana)
    move = await booked(
        database, ana, status=REQUESTED, starts_at=NOW + timedelta(days=3), moves=kept
    )
    async with database.transaction() as session:
        result = await appointments.cancel_by_patient(
            session,
            patient_id=ana,
            appointment_id=move,
            reason=None,
            now=NOW,
            staff_chat_id=STAFF_CHAT,
        )
    assert isinstance(result, Cancelled) and result.kept is not None and result.kept.id == kept
    assert await status_of(database, kept) == CONFIRMED
    assert pending(await messages(database, appointment_id=kept)) == [
        "confirmed",
        "ics",
        "reminder",
        "reminder",
    ]


# -- staff decide a request --------------------------------------------------------------


async def test_confirming_a_request_queues_the_confirmation_and_reminders(
    database: Database,
) -> None:
    ana = await patient(database)
    request = await booked(database, ana, status=REQUESTED)
    async with database.transaction() as session:
        result = await appointments.decide(
            session, NINA, appointment_id=request, confirm=True, now=NOW
        )
    assert isinstance(result, Done) and result.appointment.status == CONFIRMED
    assert result.appointment.decided_by == "Nina"
    assert pending(await messages(database, appointment_id=request)) == [
        "confirmed",
        "ics",
        "reminder",
        "reminder",
    ]
    assert await audited(database) == [("appointment.confirm", request, None)]
    async with database.transaction() as session:
        again = await appointments.decide(
            session, NINA, appointment_id=request, confirm=False, now=NOW
        )
    assert isinstance(again, Already) and again.appointment.status == CONFIRMED


async def test_confirming_a_move_cancels_the_old_time(database: Database) -> None:
    ana = await patient(database)
    old = await booked(database, ana)
    move = await booked(
        database, ana, status=REQUESTED, starts_at=NOW + timedelta(days=3), moves=old
    )
    async with database.transaction() as session:
        result = await appointments.decide(
            session, NINA, appointment_id=move, confirm=True, now=NOW
        )
    assert isinstance(result, Done) and result.appointment.status == CONFIRMED
    assert await status_of(database, old) == AppointmentStatus.CANCELLED
    assert pending(await messages(database, appointment_id=old)) == []
    assert pending(await messages(database, appointment_id=move)) == [
        "confirmed",
        "ics",
        "reminder",
        "reminder",
    ]


async def test_declining_a_move_keeps_the_old_time(database: Database) -> None:
    ana = await patient(database)
    old = await booked(database, ana)
    move = await booked(
        database, ana, status=REQUESTED, starts_at=NOW + timedelta(days=3), moves=old
    )
    async with database.transaction() as session:
        result = await appointments.decide(
            session, NINA, appointment_id=move, confirm=False, now=NOW
        )
    assert isinstance(result, Done) and result.appointment.status == AppointmentStatus.DECLINED
    assert await status_of(database, old) == CONFIRMED
    assert pending(await messages(database, appointment_id=old)) == [
        "confirmed",
        "ics",
        "reminder",
        "reminder",
    ]
    assert await messages(database, appointment_id=move) == [
        (notify.DECLINED, ANA_CHAT, OutboxStatus.PENDING)
    ]
    assert await audited(database) == [("appointment.decline", move, None)]


async def test_a_missing_appointment_is_gone(database: Database) -> None:
    async with database.transaction() as session:
        result = await appointments.decide(session, NINA, appointment_id=999, confirm=True, now=NOW)
    assert isinstance(result, Gone)


# -- attendance ----------------------------------------------------------------------------


async def test_attendance_is_marked_once_the_time_has_come(database: Database) -> None:
    ana = await patient(database)
    starts_at = NOW + timedelta(hours=1)
    came = await booked(database, ana, starts_at=starts_at)
    async with database.transaction() as session:
        early = await appointments.mark_attendance(
            session, NINA, appointment_id=came, came=True, now=NOW, followup_months=12
        )
    assert isinstance(early, NotYet)
    assert await status_of(database, came) == CONFIRMED
    later = starts_at + timedelta(minutes=5)
    async with database.transaction() as session:
        result = await appointments.mark_attendance(
            session, NINA, appointment_id=came, came=True, now=later, followup_months=12
        )
    assert isinstance(result, Done) and result.appointment.status == AppointmentStatus.COMPLETED
    assert pending(await messages(database, appointment_id=came)) == []
    assert await audited(database) == [("appointment.completed", came, None)]


async def test_a_no_show_is_recorded(database: Database) -> None:
    ana = await patient(database)
    starts_at = NOW + timedelta(hours=1)
    missed = await booked(database, ana, starts_at=starts_at)
    async with database.transaction() as session:
        result = await appointments.mark_attendance(
            session,
            NINA,
            appointment_id=missed,
            came=False,
            now=starts_at + timedelta(hours=1),
            followup_months=12,
        )
    assert isinstance(result, Done)
    assert await status_of(database, missed) == AppointmentStatus.NO_SHOW
    assert await audited(database) == [("appointment.no_show", missed, None)]


# -- recording a treatment -----------------------------------------------------------------


async def plans(database: Database) -> list[tuple[str, str, str]]:
    async with database.transaction() as session:
        rows = await session.scalars(select(AftercarePlan).order_by(AftercarePlan.id))
        return [(row.laser, row.treated_on.isoformat(), row.status) for row in rows]


async def test_a_treatment_after_the_start_completes_the_appointment(database: Database) -> None:
    ana = await patient(database)
    starts_at = NOW - timedelta(hours=1)
    appointment_id = await booked(database, ana, starts_at=starts_at)
    async with database.transaction() as session:
        result = await appointments.record_treatment(
            session,
            NINA,
            appointment_id=appointment_id,
            laser=Laser.CO2,
            days_ago=0,
            followup_months=12,
            zone=ZONE,
            now=NOW,
        )
    assert isinstance(result, Done) and result.appointment.status == AppointmentStatus.COMPLETED
    assert await plans(database) == [(Laser.CO2.value, "2026-03-02", PlanStatus.INVITED)]
    assert ("aftercare_invite", ANA_CHAT, OutboxStatus.PENDING) in await messages(
        database, patient_id=ana
    )
    assert await audited(database) == [
        ("appointment.treatment", appointment_id, f"{Laser.CO2.value} 2026-03-02")
    ]
    # The same treatment again (a double tap): one invitation is enough.
    async with database.transaction() as session:
        again = await appointments.record_treatment(
            session,
            NINA,
            appointment_id=appointment_id,
            laser=Laser.CO2,
            days_ago=0,
            followup_months=12,
            zone=ZONE,
            now=NOW,
        )
    assert isinstance(again, Already)
    assert len(await plans(database)) == 1


async def test_a_treatment_before_the_start_leaves_it_confirmed(database: Database) -> None:
    ana = await patient(database)
    appointment_id = await booked(database, ana)
    async with database.transaction() as session:
        result = await appointments.record_treatment(
            session,
            NINA,
            appointment_id=appointment_id,
            laser=Laser.CO2,
            days_ago=1,
            followup_months=12,
            zone=ZONE,
            now=NOW,
        )
    assert isinstance(result, Done) and result.appointment.status == CONFIRMED
    assert await plans(database) == [(Laser.CO2.value, "2026-03-01", PlanStatus.INVITED)]


async def test_no_treatment_on_a_request(database: Database) -> None:
    ana = await patient(database)
    request = await booked(database, ana, status=REQUESTED)
    async with database.transaction() as session:
        result = await appointments.record_treatment(
            session,
            NINA,
            appointment_id=request,
            laser=Laser.CO2,
            days_ago=0,
            followup_months=12,
            zone=ZONE,
            now=NOW,
        )
    assert isinstance(result, Already)
    assert await plans(database) == []
