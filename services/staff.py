"""The staff group's use cases: who did what (the audit), the card's facts, the agenda,
looking a patient up, and following the group when it becomes a supergroup."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from clinic.agenda import AuditRow, local_days
from clinic.appointments import CardAction, card_actions
from clinic.conversation import LogEntry
from clinic.statuses import AppointmentStatus
from clinic.when import local_date
from db import (
    aftercare,
    appointments,
    audit,
    chat_migrations,
    messages,
    outcomes,
    patients,
    prescreens,
    waitlist,
)
from db.aftercare import PlanView
from db.appointments import AppointmentView
from db.outcomes import OutcomeView
from db.patients import Found
from db.prescreens import Summary

log = logging.getLogger(__name__)

__all__ = [
    "Actor",
    "AppointmentView",
    "Card",
    "Found",
    "LogEntry",
    "OutcomeView",
    "PatientFile",
    "PlanView",
    "Summary",
]

# What an agenda lists: the times that are held or were kept.
ON_THE_AGENDA = (
    AppointmentStatus.REQUESTED,
    AppointmentStatus.CONFIRMED,
    AppointmentStatus.COMPLETED,
    AppointmentStatus.NO_SHOW,
)
# What an export lists: every appointment of its days.
EXPORTED = tuple(AppointmentStatus)


@dataclass(frozen=True)
class Actor:
    """The staff member acting: the Telegram user's id and name, as the audit keeps them."""

    user_id: int
    name: str


async def record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    *targets: int | None,
    now: datetime,
    detail: str | None = None,
) -> None:
    """Writes who did what (one row per target) in the action's transaction."""
    await audit.record(
        session,
        entries=[
            AuditRow(
                at=now,
                user_id=actor.user_id,
                user_name=actor.name,
                action=action,
                target_id=target,
                detail=detail,
            )
            for target in targets or (None,)
        ],
    )


# -- the staff card ----------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    """What a staff card shows about an appointment, read in one place."""

    appointment: AppointmentView
    # The appointment it moves (or moved) from; None if none, or no longer there.
    moved_from: AppointmentView | None
    prescreen: Summary | None
    # The newest treatment recorded on the card.
    treatment: PlanView | None
    actions: tuple[tuple[CardAction, ...], ...]
    # The patient's language and Telegram's language_code; (None, None) once deleted.
    language: tuple[str | None, str | None] = (None, None)
    # A consultation's recorded outcome.
    outcome: OutcomeView | None = None


async def card(session: AsyncSession, appointment: AppointmentView, *, now: datetime) -> Card:
    """The card's facts, with the actions its status allows at `now`."""
    moved_from = None
    if appointment.rescheduled_from_id is not None:
        moved_from = await appointments.find(
            session, appointment_id=appointment.rescheduled_from_id
        )
    outcome = await outcomes.of_consultation(session, appointment_id=appointment.id)
    return Card(
        outcome=outcome,
        appointment=appointment,
        moved_from=moved_from,
        prescreen=await prescreen(session, appointment.prescreen_id),
        treatment=await aftercare.of_appointment(session, appointment_id=appointment.id),
        actions=card_actions(
            appointment.status,
            starts_at=appointment.starts_at,
            now=now,
            has_patient=appointment.patient_id is not None,
            kind=appointment.kind,
            has_outcome=outcome is not None,
        ),
        language=(
            (None, None)
            if appointment.patient_id is None
            else await patients.language_of(session, patient_id=appointment.patient_id)
        ),
    )


async def prescreen(session: AsyncSession, prescreen_id: int | None) -> Summary | None:
    """The pre-screen a booking carried, if it was finished."""
    if prescreen_id is None:
        return None
    return await prescreens.summary(session, prescreen_id=prescreen_id)


# -- the agenda and exports ------------------------------------------------------------


async def agenda(
    session: AsyncSession, *, first: date, days: int, zone: ZoneInfo
) -> list[AppointmentView]:
    """The times held or kept on `days` local days from `first`, in time order."""
    start, end = local_days(first, days, zone)
    return await appointments.between(session, start=start, end=end, statuses=ON_THE_AGENDA)


async def export_appointments(
    session: AsyncSession, actor: Actor, *, first: date, last: date, zone: ZoneInfo, now: datetime
) -> list[tuple[AppointmentView, Summary | None]]:
    """Every appointment of the days from `first` to `last`, with its pre-screen; the
    export is audited."""
    await record(
        session,
        actor,
        "export.appointments",
        now=now,
        detail=f"{first.isoformat()} {last.isoformat()}",
    )
    start, end = local_days(first, (last - first).days + 1, zone)
    found = await appointments.between(session, start=start, end=end, statuses=EXPORTED)
    return [
        (appointment, await prescreen(session, appointment.prescreen_id)) for appointment in found
    ]


async def export_audit(
    session: AsyncSession, actor: Actor, *, first: date, last: date, zone: ZoneInfo, now: datetime
) -> list[AuditRow]:
    """Who did what from `first` to `last`; recorded first, so the file shows this export."""
    await record(
        session, actor, "export.audit", now=now, detail=f"{first.isoformat()} {last.isoformat()}"
    )
    start, end = local_days(first, (last - first).days + 1, zone)
    return await audit.between(session, start=start, end=end)


@dataclass(frozen=True)
class PatientFile:
    """A patient found by a staff search: newest pre-screen, appointments and messages."""

    patient: Found
    prescreen: Summary | None
    appointments: list[AppointmentView]
    messages: list[LogEntry]
    # The last day the patient waits for an earlier time until, if on the waitlist.
    waiting_until: date | None = None


@dataclass(frozen=True)
class Search:
    shown: list[PatientFile]
    # Whether more patients matched than are shown.
    more: bool


async def find_patients(
    session: AsyncSession,
    actor: Actor,
    *,
    phone: str | None,
    words: str,
    limit: int,
    appointments_shown: int,
    messages_shown: int,
    now: datetime,
    zone: ZoneInfo | None = None,
) -> Search:
    """Patients by phone (E.164) if given, else by name; who looked whom up is audited
    (one row per patient shown, a search that found nobody too)."""
    if phone is not None:
        found = await patients.search(session, phone=phone, limit=limit + 1)
    else:
        found = await patients.search(session, words=words, limit=limit + 1)
    shown = found[:limit]
    await record(session, actor, "patient.view", *(match.id for match in shown), now=now)
    files = [
        PatientFile(
            patient=match,
            prescreen=await prescreens.latest(session, patient_id=match.id),
            appointments=await appointments.of_patient(
                session, patient_id=match.id, limit=appointments_shown
            ),
            messages=await messages.recent(session, patient_id=match.id, limit=messages_shown),
            waiting_until=await _waiting_until(session, patient_id=match.id, now=now, zone=zone),
        )
        for match in shown
    ]
    return Search(files, more=len(found) > limit)


async def _waiting_until(
    session: AsyncSession, *, patient_id: int, now: datetime, zone: ZoneInfo | None
) -> date | None:
    """The day the patient waits until, if on the waitlist (zone None: UTC's today)."""
    today = now.date() if zone is None else local_date(now, zone)
    entry = await waitlist.open_entry(session, patient_id=patient_id, today=today)
    return None if entry is None else entry.until


# -- the group becomes a supergroup -----------------------------------------------------


class StaffChat(Protocol):
    """Where staff posts go (handlers.context.StaffChat): followed without a restart."""

    id: int | None


class Roster(Protocol):
    """Who is staff (handlers.context.StaffRoster): marked to be fetched again."""

    stale: bool


async def follow_move(
    session: AsyncSession,
    *,
    staff_chat: StaffChat,
    roster: Roster,
    old_chat_id: int,
    new_chat_id: int,
    now: datetime,
) -> None:
    """Posts to the group's new id from now on, pending messages included.

    Recorded whoever reports it (a service message in the group, or a send the old id
    refused), so a second process, or a row queued just before the move, is
    re-addressed too and never refused again.
    """
    moved = await chat_migrations.record(
        session, old_chat_id=old_chat_id, new_chat_id=new_chat_id, now=now
    )
    if staff_chat.id != old_chat_id:
        return
    staff_chat.id = new_chat_id
    roster.stale = True  # the same people, but ask the new id to be sure
    log.warning(
        "the staff group became a supergroup old_chat_id=%s new_chat_id=%s pending_moved=%s; "
        "set STAFF_CHAT_ID=%s",
        old_chat_id,
        new_chat_id,
        moved,
        new_chat_id,
    )
