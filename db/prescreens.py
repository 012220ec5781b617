"""Pre-screen runs: consent, answers as they come, the outcome when done."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from clinic.prescreen import Result
from db.dialect import upsert_insert
from db.models import Patient, Prescreen, PrescreenAnswer


@dataclass(frozen=True)
class Run:
    id: int
    version: str
    position: int


@dataclass(frozen=True)
class Summary:
    """What staff see of a finished pre-screen: the outcome and its reasons, no answers."""

    id: int
    outcome: str
    not_now: tuple[str, ...]
    flags: tuple[str, ...]
    skin_type: str | None
    fitzpatrick_total: int | None
    completed_at: datetime


async def has_consented(session: AsyncSession, *, patient_id: int) -> bool:
    consented = await session.scalar(select(Patient.consented_at).where(Patient.id == patient_id))
    return consented is not None


async def record_consent(session: AsyncSession, *, patient_id: int, now: datetime) -> None:
    await session.execute(update(Patient).where(Patient.id == patient_id).values(consented_at=now))


async def unfinished(session: AsyncSession, *, patient_id: int) -> Run | None:
    row = await session.scalar(
        select(Prescreen)
        .where(Prescreen.patient_id == patient_id, Prescreen.completed_at.is_(None))
        .order_by(Prescreen.started_at.desc(), Prescreen.id.desc())
        .limit(1)
    )
    return None if row is None else Run(row.id, row.version, row.position)


async def begin(session: AsyncSession, *, patient_id: int, version: str, now: datetime) -> Run:
    """Starts a new run, dropping an unfinished one (a patient who starts over)."""
    await session.execute(
        delete(Prescreen).where(
            Prescreen.patient_id == patient_id, Prescreen.completed_at.is_(None)
        )
    )
    row = Prescreen(patient_id=patient_id, version=version, position=0, started_at=now)
    session.add(row)
    await session.flush()
    return Run(row.id, row.version, row.position)


async def own_run(session: AsyncSession, *, run_id: int, patient_id: int) -> Run | None:
    """The patient's unfinished run with this id, locked; None for anything else."""
    row = await session.scalar(
        select(Prescreen)
        .where(
            Prescreen.id == run_id,
            Prescreen.patient_id == patient_id,
            Prescreen.completed_at.is_(None),
        )
        .with_for_update()
    )
    return None if row is None else Run(row.id, row.version, row.position)


async def answer(
    session: AsyncSession, *, run_id: int, question_key: str, answer: int, now: datetime
) -> None:
    """Stores an answer, replacing the earlier one to the same question."""
    insert = upsert_insert(session, PrescreenAnswer).values(
        prescreen_id=run_id, question_key=question_key, answer=answer, answered_at=now
    )
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=["prescreen_id", "question_key"],
            set_={"answer": insert.excluded.answer, "answered_at": insert.excluded.answered_at},
        )
    )


async def move_to(session: AsyncSession, *, run_id: int, position: int) -> None:
    await session.execute(update(Prescreen).where(Prescreen.id == run_id).values(position=position))


async def answers_of(session: AsyncSession, *, run_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(PrescreenAnswer.question_key, PrescreenAnswer.answer).where(
            PrescreenAnswer.prescreen_id == run_id
        )
    )
    return {key: value for key, value in rows}


async def finish(session: AsyncSession, *, run_id: int, result: Result, now: datetime) -> None:
    await session.execute(
        update(Prescreen)
        .where(Prescreen.id == run_id)
        .values(
            completed_at=now,
            outcome=result.outcome.value,
            not_now=[reason.reason for reason in result.not_now],
            flags=list(result.flags),
            fitzpatrick_total=result.fitzpatrick_total,
            skin_type=result.skin_type,
        )
    )


def _summary(row: Prescreen) -> Summary:
    assert row.outcome is not None and row.completed_at is not None
    return Summary(
        id=row.id,
        outcome=row.outcome,
        not_now=tuple(row.not_now or ()),
        flags=tuple(row.flags or ()),
        skin_type=row.skin_type,
        fitzpatrick_total=row.fitzpatrick_total,
        completed_at=row.completed_at,
    )


async def latest(session: AsyncSession, *, patient_id: int) -> Summary | None:
    """The newest finished pre-screen: the one that counts."""
    row = await session.scalar(
        select(Prescreen)
        .where(Prescreen.patient_id == patient_id, Prescreen.completed_at.is_not(None))
        .order_by(Prescreen.completed_at.desc(), Prescreen.id.desc())
        .limit(1)
    )
    return None if row is None else _summary(row)


async def summary(session: AsyncSession, *, prescreen_id: int) -> Summary | None:
    row = await session.get(Prescreen, prescreen_id)
    return None if row is None or row.completed_at is None else _summary(row)
