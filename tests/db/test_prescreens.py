"""db.prescreens: consent, runs, answers as they come, the outcome when done."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from clinic.prescreen import Outcome, Reason, Result
from db import prescreens
from db.engine import Database
from db.models import Prescreen, PrescreenAnswer
from tests.db.support import NOW, add_patient

RESULT = Result(
    outcome=Outcome.NOT_NOW,
    not_now=(Reason("pregnant", "after"),),
    flags=("retinoids",),
    fitzpatrick_total=14,
    skin_type="III",
)


async def test_consent_is_recorded(database: Database) -> None:
    ana = await add_patient(database)
    async with database.transaction() as session:
        assert not await prescreens.has_consented(session, patient_id=ana)
        await prescreens.record_consent(session, patient_id=ana, now=NOW)
    async with database.transaction() as session:
        assert await prescreens.has_consented(session, patient_id=ana)


async def test_a_run_from_first_answer_to_outcome(database: Database) -> None:
    ana = await add_patient(database)
    ben = await add_patient(database, telegram_id=2, first_name="Ben")
    async with database.transaction() as session:
        assert await prescreens.unfinished(session, patient_id=ana) is None
        run = await prescreens.begin(session, patient_id=ana, version="v1", now=NOW)
        assert run == prescreens.Run(run.id, "v1", 0)
        await prescreens.answer(session, run_id=run.id, question_key="q1", answer=2, now=NOW)
        await prescreens.answer(session, run_id=run.id, question_key="q2", answer=0, now=NOW)
        await prescreens.move_to(session, run_id=run.id, position=2)
    later = NOW + timedelta(minutes=1)
    async with database.transaction() as session:
        assert await prescreens.unfinished(session, patient_id=ana) == prescreens.Run(
            run.id, "v1", 2
        )
        assert await prescreens.own_run(session, run_id=run.id, patient_id=ana) == (
            prescreens.Run(run.id, "v1", 2)
        )
        assert await prescreens.own_run(session, run_id=run.id, patient_id=ben) is None
        # Back to the first question, answered again: the new answer replaces the old.
        await prescreens.answer(session, run_id=run.id, question_key="q1", answer=3, now=later)
        assert await prescreens.answers_of(session, run_id=run.id) == {"q1": 3, "q2": 0}
        assert await prescreens.latest(session, patient_id=ana) is None
        assert await prescreens.summary(session, prescreen_id=run.id) is None
        await prescreens.finish(session, run_id=run.id, result=RESULT, now=later)
    expected = prescreens.Summary(
        run.id, "not_now", ("pregnant",), ("retinoids",), "III", 14, later
    )
    async with database.transaction() as session:
        assert await prescreens.unfinished(session, patient_id=ana) is None
        assert await prescreens.own_run(session, run_id=run.id, patient_id=ana) is None
        assert await prescreens.latest(session, patient_id=ana) == expected
        assert await prescreens.summary(session, prescreen_id=run.id) == expected
        assert await prescreens.summary(session, prescreen_id=run.id + 100) is None
        answered = (
            await session.execute(select(PrescreenAnswer.question_key, PrescreenAnswer.answered_at))
        ).all()
        assert sorted(answered) == [("q1", later), ("q2", NOW)]


async def test_starting_over_drops_the_unfinished_run_only(database: Database) -> None:
    ana = await add_patient(database)
    async with database.transaction() as session:
        done = await prescreens.begin(session, patient_id=ana, version="v1", now=NOW)
        await prescreens.finish(session, run_id=done.id, result=RESULT, now=NOW)
        first = await prescreens.begin(session, patient_id=ana, version="v1", now=NOW)
        await prescreens.answer(session, run_id=first.id, question_key="q1", answer=1, now=NOW)
    async with database.transaction() as session:
        again = await prescreens.begin(session, patient_id=ana, version="v2", now=NOW)
    async with database.transaction() as session:
        assert await prescreens.unfinished(session, patient_id=ana) == prescreens.Run(
            again.id, "v2", 0
        )
        runs = (await session.scalars(select(Prescreen.id).order_by(Prescreen.id))).all()
        assert runs == [done.id, again.id]
        assert (await session.scalars(select(PrescreenAnswer))).all() == []
        latest = await prescreens.latest(session, patient_id=ana)
        assert latest is not None and latest.id == done.id
