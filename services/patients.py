"""Whether a patient can be reached, and what stops while they cannot.

The policy: a patient who blocks the bot gets nothing more in their private chat (their
aftercare plan stops, their pending messages are cancelled) while what goes to the
staff about them (a warning-sign alert) still goes. Coming back, by unblocking the bot
or writing again, restarts nothing on its own: they may have blocked it to stop the
messages, so the bot says what was paused and the patient chooses (handlers.welcome_back).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from clinic.schedule import reminder_times
from clinic.statuses import AppointmentStatus
from db import aftercare, appointments, outbox, patients
from db.aftercare import PlanView
from db.appointments import AppointmentView
from services import followup, notify

UNREACHABLE = "unreachable"  # why a plan stopped when its patient blocked the bot


async def stop_unreachable(session: AsyncSession, *, patient_id: int, now: datetime) -> None:
    """The patient blocked the bot: nothing more goes out to them, and aftercare stops."""
    await patients.mark_reachable(session, patient_id=patient_id, reachable=False)
    await aftercare.end_for_patient(session, patient_id=patient_id, reason=UNREACHABLE, now=now)
    # Only what goes to their own chat: an alert about them still reaches staff. The
    # long-term check-in, months ahead, stays: if they are still unreachable when it is
    # due it is dropped then (outbox.claim_due), and if they came back it goes.
    await outbox.cancel_pending(
        session, patient_id=patient_id, private_only=True, keeping=(followup.KIND,)
    )


async def membership_changed(
    session: AsyncSession, *, telegram_id: int, reachable: bool, now: datetime
) -> int | None:
    """Telegram says the patient blocked the bot, or unblocked it. Returns their id if
    they came back after the bot had found them unreachable, else None."""
    known = await patients.reachability(session, telegram_id=telegram_id)
    if known is None:
        return None
    patient_id, was_reachable = known
    if not reachable:
        await stop_unreachable(session, patient_id=patient_id, now=now)
        return None
    if was_reachable:
        return None
    await patients.mark_reachable(session, patient_id=patient_id, reachable=True)
    return patient_id


@dataclass(frozen=True)
class Paused:
    """What stopped while the patient's chat was blocked and could go on again."""

    plan: PlanView | None
    appointments: tuple[AppointmentView, ...]  # confirmed, with a reminder still ahead

    def __bool__(self) -> bool:
        return self.plan is not None or bool(self.appointments)


async def paused(session: AsyncSession, *, patient_id: int, now: datetime) -> Paused:
    upcoming = await appointments.upcoming_for_patient(session, patient_id=patient_id, now=now)
    return Paused(
        plan=await aftercare.paused(session, patient_id=patient_id),
        appointments=tuple(
            appointment
            for appointment in upcoming
            if appointment.status == AppointmentStatus.CONFIRMED
            and reminder_times(appointment.starts_at, now)
        ),
    )


async def resume_reminders(
    session: AsyncSession,
    *,
    appointments: tuple[AppointmentView, ...],
    preparation: notify.Preparation,
    now: datetime,
) -> None:
    """Queues again the reminders still ahead of these appointments, and a treatment's
    preparation messages; whatever of these is still pending is replaced, so none goes
    twice."""
    for appointment in appointments:
        await outbox.cancel_pending(
            session, appointment_id=appointment.id, kinds=(notify.REMINDER, notify.PREPARATION)
        )
        await notify.queue_reminders(session, appointment=appointment, now=now)
        await notify.queue_preparation(
            session, appointment=appointment, preparation=preparation, now=now
        )


async def language(session: AsyncSession, *, patient_id: int) -> tuple[str | None, str | None]:
    """The language the patient chose (None: none yet) and their Telegram's language_code."""
    return await patients.language_of(session, patient_id=patient_id)


async def speak(session: AsyncSession, *, patient_id: int, language: str) -> None:
    """The patient chose the language they are spoken to in, from now on: scheduled
    messages are written in it too, as each is rendered when it is sent."""
    await patients.set_language(session, patient_id=patient_id, language=language)
