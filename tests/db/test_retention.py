"""db.retention: each purge deletes what is older than its cut-off, a batch at a time."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from db import retention
from db.engine import Database
from db.models import (
    AftercareCheckin,
    AftercarePlan,
    Appointment,
    Audit,
    FlowState,
    MessageLog,
    OutboxMessage,
    Patient,
    Prescreen,
    PrescreenAnswer,
    ProcessedUpdate,
)
from tests.db.support import NOW, add_appointment, add_patient

CUT = NOW
OLD = CUT - timedelta(seconds=1)
MINUTE = timedelta(minutes=1)


async def _add(database: Database, *rows: Any) -> None:
    async with database.transaction() as session:
        session.add_all(rows)


async def _ids(database: Database, key: Any) -> list[Any]:
    async with database.transaction() as session:
        return list((await session.scalars(select(key).order_by(key))).all())


async def _purge(database: Database, purge: retention.Purge, **kwargs: Any) -> int:
    async with database.transaction() as session:
        return await purge(session, before=CUT, **kwargs)


async def test_messages(database: Database) -> None:
    ana = await add_patient(database)
    await _add(
        database,
        *(
            MessageLog(id=i, patient_id=ana, direction="in", kind="text", at=at)
            for i, at in enumerate((OLD - MINUTE, OLD, CUT, CUT + MINUTE), start=1)
        ),
    )
    assert await _purge(database, retention.purge_messages) == 2
    assert await _ids(database, MessageLog.id) == [3, 4]


async def test_conversations(database: Database) -> None:
    ana = await add_patient(database)
    ben = await add_patient(database, telegram_id=2)
    await _add(
        database,
        FlowState(patient_id=ana, flow="booking", data={}, updated_at=OLD),
        FlowState(patient_id=ben, flow="booking", data={}, updated_at=CUT),
    )
    assert await _purge(database, retention.purge_conversations) == 1
    assert await _ids(database, FlowState.patient_id) == [ben]


def _prescreen(id: int, patient_id: int, started: datetime, done: datetime | None) -> Prescreen:
    return Prescreen(
        id=id, patient_id=patient_id, version="v1", started_at=started, completed_at=done
    )


async def test_prescreens_unfinished_and_finished(database: Database) -> None:
    ana = await add_patient(database)
    await _add(
        database,
        _prescreen(1, ana, OLD, None),  # unfinished, old: goes
        _prescreen(2, ana, CUT, None),  # unfinished, recent: stays
        _prescreen(3, ana, OLD - MINUTE, OLD),  # finished before the cut-off
        _prescreen(4, ana, OLD, CUT),  # finished at the cut-off
    )
    await _add(
        database,
        *(
            PrescreenAnswer(prescreen_id=run, question_key="q1", answer=1, answered_at=OLD)
            for run in (1, 2, 3, 4)
        ),
    )
    assert await _purge(database, retention.purge_unfinished_prescreens) == 1
    assert await _ids(database, Prescreen.id) == [2, 3, 4]
    assert await _purge(database, retention.purge_prescreens) == 1
    assert await _ids(database, Prescreen.id) == [2, 4]
    assert await _ids(database, PrescreenAnswer.prescreen_id) == [2, 4]


async def test_updates_only_once_handled(database: Database) -> None:
    await _add(
        database,
        ProcessedUpdate(update_id=1, processed_at=OLD, handled_at=OLD),
        ProcessedUpdate(update_id=2, processed_at=OLD, handled_at=None, payload={"x": 1}),
        ProcessedUpdate(update_id=3, processed_at=CUT, handled_at=CUT),
    )
    assert await _purge(database, retention.purge_updates) == 1
    assert await _ids(database, ProcessedUpdate.update_id) == [2, 3]


async def test_outbox_keeps_pending_and_recent(database: Database) -> None:
    def row(id: int, status: str, created_at: datetime) -> OutboxMessage:
        return OutboxMessage(
            id=id,
            kind="reply",
            chat_id=42,
            payload={},
            due_at=created_at,
            status=status,
            attempts=0,
            created_at=created_at,
        )

    await _add(
        database,
        row(1, "sent", OLD),
        row(2, "failed", OLD),
        row(3, "cancelled", OLD),
        row(4, "pending", OLD),
        row(5, "sent", CUT),
    )
    assert await _purge(database, retention.purge_outbox) == 3
    assert await _ids(database, OutboxMessage.id) == [4, 5]


async def test_appointments_by_their_end(database: Database) -> None:
    ana = await add_patient(database)
    await add_appointment(  # ended before the cut-off
        database, patient_id=ana, starts_at=OLD - 30 * MINUTE
    )
    kept = await add_appointment(database, patient_id=ana, starts_at=CUT - 30 * MINUTE, seat=1)
    await add_appointment(  # kept after /forget, ended before
        database, patient_id=None, name=None, phone=None, starts_at=OLD - 60 * MINUTE
    )
    assert await _purge(database, retention.purge_appointments) == 2
    assert await _ids(database, Appointment.id) == [kept]


async def test_audit(database: Database) -> None:
    def row(id: int, at: datetime) -> Audit:
        return Audit(id=id, at=at, user_id=7, user_name="Lee", action="patient.view")

    await _add(database, row(1, OLD), row(2, CUT))
    assert await _purge(database, retention.purge_audit) == 1
    assert await _ids(database, Audit.id) == [2]


async def test_aftercare_plans_not_sending(database: Database) -> None:
    ana = await add_patient(database)
    ben = await add_patient(database, telegram_id=2)

    def plan(
        id: int, patient_id: int, status: str, created: datetime, ended: datetime | None
    ) -> AftercarePlan:
        return AftercarePlan(
            id=id,
            patient_id=patient_id,
            laser="co2",
            treated_on=date(2024, 1, 1),
            status=status,
            created_at=created,
            ended_at=ended,
        )

    await _add(
        database,
        plan(1, ana, "completed", OLD - MINUTE, OLD),  # ended before: goes
        plan(2, ana, "stopped", OLD - MINUTE, CUT),  # ended at the cut-off: stays
        plan(3, ana, "invited", OLD, None),  # never answered, created before: goes
        plan(4, ana, "declined", CUT, None),  # created at the cut-off: stays
        plan(5, ben, "active", OLD - MINUTE, None),  # sending: stays however old
    )
    await _add(
        database,
        *(AftercareCheckin(plan_id=p, day=1, answer="ok", at=OLD) for p in (1, 2, 5)),
    )
    assert await _purge(database, retention.purge_aftercare) == 2
    assert await _ids(database, AftercarePlan.id) == [2, 4, 5]
    assert await _ids(database, AftercareCheckin.plan_id) == [2, 5]


async def test_a_purge_deletes_one_batch_oldest_keys_first(database: Database) -> None:
    ana = await add_patient(database)
    await _add(
        database,
        *(
            MessageLog(id=i, patient_id=ana, direction="out", kind="text", at=OLD)
            for i in range(1, 8)
        ),
    )
    assert await _purge(database, retention.purge_messages, limit=3) == 3
    assert await _ids(database, MessageLog.id) == [4, 5, 6, 7]
    assert await _purge(database, retention.purge_messages, limit=3) == 3
    assert await _purge(database, retention.purge_messages, limit=3) == 1
    assert await _purge(database, retention.purge_messages, limit=3) == 0
    assert await _ids(database, MessageLog.id) == []


async def test_patients_with_anything_left_are_kept(database: Database) -> None:
    async def patient(telegram_id: int, created_at: datetime = OLD) -> int:
        async with database.transaction() as session:
            row = Patient(
                telegram_id=telegram_id, first_name=str(telegram_id), created_at=created_at
            )
            session.add(row)
            await session.flush()
            return row.id

    await patient(1)  # nothing left about them: goes
    recent = await patient(2, created_at=CUT)
    logged = await patient(3)
    flowing = await patient(4)
    booked = await patient(5)
    screened = await patient(6)
    treated = await patient(7)
    pending = await patient(8)
    sent = await patient(9)
    await add_appointment(database, patient_id=booked, starts_at=OLD)
    await _add(
        database,
        MessageLog(patient_id=logged, direction="in", kind="text", at=OLD),
        FlowState(patient_id=flowing, data={}, updated_at=OLD),
        _prescreen(1, screened, OLD, None),
        AftercarePlan(
            patient_id=treated,
            laser="co2",
            treated_on=date(2024, 1, 1),
            status="declined",
            created_at=OLD,
        ),
        *(
            OutboxMessage(
                kind="reply",
                chat_id=who,
                patient_id=who_id,
                payload={},
                due_at=OLD,
                status=status,
                attempts=0,
                created_at=OLD,
            )
            for who, who_id, status in ((8, pending, "pending"), (9, sent, "sent"))
        ),
    )
    assert await _purge(database, retention.purge_patients) == 2
    assert await _ids(database, Patient.id) == sorted(
        [recent, logged, flowing, booked, screened, treated, pending]
    )
    async with database.transaction() as session:
        # The sent row went with its patient (ON DELETE CASCADE).
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_the_plan_runs_records_first_and_profiles_last() -> None:
    periods = retention.Retention()
    steps = retention.plan(periods, NOW)
    names = [name for name, _, _ in steps]
    assert (names[0], names[-1]) == ("updates", "patients")
    cutoffs = {name: cutoff for name, _, cutoff in steps}
    assert cutoffs["messages"] == NOW - timedelta(days=90)
    assert cutoffs["appointments"] == NOW - timedelta(days=730)
    assert cutoffs["patients"] == NOW - timedelta(days=90)
