"""The outcome staff record at the end of a consultation (keyword-only, no commit)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from clinic.aftercare import Laser
from clinic.treatment import Outcome
from db.models import ConsultationOutcome


@dataclass(frozen=True)
class OutcomeView:
    appointment_id: int
    outcome: Outcome
    laser: Laser | None
    sessions: int | None
    note: str | None
    recorded_by: str
    recorded_at: datetime


def _view(row: ConsultationOutcome) -> OutcomeView:
    return OutcomeView(
        appointment_id=row.appointment_id,
        outcome=Outcome(row.outcome),
        laser=Laser(row.laser) if row.laser else None,
        sessions=row.sessions,
        note=row.note,
        recorded_by=row.recorded_by,
        recorded_at=row.recorded_at,
    )


async def of_consultation(session: AsyncSession, *, appointment_id: int) -> OutcomeView | None:
    row = await session.get(ConsultationOutcome, appointment_id)
    return None if row is None else _view(row)


async def record(
    session: AsyncSession,
    *,
    appointment_id: int,
    outcome: Outcome,
    laser: Laser | None,
    sessions: int | None,
    recorded_by: str,
    now: datetime,
) -> OutcomeView | None:
    """Records the outcome once; None if one was recorded already (a colleague first:
    the primary key decides, in a savepoint so the transaction goes on)."""
    row = ConsultationOutcome(
        appointment_id=appointment_id,
        outcome=outcome,
        laser=laser,
        sessions=sessions,
        recorded_by=recorded_by,
        recorded_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    return _view(row)


async def set_note(session: AsyncSession, *, appointment_id: int, note: str) -> OutcomeView | None:
    row = (
        await session.scalars(
            select(ConsultationOutcome)
            .where(ConsultationOutcome.appointment_id == appointment_id)
            .with_for_update()
        )
    ).one_or_none()
    if row is None:
        return None
    row.note = note
    return _view(row)
