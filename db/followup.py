"""The long-term check-in's row per patient: the newest treatment, the opt-out, the answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from clinic.followup import Answer
from clinic.statuses import OutboxStatus
from db.dialect import upsert_insert
from db.models import Followup, OutboxMessage


@dataclass(frozen=True)
class FollowupView:
    patient_id: int
    treated_on: date | None
    off_at: datetime | None
    answer: Answer | None
    answered_at: datetime | None

    @property
    def on(self) -> bool:
        return self.off_at is None


def _view(row: Followup) -> FollowupView:
    return FollowupView(
        patient_id=row.patient_id,
        treated_on=row.treated_on,
        off_at=row.off_at,
        answer=None if row.answer is None else Answer(row.answer),
        answered_at=row.answered_at,
    )


async def find(session: AsyncSession, *, patient_id: int) -> FollowupView | None:
    row = await session.scalar(select(Followup).where(Followup.patient_id == patient_id))
    return None if row is None else _view(row)


async def locked(session: AsyncSession, *, patient_id: int, now: datetime) -> FollowupView:
    """The patient's row, created if missing, locked until the transaction ends: two
    treatments recorded at once for one patient take turns (PostgreSQL waits on the
    insert or the lock; SQLite has one writer), so one check-in stays pending."""
    await session.execute(
        upsert_insert(session, Followup)
        .values(patient_id=patient_id, updated_at=now)
        .on_conflict_do_nothing(index_elements=["patient_id"])
    )
    row = (
        await session.scalars(
            select(Followup)
            .where(Followup.patient_id == patient_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).one()
    return _view(row)


async def set_treated_on(
    session: AsyncSession, *, patient_id: int, treated_on: date, now: datetime
) -> None:
    """A newer treatment: the check-in counts from it, and waits for a new answer."""
    await session.execute(
        update(Followup)
        .where(Followup.patient_id == patient_id)
        .values(treated_on=treated_on, answer=None, answered_at=None, updated_at=now)
    )


async def set_off(
    session: AsyncSession, *, patient_id: int, off_at: datetime | None, now: datetime
) -> None:
    """Turns the check-ins off (`off_at`, when) or on again (None)."""
    await session.execute(
        update(Followup)
        .where(Followup.patient_id == patient_id)
        .values(off_at=off_at, updated_at=now)
    )


async def set_answer(
    session: AsyncSession, *, patient_id: int, answer: Answer, now: datetime
) -> None:
    await session.execute(
        update(Followup)
        .where(Followup.patient_id == patient_id)
        .values(answer=answer, answered_at=now, updated_at=now)
    )


async def pending_at(session: AsyncSession, *, patient_id: int, kind: str) -> datetime | None:
    """When the patient's pending message of `kind` is due, if one is queued."""
    due_at: datetime | None = await session.scalar(
        select(OutboxMessage.due_at)
        .where(
            OutboxMessage.patient_id == patient_id,
            OutboxMessage.kind == kind,
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .order_by(OutboxMessage.due_at)
        .limit(1)
    )
    return due_at
