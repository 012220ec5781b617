"""Treatment sessions: the outcome staff record at the end of a consultation, the
patient's offer to book what was planned, and the preparation messages before it.

Booking the session itself is services.booking's (a calendar of kind treatment);
what follows the treatment day is services.appointments.treated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from clinic.aftercare import Laser
from clinic.appointments import outcome_open
from clinic.statuses import AppointmentStatus
from clinic.treatment import NOTE_LENGTH, Kind, Outcome, preparation_expired
from db import appointments, outbox, outcomes
from db.appointments import AppointmentView, TreatmentOrder
from db.outcomes import OutcomeView
from db.patients import chat_of
from services import notify
from services.appointments import GONE, Already, Done, Gone, NotYet
from services.outbox import Due, queue
from services.staff import Actor, record

__all__ = ["OutcomeView", "TreatmentOrder"]

OFFER = "treatment_offer"  # to the patient: book the treatment the consultation planned
PREPARATION = notify.PREPARATION


# -- the consultation's outcome, on its staff card ------------------------------------


async def outcome_askable(
    session: AsyncSession, *, appointment_id: int, now: datetime
) -> AppointmentView | Already | NotYet | Gone:
    """The consultation, if its outcome can be recorded now."""
    found = await appointments.find(session, appointment_id=appointment_id)
    if found is None or found.patient_id is None:
        return GONE
    if found.kind is not Kind.CONSULTATION:
        return Already(found)
    if await outcomes.of_consultation(session, appointment_id=found.id) is not None:
        return Already(found)
    if not outcome_open(found.status, starts_at=found.starts_at, now=now):
        return NotYet(found) if found.status == AppointmentStatus.CONFIRMED else Already(found)
    return found


async def record_outcome(
    session: AsyncSession,
    actor: Actor,
    *,
    appointment_id: int,
    outcome: Outcome,
    laser: Laser | None,
    sessions: int | None,
    now: datetime,
) -> Done | Already | NotYet | Gone:
    """Records what the consultation concluded, once. Recorded on a confirmed
    consultation under way, it also says the patient came. A planned treatment is
    offered to the patient to book."""
    found = await outcome_askable(session, appointment_id=appointment_id, now=now)
    if not isinstance(found, AppointmentView):
        return found
    assert found.patient_id is not None
    planned = outcome is Outcome.PLANNED
    recorded = await outcomes.record(
        session,
        appointment_id=found.id,
        outcome=outcome,
        laser=laser if planned else None,
        sessions=sessions if planned else None,
        recorded_by=actor.name[:128],
        now=now,
    )
    if recorded is None:
        return Already(found)  # a colleague on the same card was faster
    detail = f"{outcome.value} {laser.value} {sessions}" if planned and laser else outcome.value
    await record(session, actor, "appointment.outcome", found.id, now=now, detail=detail)
    appointment = found
    if found.status == AppointmentStatus.CONFIRMED:
        appointment = await appointments.change_status(
            session, appointment_id=found.id, status=AppointmentStatus.COMPLETED, now=now
        )
        await outbox.cancel_pending(session, appointment_id=found.id)
    if planned:
        # Not tied to the appointment's rows: marking the consultation must not cancel it.
        queue(
            session,
            kind=OFFER,
            chat_id=await chat_of(session, patient_id=found.patient_id),
            due_at=now,
            now=now,
            patient_id=found.patient_id,
            payload={"consultation": found.id},
        )
    return Done(appointment)


async def outcome_of(session: AsyncSession, *, appointment_id: int) -> OutcomeView | None:
    return await outcomes.of_consultation(session, appointment_id=appointment_id)


# -- the clinician's note on a planned treatment ---------------------------------------


@dataclass(frozen=True)
class NoteEmpty:
    """Nothing but spaces."""


@dataclass(frozen=True)
class NoteTooLong:
    length: int  # as typed, trimmed


async def noteable(session: AsyncSession, *, appointment_id: int) -> AppointmentView | Gone:
    """The consultation, if it planned a treatment a note can be added to."""
    found = await appointments.find(session, appointment_id=appointment_id)
    outcome = await outcomes.of_consultation(session, appointment_id=appointment_id)
    if found is None or outcome is None or outcome.outcome is not Outcome.PLANNED:
        return GONE
    return found


async def add_note(
    session: AsyncSession, actor: Actor, *, appointment_id: int, note: str, now: datetime
) -> Done | Gone | NoteEmpty | NoteTooLong:
    """Stores the clinician's note on the treatment a consultation planned (trimmed; a
    later note replaces the earlier one); the patient reads it a week before."""
    note = note.strip()
    if not note:
        return NoteEmpty()
    if len(note) > NOTE_LENGTH:
        return NoteTooLong(len(note))
    found = await noteable(session, appointment_id=appointment_id)
    if not isinstance(found, AppointmentView):
        return found
    if await outcomes.set_note(session, appointment_id=found.id, note=note) is None:
        return GONE
    # The audit says who wrote a note and how long; the note itself stays on the outcome.
    await record(session, actor, "appointment.note", found.id, now=now, detail=f"{len(note)} chars")
    return Done(found)


# -- the patient books what was planned -----------------------------------------------


@dataclass(frozen=True)
class Bookable:
    """A planned treatment the patient can book a session of."""

    outcome: OutcomeView
    order: TreatmentOrder
    booked: int  # sessions already booked or done


@dataclass(frozen=True)
class NotPlanned:
    """No treatment planned for this patient by that consultation (or not theirs)."""


@dataclass(frozen=True)
class AllBooked:
    """Every planned session is booked or done."""

    outcome: OutcomeView


async def bookable(
    session: AsyncSession, *, patient_id: int | None, consultation_id: int
) -> Bookable | NotPlanned | AllBooked:
    """Whether the patient may book a session of the treatment a consultation planned."""
    consultation = None
    if patient_id is not None:
        consultation = await appointments.find_own(
            session, appointment_id=consultation_id, patient_id=patient_id
        )
    outcome = None
    if consultation is not None:
        outcome = await outcomes.of_consultation(session, appointment_id=consultation.id)
    if outcome is None or outcome.outcome is not Outcome.PLANNED or outcome.laser is None:
        return NotPlanned()
    booked = await appointments.sessions_booked(session, consultation_id=consultation_id)
    if booked >= (outcome.sessions or 1):
        return AllBooked(outcome)
    return Bookable(outcome, TreatmentOrder(outcome.laser, consultation_id), booked)


# -- preparation messages ------------------------------------------------------------


@dataclass(frozen=True)
class Preparing:
    appointment: AppointmentView
    stage: str
    note: str | None  # the clinician's note on the consultation that planned it


@dataclass(frozen=True)
class TooLate:
    """Its moment passed (after an outage): recorded as expired, never sent."""


async def preparation_to_send(
    session: AsyncSession, *, due: Due, now: datetime
) -> Preparing | TooLate | None:
    """What a due preparation message is about; None if the treatment changed meanwhile."""
    appointment = None
    if due.appointment_id is not None:
        appointment = await appointments.find(session, appointment_id=due.appointment_id)
    if (
        appointment is None
        or appointment.status != AppointmentStatus.CONFIRMED
        or due.payload.get("starts_at") != appointment.starts_at.isoformat()
    ):
        return None
    meant_for = datetime.fromisoformat(str(due.payload.get("due") or now.isoformat()))
    if preparation_expired(meant_for, appointment.starts_at, now):
        return TooLate()
    note = None
    if appointment.consultation_id is not None:
        outcome = await outcomes.of_consultation(
            session, appointment_id=appointment.consultation_id
        )
        note = outcome.note if outcome else None
    return Preparing(appointment, str(due.payload.get("stage")), note)
