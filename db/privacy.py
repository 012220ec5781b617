"""What is kept about a patient: all of it as one document (/mydata), or none (/forget)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from clinic.statuses import AppointmentStatus
from clinic.treatment import Kind
from db.models import (
    ACTIVE_STATUSES,
    AftercareCheckin,
    AftercarePlan,
    Appointment,
    Base,
    FlowState,
    Followup,
    MessageLog,
    OutboxMessage,
    Patient,
    Prescreen,
    PrescreenAnswer,
    WaitlistEntry,
    WaitlistOffer,
)

# Appointments in these statuses took place (or were due and missed): the clinic keeps
# them, without who it was. A confirmed one whose time has passed counts too.
TOOK_PLACE = (AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def _record(row: Base, *, leave_out: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every column of a row, as JSON values, but the ones that only link rows."""
    return {
        column.key: _plain(getattr(row, column.key))
        for column in row.__table__.columns
        if column.key not in leave_out
    }


async def everything(session: AsyncSession, *, patient_id: int) -> dict[str, Any]:
    """All that is stored about the patient, by kind; for the /mydata document."""
    patient = await session.get_one(Patient, patient_id)
    by_patient = {"leave_out": ("patient_id",)}

    async def rows(model: Any, *where: Any, order: Any) -> list[Any]:
        return list((await session.scalars(select(model).where(*where).order_by(order))).all())

    prescreen_rows = await rows(
        Prescreen, Prescreen.patient_id == patient_id, order=Prescreen.started_at
    )
    prescreens = []
    for run in prescreen_rows:
        answers = await rows(
            PrescreenAnswer,
            PrescreenAnswer.prescreen_id == run.id,
            order=PrescreenAnswer.answered_at,
        )
        prescreens.append(
            _record(run, **by_patient)
            | {"answers": [_record(a, leave_out=("prescreen_id",)) for a in answers]}
        )
    plans = []
    for plan in await rows(
        AftercarePlan, AftercarePlan.patient_id == patient_id, order=AftercarePlan.created_at
    ):
        checkins = await rows(
            AftercareCheckin, AftercareCheckin.plan_id == plan.id, order=AftercareCheckin.at
        )
        plans.append(
            _record(plan, **by_patient)
            | {"checkins": [_record(c, leave_out=("plan_id",)) for c in checkins]}
        )
    flow = await session.get(FlowState, patient_id)
    followup = await session.get(Followup, patient_id)
    return {
        "profile": _record(patient, leave_out=("consented_at",)),
        "consent": {"health_questions_agreed_at": _plain(patient.consented_at)},
        "conversation_state": None if flow is None else _record(flow, **by_patient),
        "prescreens": prescreens,
        "appointments": [
            _record(row, **by_patient)
            for row in await rows(
                Appointment, Appointment.patient_id == patient_id, order=Appointment.starts_at
            )
        ],
        "aftercare_plans": plans,
        # The long-term check-in: the treatment it counts from, and whether it is off.
        "followup": None if followup is None else _record(followup, **by_patient),
        "waitlist": [
            _record(entry, **by_patient)
            | {
                "offers": [
                    _record(offer, leave_out=("entry_id",))
                    for offer in await rows(
                        WaitlistOffer,
                        WaitlistOffer.entry_id == entry.id,
                        order=WaitlistOffer.offered_at,
                    )
                ]
            }
            for entry in await rows(
                WaitlistEntry,
                WaitlistEntry.patient_id == patient_id,
                order=WaitlistEntry.created_at,
            )
        ],
        "scheduled_messages": [
            _record(row, leave_out=("patient_id", "chat_id"))
            for row in await rows(
                OutboxMessage, OutboxMessage.patient_id == patient_id, order=OutboxMessage.due_at
            )
        ],
        "messages": [
            _record(row, **by_patient)
            for row in await rows(
                MessageLog, MessageLog.patient_id == patient_id, order=MessageLog.at
            )
        ],
    }


@dataclass(frozen=True)
class Cancelled:
    """An upcoming appointment that /forget cancelled: staff are told its time."""

    starts_at: datetime
    status: AppointmentStatus
    kind: Kind


async def forget(session: AsyncSession, *, patient_id: int, now: datetime) -> list[Cancelled]:
    """Deletes the patient and everything about them, in the caller's transaction.

    Consultations that took place stay, without patient, name, phone or pre-screen:
    they are the clinic's record. Upcoming ones are deleted after their time is read,
    which frees it. Returns the upcoming ones, for staff.
    """
    telegram_id = await session.scalar(select(Patient.telegram_id).where(Patient.id == patient_id))
    mine = Appointment.patient_id == patient_id
    upcoming = (
        await session.execute(
            select(Appointment.starts_at, Appointment.status, Appointment.kind)
            .where(mine, Appointment.status.in_(ACTIVE_STATUSES), Appointment.starts_at > now)
            .order_by(Appointment.starts_at)
        )
    ).all()
    took_place = or_(
        Appointment.status.in_(TOOK_PLACE),
        (Appointment.status == AppointmentStatus.CONFIRMED) & (Appointment.starts_at <= now),
    )
    await session.execute(
        update(Appointment)
        .where(mine, took_place)
        .values(
            patient_id=None,
            name=None,
            phone=None,
            prescreen_id=None,
            cancel_reason=None,
            updated_at=now,
        )
    )
    # Messages addressed to the patient's chat, whichever row they belong to.
    await session.execute(
        delete(OutboxMessage).where(
            or_(OutboxMessage.patient_id == patient_id, OutboxMessage.chat_id == telegram_id)
        )
    )
    # The rest goes with the patient row: flow state, message log, pre-screens and
    # answers, aftercare plans and check-ins, the remaining appointments and their
    # outbox rows (ON DELETE CASCADE, on both backends).
    await session.execute(delete(Patient).where(Patient.id == patient_id))
    return [
        Cancelled(starts_at, AppointmentStatus(status), Kind(kind))
        for starts_at, status, kind in upcoming
    ]
