"""Appointments after booking: cancelling (by the patient or the clinic), staff's
decision on a request, attendance, recording a treatment, the patient's list.

Each use case takes the session, plain values and `now`, changes the statuses
(clinic.statuses), cancels the messages that no longer apply, queues those that follow
(services.notify), and returns a result for the handler to render.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from clinic.aftercare import Aftercare, Laser
from clinic.appointments import attendance_open, treatment_completes
from clinic.statuses import TREATABLE, AppointmentStatus, PlanStatus
from clinic.treatment import Kind
from clinic.when import days_before, local_date
from db import aftercare, appointments, outbox
from db.aftercare import PlanView
from db.appointments import AppointmentView
from db.patients import chat_of
from services import aftercare as aftercare_cases
from services import followup, notify, waitlist
from services.outbox import queue
from services.staff import Actor, record

__all__ = ["AppointmentView", "PlanView"]

# The outbox kind of an aftercare invitation (rendered by handlers.nudges).
AFTERCARE_INVITE = "aftercare_invite"
# A plan the patient agreed to when booking their treatment has started (handlers.treatment).
AFTERCARE_STARTED = "aftercare_started"


@dataclass(frozen=True)
class Done:
    """The change was made; the appointment as it is now."""

    appointment: AppointmentView


@dataclass(frozen=True)
class Cancelled:
    appointment: AppointmentView
    # A withdrawn move: the confirmed time the patient keeps.
    kept: AppointmentView | None = None


@dataclass(frozen=True)
class Already:
    """Someone else acted first (or the status no longer allows it): the card as it is."""

    appointment: AppointmentView


@dataclass(frozen=True)
class NotYet:
    """Came or no-show before the consultation's time."""

    appointment: AppointmentView


@dataclass(frozen=True)
class Gone:
    """No such appointment (a forged button, or the patient had their data deleted)."""


GONE = Gone()

CancelledBy = Literal["patient", "staff"]


async def find(session: AsyncSession, *, appointment_id: int) -> AppointmentView | None:
    return await appointments.find(session, appointment_id=appointment_id)


async def cancel(
    session: AsyncSession,
    *,
    appointment: AppointmentView,
    by: CancelledBy,
    reason: str | None,
    now: datetime,
    staff_chat_id: int | None,
    offering: waitlist.Offering | None = None,
) -> Cancelled:
    """Cancels an active appointment: its pending messages go in the same transaction,
    the other side is told (the staff group when the patient cancels, the patient
    when the clinic does), and the time it frees is offered to the waitlist.

    Cancelling a pending move withdraws it: the confirmed time stays (`kept`).
    Cancelling the confirmed time leaves a pending move as a request of its own.
    """
    kept = await appointments.replaced_by_move(session, appointment=appointment)
    cancelled = await appointments.change_status(
        session,
        appointment_id=appointment.id,
        status=AppointmentStatus.CANCELLED,
        now=now,
        cancelled_by=by,
        cancel_reason=reason,
    )
    await outbox.cancel_pending(session, appointment_id=appointment.id)
    if by == "patient":
        notify.to_staff(
            session,
            kind=notify.STAFF_CANCELLED,
            appointment_id=cancelled.id,
            staff_chat_id=staff_chat_id,
            now=now,
        )
    elif cancelled.patient_id is not None:
        await notify.to_patient(
            session, kind=notify.CANCELLED_BY_CLINIC, appointment=cancelled, now=now
        )
    await waitlist.freed_many(
        session, offering, gone=[cancelled], now=now, freed_by=cancelled.patient_id
    )
    return Cancelled(cancelled, kept)


# -- the patient's side -------------------------------------------------------------------


async def own_upcoming(
    session: AsyncSession, *, patient_id: int | None, appointment_id: int, now: datetime
) -> AppointmentView | None:
    """The patient's own active appointment still ahead; None for anyone else's."""
    if patient_id is None:
        return None  # not a patient's private chat
    appointment = await appointments.find_own(
        session, appointment_id=appointment_id, patient_id=patient_id
    )
    if appointment is None or not appointment.active or appointment.starts_at <= now:
        return None
    return appointment


@dataclass(frozen=True)
class Upcoming:
    """One line of the patient's list."""

    appointment: AppointmentView
    # A pending move: the confirmed time it would replace.
    moving_from: AppointmentView | None
    # A confirmed time that a pending move would replace.
    being_moved: bool


async def upcoming(session: AsyncSession, *, patient_id: int, now: datetime) -> list[Upcoming]:
    """The patient's active appointments ahead, each with where its move stands."""
    found = await appointments.upcoming_for_patient(session, patient_id=patient_id, now=now)
    by_id = {appointment.id: appointment for appointment in found}
    return [
        Upcoming(
            appointment,
            moving_from=appointments.pending_move(
                appointment, by_id.get(appointment.rescheduled_from_id or 0)
            ),
            being_moved=any(
                appointments.pending_move(other, appointment) is not None for other in found
            ),
        )
        for appointment in found
    ]


async def cancel_by_patient(
    session: AsyncSession,
    *,
    patient_id: int | None,
    appointment_id: int,
    reason: str | None,
    now: datetime,
    staff_chat_id: int | None,
    offering: waitlist.Offering | None = None,
) -> Cancelled | Gone:
    """The patient cancels their own appointment ahead (a reason is optional)."""
    appointment = await own_upcoming(
        session, patient_id=patient_id, appointment_id=appointment_id, now=now
    )
    if appointment is None:
        return GONE
    return await cancel(
        session,
        appointment=appointment,
        by="patient",
        reason=reason,
        now=now,
        staff_chat_id=staff_chat_id,
        offering=offering,
    )


async def will_attend(
    session: AsyncSession, *, patient_id: int | None, appointment_id: int, now: datetime
) -> Done | Gone:
    """ "I'll be there" from a reminder, on the patient's own confirmed time ahead."""
    appointment = await own_upcoming(
        session, patient_id=patient_id, appointment_id=appointment_id, now=now
    )
    if appointment is None or appointment.status != AppointmentStatus.CONFIRMED:
        return GONE
    await appointments.confirm_attendance(session, appointment_id=appointment.id, now=now)
    return Done(appointment)


# -- the staff's side ---------------------------------------------------------------------


async def _in(
    session: AsyncSession, appointment_id: int, statuses: frozenset[AppointmentStatus]
) -> AppointmentView | Already | Gone:
    appointment = await appointments.find(session, appointment_id=appointment_id)
    if appointment is None:
        return GONE
    if appointment.status not in statuses:
        return Already(appointment)
    return appointment


async def cancel_by_staff(
    session: AsyncSession,
    actor: Actor,
    *,
    appointment_id: int,
    reason_number: int,
    reason: str,
    now: datetime,
    offering: waitlist.Offering | None = None,
) -> Cancelled | Already | Gone:
    """The clinic cancels a confirmed time with a reason; the patient reads it."""
    found = await _in(session, appointment_id, frozenset({AppointmentStatus.CONFIRMED}))
    if isinstance(found, Already | Gone):
        return found
    cancelled = await cancel(
        session,
        appointment=found,
        by="staff",
        reason=reason,
        now=now,
        staff_chat_id=None,
        offering=offering,
    )
    await record(
        session,
        actor,
        "appointment.cancel",
        found.id,
        now=now,
        detail=f"reason {reason_number}",
    )
    return cancelled


async def decide(
    session: AsyncSession,
    actor: Actor,
    *,
    appointment_id: int,
    confirm: bool,
    now: datetime,
    preparation: notify.Preparation | None = None,
    offering: waitlist.Offering | None = None,
) -> Done | Already | Gone:
    """Confirms or declines a request, and tells the patient.

    Confirming a move replaces the confirmed time only now, in this transaction: that
    time is cancelled with its reminders. Declined, the move leaves it as it was. The
    time either frees (the replaced one, or the declined one) goes to the waitlist.
    """
    found = await _in(session, appointment_id, frozenset({AppointmentStatus.REQUESTED}))
    if isinstance(found, Already | Gone):
        return found
    decided = await appointments.change_status(
        session,
        appointment_id=found.id,
        status=AppointmentStatus.CONFIRMED if confirm else AppointmentStatus.DECLINED,
        now=now,
        decided_by=actor.name[:128],
    )
    action = "appointment.confirm" if confirm else "appointment.decline"
    await record(session, actor, action, found.id, now=now)
    if confirm:
        replaced = await appointments.finish_move(session, appointment=decided, now=now)
        if replaced is not None:
            await outbox.cancel_pending(session, appointment_id=replaced.id)
            await waitlist.freed_many(
                session, offering, gone=[replaced], now=now, freed_by=replaced.patient_id
            )
        await notify.after_confirmation(
            session, appointment=decided, now=now, preparation=preparation
        )
    else:
        await notify.to_patient(session, kind=notify.DECLINED, appointment=decided, now=now)
        await waitlist.freed_many(
            session, offering, gone=[decided], now=now, freed_by=decided.patient_id
        )
    return Done(decided)


async def mark_attendance(
    session: AsyncSession,
    actor: Actor,
    *,
    appointment_id: int,
    came: bool,
    now: datetime,
    zone: ZoneInfo | None = None,
    aftercare_settings: Aftercare | None = None,
    followup_months: int,
) -> Done | NotYet | Already | Gone:
    """Came (completed) or no-show, once the appointment has started. A treatment
    session the patient came to is a treatment given: what follows one follows
    (`treated`: the aftercare offer, or the plan they agreed to), on its local day."""
    found = await _in(session, appointment_id, frozenset({AppointmentStatus.CONFIRMED}))
    if isinstance(found, Already | Gone):
        return found
    if not attendance_open(found.status, starts_at=found.starts_at, now=now):
        return NotYet(found)
    status = AppointmentStatus.COMPLETED if came else AppointmentStatus.NO_SHOW
    marked = await appointments.change_status(
        session, appointment_id=found.id, status=status, now=now
    )
    # Reminders are behind by now; anything left for this appointment is moot.
    await outbox.cancel_pending(session, appointment_id=found.id)
    await record(session, actor, f"appointment.{status}", found.id, now=now)
    if came and found.kind is Kind.TREATMENT and found.laser and found.patient_id and zone:
        await treated(
            session,
            appointment=found,
            laser=found.laser,
            treated_on=local_date(found.starts_at, zone),
            recorded_by=actor.name[:128],
            aftercare_settings=aftercare_settings,
            followup_months=followup_months,
            zone=zone,
            now=now,
        )
    return Done(marked)


async def treatable(
    session: AsyncSession, *, appointment_id: int
) -> AppointmentView | Already | Gone:
    """The appointment if a treatment can be recorded on it."""
    found = await _in(session, appointment_id, TREATABLE)
    if isinstance(found, AppointmentView) and found.patient_id is None:
        return Already(found)
    return found


async def confirmed(
    session: AsyncSession, *, appointment_id: int
) -> AppointmentView | Already | Gone:
    """The appointment if it is confirmed (to cancel it, say)."""
    return await _in(session, appointment_id, frozenset({AppointmentStatus.CONFIRMED}))


async def treated(
    session: AsyncSession,
    *,
    appointment: AppointmentView,
    laser: Laser,
    treated_on: date,
    recorded_by: str,
    aftercare_settings: Aftercare | None,
    followup_months: int,
    zone: ZoneInfo,
    now: datetime,
) -> PlanView:
    """A treatment took place: THE entry point for what follows one, whether staff
    recorded it on a card or marked a booked treatment session as came.

    The patient is invited to the laser's aftercare plan, or, if they agreed to it when
    booking the session (and the settings are given), the plan starts at once at the
    suggested time of day and they are told when its first message comes. The long-term
    check-in is queued `followup_months` after it.
    """
    assert appointment.patient_id is not None
    await followup.schedule(
        session,
        patient_id=appointment.patient_id,
        treated_on=treated_on,
        months=followup_months,
        zone=zone,
        now=now,
    )
    plan = await aftercare.invite(
        session,
        patient_id=appointment.patient_id,
        laser=laser,
        treated_on=treated_on,
        recorded_by=recorded_by,
        appointment_id=appointment.id,
        now=now,
    )
    # Started if they agreed when booking the session, else offered.
    kind, payload, result = AFTERCARE_INVITE, {}, plan
    if appointment.aftercare_agreed and aftercare_settings is not None:
        started = await aftercare_cases.start(
            session,
            patient_id=appointment.patient_id,
            care=aftercare_settings.plans[laser],
            treated_on=treated_on,
            send_at=aftercare_settings.default_time,
            invited_id=plan.id,
            zone=zone,
            now=now,
        )
        if isinstance(started, aftercare_cases.Started):
            kind, payload, result = (
                AFTERCARE_STARTED,
                {"first": started.first.isoformat()},
                started.plan,
            )
    queue(
        session,
        kind=kind,
        chat_id=await chat_of(session, patient_id=appointment.patient_id),
        due_at=now,
        now=now,
        patient_id=plan.patient_id,
        plan_id=plan.id,
        payload=payload or None,
    )
    return result


async def record_treatment(
    session: AsyncSession,
    actor: Actor,
    *,
    appointment_id: int,
    laser: Laser,
    days_ago: int,
    followup_months: int,
    zone: ZoneInfo,
    now: datetime,
    aftercare_settings: Aftercare | None = None,
) -> Done | Already | Gone:
    """Records the treatment (today or `days_ago` days before, in the clinic's zone),
    invites the patient to daily aftercare messages, queues the long-term check-in
    `followup_months` later, and completes the appointment if its time has come."""
    found = await treatable(session, appointment_id=appointment_id)
    if isinstance(found, Already | Gone):
        return found
    assert found.patient_id is not None  # treatable checked
    treated_on = days_before(now, zone, days_ago)
    recorded = await aftercare.of_appointment(session, appointment_id=found.id)
    if (
        recorded is not None
        and (recorded.laser, recorded.treated_on) == (laser, treated_on)
        and recorded.status in (PlanStatus.INVITED, PlanStatus.ACTIVE)
    ):
        # A double tap, or a colleague on the same card: one invitation is enough.
        return Already(found)
    await treated(
        session,
        appointment=found,
        laser=laser,
        treated_on=treated_on,
        recorded_by=actor.name[:128],
        aftercare_settings=aftercare_settings,
        followup_months=followup_months,
        zone=zone,
        now=now,
    )
    detail = f"{laser.value} {treated_on.isoformat()}"
    await record(session, actor, "appointment.treatment", found.id, now=now, detail=detail)
    appointment = found
    if treatment_completes(found.status, starts_at=found.starts_at, now=now):
        # A treatment recorded after the consultation's time says the patient came.
        appointment = await appointments.change_status(
            session, appointment_id=found.id, status=AppointmentStatus.COMPLETED, now=now
        )
    return Done(appointment)
