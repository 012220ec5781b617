"""The long-term check-in: queued when a treatment is recorded, moved by a newer one,
turned off and on by the patient, answered from its buttons.

`schedule` is the one place a treatment reaches the check-in (staff recording it on a
consultation's card today; a treatment session booked through the bot later). The
patient's followup row is locked first, so that two treatments recorded at once still
leave one pending check-in; the outbox row names the treatment date it is about, and
renders to nothing once a newer treatment or an opt-out has replaced it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from clinic.followup import Answer, checkin_due
from db import followup, outbox
from db.followup import FollowupView
from db.patients import chat_of
from services.outbox import queue

__all__ = ["KIND", "Answer", "FollowupView"]

KIND = "followup"  # the outbox kind of the check-in message


@dataclass(frozen=True)
class Scheduled:
    due_at: datetime


@dataclass(frozen=True)
class Unchanged:
    """The same treatment again (a double tap), or an older one: the check-in stays."""


@dataclass(frozen=True)
class Off:
    """Recorded, but the patient turned the check-ins off: nothing is queued."""


async def _queue(
    session: AsyncSession, *, patient_id: int, treated_on: date, due_at: datetime, now: datetime
) -> None:
    await outbox.cancel_pending(session, patient_id=patient_id, kinds=(KIND,))
    queue(
        session,
        kind=KIND,
        chat_id=await chat_of(session, patient_id=patient_id),
        patient_id=patient_id,
        payload={"treated_on": treated_on.isoformat()},
        due_at=due_at,
        now=now,
    )


async def schedule(
    session: AsyncSession,
    *,
    patient_id: int,
    treated_on: date,
    months: int,
    zone: ZoneInfo,
    now: datetime,
) -> Scheduled | Unchanged | Off:
    """A treatment on `treated_on`: the check-in comes `months` after the newest one
    (replacing any pending check-in), at the local time of clinic.followup.SEND_AT."""
    current = await followup.locked(session, patient_id=patient_id, now=now)
    if current.treated_on is not None and treated_on <= current.treated_on:
        return Unchanged()
    await followup.set_treated_on(session, patient_id=patient_id, treated_on=treated_on, now=now)
    if not current.on:
        await outbox.cancel_pending(session, patient_id=patient_id, kinds=(KIND,))
        return Off()
    due_at = checkin_due(treated_on, months=months, zone=zone)
    await _queue(session, patient_id=patient_id, treated_on=treated_on, due_at=due_at, now=now)
    return Scheduled(due_at)


async def to_send(session: AsyncSession, *, patient_id: int | None, treated_on: str) -> date | None:
    """The treatment date a due check-in is about, if it is still wanted: the patient
    has not turned the check-ins off and no newer treatment replaced it."""
    found = None if patient_id is None else await followup.find(session, patient_id=patient_id)
    if found is None or not found.on or found.treated_on is None:
        return None
    return found.treated_on if found.treated_on.isoformat() == treated_on else None


async def answer(session: AsyncSession, *, patient_id: int, answer: Answer, now: datetime) -> None:
    """Keeps the patient's answer to the check-in (for staff, and their /mydata)."""
    await followup.set_answer(session, patient_id=patient_id, answer=answer, now=now)


@dataclass(frozen=True)
class Status:
    on: bool
    next_at: datetime | None  # the pending check-in, if one is queued


async def status(session: AsyncSession, *, patient_id: int) -> Status:
    found = await followup.find(session, patient_id=patient_id)
    next_at = await followup.pending_at(session, patient_id=patient_id, kind=KIND)
    return Status(on=found is None or found.on, next_at=next_at)


async def turn_off(session: AsyncSession, *, patient_id: int, now: datetime) -> Status:
    """No more check-ins: the pending one is cancelled; a row already being sent
    renders to nothing (to_send reads the opt-out)."""
    current = await followup.locked(session, patient_id=patient_id, now=now)
    await followup.set_off(session, patient_id=patient_id, off_at=current.off_at or now, now=now)
    await outbox.cancel_pending(session, patient_id=patient_id, kinds=(KIND,))
    return Status(on=False, next_at=None)


async def turn_on(
    session: AsyncSession, *, patient_id: int, months: int, zone: ZoneInfo, now: datetime
) -> Status:
    """Check-ins again: the newest treatment's, if its time is still ahead, is queued
    (again, after a block cancelled it); else the next treatment brings one."""
    current = await followup.locked(session, patient_id=patient_id, now=now)
    await followup.set_off(session, patient_id=patient_id, off_at=None, now=now)
    if current.treated_on is None:
        return Status(on=True, next_at=None)
    due_at = checkin_due(current.treated_on, months=months, zone=zone)
    if due_at <= now:
        return Status(on=True, next_at=None)
    await _queue(
        session, patient_id=patient_id, treated_on=current.treated_on, due_at=due_at, now=now
    )
    return Status(on=True, next_at=due_at)
