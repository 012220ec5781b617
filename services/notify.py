"""Queueing the messages about an appointment: to the staff group and to the patient.

Queued in the use case's transaction (services.outbox.queue); the dispatcher renders
each row when it is due, from what the database holds then (handlers.notices), so a
reminder for an appointment cancelled meanwhile renders to nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from clinic.schedule import reminder_times
from clinic.treatment import Kind, Treatments, preparation_times
from db.appointments import AppointmentView
from db.outbox import Due
from db.patients import chat_of
from services.outbox import queue

__all__ = ["AppointmentView", "Due"]

# Outbox kinds about an appointment; handlers.notices renders each.
STAFF_CARD = "staff_card"  # a new booking or request, with its buttons
STAFF_CANCELLED = "staff_cancelled"  # the patient cancelled (or withdrew a move)
CONFIRMED = "confirmed"
ICS = "ics"  # the calendar file that follows a confirmation
DECLINED = "declined"
CANCELLED_BY_CLINIC = "cancelled_by_clinic"
REMINDER = "reminder"
PREPARATION = "preparation"  # before a treatment: how to prepare (texts.toml [preparation])


def to_staff(
    session: AsyncSession,
    *,
    kind: str,
    appointment_id: int,
    staff_chat_id: int | None,
    now: datetime,
) -> None:
    """Posts to the staff group as soon as the transaction commits (if a group is set)."""
    if staff_chat_id is not None:
        queue(
            session,
            kind=kind,
            chat_id=staff_chat_id,
            due_at=now,
            now=now,
            appointment_id=appointment_id,
        )


async def to_patient(
    session: AsyncSession,
    *,
    kind: str,
    appointment: AppointmentView,
    now: datetime,
    due_at: datetime | None = None,
    **payload: str | int,
) -> None:
    """Sends to the patient's chat when due (now, by default)."""
    assert appointment.patient_id is not None, "the patient had their data deleted"
    queue(
        session,
        kind=kind,
        chat_id=await chat_of(session, patient_id=appointment.patient_id),
        patient_id=appointment.patient_id,
        appointment_id=appointment.id,
        payload=dict(payload),
        due_at=due_at or now,
        now=now,
    )


@dataclass(frozen=True)
class Preparation:
    """What a confirmed treatment's preparation messages need: when they go, and where."""

    treatments: Treatments
    zone: ZoneInfo


async def after_confirmation(
    session: AsyncSession,
    *,
    appointment: AppointmentView,
    now: datetime,
    preparation: Preparation | None = None,
) -> None:
    """The confirmation, its calendar file, the reminders still ahead, and for a
    treatment its preparation messages still ahead."""
    await to_patient(session, kind=CONFIRMED, appointment=appointment, now=now)
    await to_patient(session, kind=ICS, appointment=appointment, now=now)
    await queue_reminders(session, appointment=appointment, now=now)
    if preparation is not None:
        await queue_preparation(session, appointment=appointment, preparation=preparation, now=now)


async def queue_preparation(
    session: AsyncSession, *, appointment: AppointmentView, preparation: Preparation, now: datetime
) -> None:
    """A confirmed treatment's preparation messages still ahead, each an outbox row of the
    appointment: cancelling or moving it cancels them with its other rows."""
    if appointment.kind is not Kind.TREATMENT:
        return
    for stage, due_at in preparation_times(
        preparation.treatments, starts_at=appointment.starts_at, zone=preparation.zone, now=now
    ):
        await to_patient(
            session,
            kind=PREPARATION,
            appointment=appointment,
            now=now,
            due_at=due_at,
            stage=stage,
            starts_at=appointment.starts_at.isoformat(),
            due=due_at.isoformat(),
        )


async def queue_reminders(
    session: AsyncSession, *, appointment: AppointmentView, now: datetime
) -> None:
    """The appointment's reminders still ahead."""
    for hours, due_at in reminder_times(appointment.starts_at, now):
        await to_patient(
            session,
            kind=REMINDER,
            appointment=appointment,
            now=now,
            due_at=due_at,
            hours=hours,
            starts_at=appointment.starts_at.isoformat(),
        )
