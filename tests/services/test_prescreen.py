"""The pre-screen's use cases on a real database: consent, a run answered to its
result, back, stop and resume, stale buttons, and the run a booking links to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from clinic.prescreen import NO, YES, Band, Group, Outcome, Question, Questionnaire
from db.engine import Database
from db.models import Patient, Prescreen, PrescreenAnswer
from db.patients import upsert_patient
from services import prescreen
from services.prescreen import Asking, Finished, NeedsConsent, Resumable, Stale

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
QUESTIONNAIRE = Questionnaire(
    version="t1",
    questions=(
        Question("pregnant", Group.NOT_NOW, "Pregnant?", ("Yes", "No"), "Pregnancy", "Wait."),
        Question("herpes", Group.FLAG, "Cold sores?", ("Yes", "No"), "Cold sores"),
        Question("eyes", Group.FITZPATRICK, "Eyes?", ("a", "b", "c", "d", "e")),
    ),
    bands=(Band(2, "I"), Band(40, "II", flag="Darker skin")),
)


async def _patient(database: Database, telegram_id: int = 4242) -> int:
    async with database.transaction() as session:
        return await upsert_patient(
            session,
            telegram_id=telegram_id,
            first_name="Ana",
            last_name=None,
            username=None,
            language_code="en",
            now=NOW,
        )


async def _consented(database: Database, patient_id: int) -> int:
    async with database.transaction() as session:
        started = await prescreen.start(
            session, patient_id=patient_id, questionnaire=QUESTIONNAIRE, now=NOW
        )
        assert started == NeedsConsent()
        asking = await prescreen.consent(
            session, patient_id=patient_id, questionnaire=QUESTIONNAIRE, now=NOW
        )
        assert asking.run.position == 0 and asking.run.version == "t1"
        return asking.run.id


async def _answer(
    database: Database, patient_id: int, run_id: int, position: int, choice: int
) -> Asking | Finished | Stale:
    async with database.transaction() as session:
        return await prescreen.answer(
            session,
            patient_id=patient_id,
            run_id=run_id,
            position=position,
            choice=choice,
            questionnaire=QUESTIONNAIRE,
            now=NOW + timedelta(minutes=position + 1),
        )


async def test_a_run_answered_to_its_result(database: Database) -> None:
    patient_id = await _patient(database)
    run_id = await _consented(database, patient_id)
    async with database.transaction() as session:
        assert await session.scalar(select(Patient.consented_at)) == NOW
    first = await _answer(database, patient_id, run_id, 0, NO)
    assert isinstance(first, Asking) and first.run.position == 1
    assert isinstance(await _answer(database, patient_id, run_id, 1, YES), Asking)
    finished = await _answer(database, patient_id, run_id, 2, 1)
    assert isinstance(finished, Finished)
    summary = finished.summary
    assert (summary.id, summary.outcome) == (run_id, Outcome.DISCUSS.value)
    assert summary.flags == ("Cold sores",) and summary.not_now == ()
    assert (summary.skin_type, summary.fitzpatrick_total) == ("I", 1)
    async with database.transaction() as session:
        answers = await session.execute(
            select(PrescreenAnswer.question_key, PrescreenAnswer.answer).order_by(
                PrescreenAnswer.question_key
            )
        )
        assert list(answers) == [("eyes", 1), ("herpes", YES), ("pregnant", NO)]
        assert await prescreen.latest(session, patient_id=patient_id) == summary
        assert await prescreen.summary(session, prescreen_id=run_id) == summary
        assert await prescreen.for_booking(session, patient_id=patient_id) == run_id
        # A finished run takes no more answers, and a new start begins a new run.
        assert await prescreen.current(session, patient_id=patient_id, run_id=run_id) is None
        started = await prescreen.start(
            session, patient_id=patient_id, questionnaire=QUESTIONNAIRE, now=NOW
        )
        assert isinstance(started, Asking) and started.run.id != run_id
    assert isinstance(await _answer(database, patient_id, run_id, 2, 0), Stale)


async def test_back_changes_the_previous_answer(database: Database) -> None:
    patient_id = await _patient(database)
    run_id = await _consented(database, patient_id)
    await _answer(database, patient_id, run_id, 0, YES)
    async with database.transaction() as session:
        moved = await prescreen.back(session, patient_id=patient_id, run_id=run_id, position=1)
        assert isinstance(moved, Asking) and moved.run.position == 0
        # Back from a question no longer on screen changes nothing.
        stale = await prescreen.back(session, patient_id=patient_id, run_id=run_id, position=1)
        assert stale == Stale()
    await _answer(database, patient_id, run_id, 0, NO)
    await _answer(database, patient_id, run_id, 1, NO)
    finished = await _answer(database, patient_id, run_id, 2, 4)
    assert isinstance(finished, Finished)
    assert finished.summary.outcome == Outcome.DISCUSS.value  # the skin band's flag only
    assert finished.summary.not_now == ()
    assert finished.summary.flags == ("Darker skin",)


async def test_a_stopped_run_is_offered_again_and_restart_drops_it(database: Database) -> None:
    patient_id = await _patient(database)
    run_id = await _consented(database, patient_id)
    await _answer(database, patient_id, run_id, 0, YES)
    async with database.transaction() as session:
        started = await prescreen.start(
            session, patient_id=patient_id, questionnaire=QUESTIONNAIRE, now=NOW
        )
        assert isinstance(started, Resumable)
        assert (started.run.id, started.run.position) == (run_id, 1)
        run = await prescreen.current(session, patient_id=patient_id, run_id=run_id)
        assert run is not None and run.position == 1
    finished = None
    for position, choice in ((1, NO), (2, 0)):
        finished = await _answer(database, patient_id, run_id, position, choice)
    assert isinstance(finished, Finished)
    assert finished.summary.outcome == Outcome.NOT_NOW.value
    assert finished.summary.not_now == ("Pregnancy",)

    async with database.transaction() as session:
        again = await prescreen.restart(
            session, patient_id=patient_id, questionnaire=QUESTIONNAIRE, now=NOW
        )
        assert isinstance(again, Asking)
    await _answer(database, patient_id, again.run.id, 0, NO)
    async with database.transaction() as session:
        restarted = await prescreen.restart(
            session, patient_id=patient_id, questionnaire=QUESTIONNAIRE, now=NOW
        )
        assert isinstance(restarted, Asking) and restarted.run.position == 0
        runs = (await session.scalars(select(Prescreen.id).order_by(Prescreen.id))).all()
        # The finished run stays (it counts until a newer one finishes); the
        # unfinished one the patient started over from is gone.
        assert runs == [run_id, restarted.run.id]
        assert await prescreen.for_booking(session, patient_id=patient_id) == run_id


async def test_stale_and_foreign_buttons_change_nothing(database: Database) -> None:
    ana = await _patient(database)
    ben = await _patient(database, telegram_id=4343)
    run_id = await _consented(database, ana)
    assert await _answer(database, ana, run_id, 1, NO) == Stale()  # not the question asked
    assert await _answer(database, ana, run_id, 0, 7) == Stale()  # no such answer
    assert await _answer(database, ben, run_id, 0, NO) == Stale()  # someone else's run
    async with database.transaction() as session:
        assert (
            await prescreen.restart(session, patient_id=ben, questionnaire=QUESTIONNAIRE, now=NOW)
            == NeedsConsent()
        )
        assert await prescreen.for_booking(session, patient_id=ana) is None
        run = await prescreen.current(session, patient_id=ana, run_id=run_id)
        assert run is not None and run.position == 0
        assert await session.scalar(select(PrescreenAnswer.question_key)) is None
