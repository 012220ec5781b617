"""The candidacy pre-screen as use cases: consent, a run of the questionnaire answered
one question at a time (back, stop, resume), its result, and the run a booking links to.

Health answers are stored only after the patient agreed to the consent text. A run
keeps its answers and the question it is at, so a patient who stops carries on there
later; starting over drops the unfinished run. The newest finished run is the one
that counts (and the one a new booking carries to staff).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from clinic.prescreen import Questionnaire, score
from db import prescreens
from db.prescreens import Run as Run
from db.prescreens import Summary as Summary


@dataclass(frozen=True)
class NeedsConsent:
    """The patient has not agreed to the consent text: nothing may be asked yet."""


@dataclass(frozen=True)
class Asking:
    """The run is at `run.position`: that question is asked."""

    run: Run


@dataclass(frozen=True)
class Resumable:
    """An unfinished run past its first question: continue it, or start again."""

    run: Run


@dataclass(frozen=True)
class Finished:
    """The last answer came in: the run's result."""

    summary: Summary


@dataclass(frozen=True)
class Stale:
    """A button for a question that is no longer the one asked (or no run of theirs)."""


Started = NeedsConsent | Resumable | Asking
Answered = Asking | Finished | Stale


async def _new_run(
    session: AsyncSession, patient_id: int, questionnaire: Questionnaire, now: datetime
) -> Run:
    return await prescreens.begin(
        session, patient_id=patient_id, version=questionnaire.version, now=now
    )


async def start(
    session: AsyncSession, *, patient_id: int, questionnaire: Questionnaire, now: datetime
) -> Started:
    """Consent first; then the unfinished run (offered to resume past its first
    question), or a new one."""
    if not await prescreens.has_consented(session, patient_id=patient_id):
        return NeedsConsent()
    run = await prescreens.unfinished(session, patient_id=patient_id)
    if run is not None and run.position > 0:
        return Resumable(run)
    return Asking(run or await _new_run(session, patient_id, questionnaire, now))


async def consent(
    session: AsyncSession, *, patient_id: int, questionnaire: Questionnaire, now: datetime
) -> Asking:
    """Stores when the patient agreed, and starts a run."""
    await prescreens.record_consent(session, patient_id=patient_id, now=now)
    return Asking(await _new_run(session, patient_id, questionnaire, now))


async def restart(
    session: AsyncSession, *, patient_id: int, questionnaire: Questionnaire, now: datetime
) -> NeedsConsent | Asking:
    """Starts again from the first question; the unfinished run is dropped."""
    if not await prescreens.has_consented(session, patient_id=patient_id):
        return NeedsConsent()
    return Asking(await _new_run(session, patient_id, questionnaire, now))


async def current(session: AsyncSession, *, patient_id: int, run_id: int) -> Run | None:
    """The patient's unfinished run with this id (locked), or None for anything else:
    a finished run, someone else's, a forged id."""
    return await prescreens.own_run(session, run_id=run_id, patient_id=patient_id)


async def _at(session: AsyncSession, patient_id: int, run_id: int, position: int) -> Run | None:
    run = await current(session, patient_id=patient_id, run_id=run_id)
    return run if run is not None and run.position == position else None


async def answer(
    session: AsyncSession,
    *,
    patient_id: int,
    run_id: int,
    position: int,
    choice: int,
    questionnaire: Questionnaire,
    now: datetime,
) -> Answered:
    """Stores the answer to the question at `position` and moves to the next one; after
    the last, scores the run and returns its result."""
    run = await _at(session, patient_id, run_id, position)
    questions = questionnaire.questions
    if run is None or not 0 <= position < len(questions):
        return Stale()
    question = questions[position]
    if not 0 <= choice < len(question.answers):
        return Stale()
    await prescreens.answer(
        session, run_id=run.id, question_key=question.key, answer=choice, now=now
    )
    if position + 1 < len(questions):
        await prescreens.move_to(session, run_id=run.id, position=position + 1)
        return Asking(Run(run.id, run.version, position + 1))
    result = score(questionnaire, await prescreens.answers_of(session, run_id=run.id))
    await prescreens.finish(session, run_id=run.id, result=result, now=now)
    summary = await prescreens.summary(session, prescreen_id=run.id)
    assert summary is not None
    return Finished(summary)


async def back(
    session: AsyncSession, *, patient_id: int, run_id: int, position: int
) -> Asking | Stale:
    """Goes from the question at `position` to the one before, to change its answer."""
    run = await _at(session, patient_id, run_id, position)
    if run is None:
        return Stale()
    previous = max(position - 1, 0)
    await prescreens.move_to(session, run_id=run.id, position=previous)
    return Asking(Run(run.id, run.version, previous))


async def latest(session: AsyncSession, *, patient_id: int) -> Summary | None:
    """The newest finished pre-screen: the one that counts."""
    return await prescreens.latest(session, patient_id=patient_id)


async def for_booking(session: AsyncSession, *, patient_id: int) -> int | None:
    """The pre-screen a new booking links to (staff see its outcome on the card)."""
    summary = await prescreens.latest(session, patient_id=patient_id)
    return None if summary is None else summary.id


async def summary(session: AsyncSession, *, prescreen_id: int) -> Summary | None:
    """A finished pre-screen's outcome and reasons (never the answers), for staff."""
    return await prescreens.summary(session, prescreen_id=prescreen_id)
