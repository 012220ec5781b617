"""/mydata and /forget on a real database: the export holds what is stored; forgetting
deletes the patient and all about them, keeps the consultations that took place without
who it was, and tells staff the times of the upcoming ones."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from clinic.statuses import AppointmentStatus
from db import appointments, outbox, prescreens
from db.engine import Database
from db.flow_states import Flow, save_flow
from db.messages import Direction, LogEntry, add_to_log
from db.models import (
    Appointment,
    FlowState,
    MessageLog,
    OutboxMessage,
    Patient,
    Prescreen,
    PrescreenAnswer,
)
from db.patients import upsert_patient
from services import privacy
from services.privacy import STAFF_FORGOTTEN

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
ANA, BEN = 4242, 4343
STAFF_CHAT = -100123


async def _patient(database: Database, telegram_id: int, name: str) -> int:
    """A patient with a pre-screen answer, a flow, a logged message, a consultation that
    took place last week, an upcoming one, and its reminder."""
    async with database.transaction() as session:
        patient_id = await upsert_patient(
            session,
            telegram_id=telegram_id,
            first_name=name,
            last_name=None,
            username=None,
            language_code="en",
            now=NOW,
        )
        run = await prescreens.begin(session, patient_id=patient_id, version="1", now=NOW)
        await prescreens.answer(session, run_id=run.id, question_key="tan", answer=1, now=NOW)
        await save_flow(session, patient_id=patient_id, flow=Flow("prescreen", "question"), now=NOW)
        await add_to_log(
            session, entries=[(patient_id, LogEntry(Direction.IN, "text", "hello", NOW))]
        )
        for days, status in ((-7, AppointmentStatus.COMPLETED), (3, AppointmentStatus.CONFIRMED)):
            booked = await appointments.book(
                session,
                patient_id=patient_id,
                starts_at=NOW + timedelta(days=days, minutes=telegram_id % 7 * 30),
                length=timedelta(minutes=30),
                capacity=2,
                name=f"{name} Silva",
                phone="+14165550100",
                status=status,
                now=NOW,
            )
            assert booked is not None
        outbox.enqueue(
            session,
            kind="reminder",
            chat_id=telegram_id,
            patient_id=patient_id,
            appointment_id=booked.id,
            due_at=booked.starts_at - timedelta(hours=2),
            now=NOW,
        )
    return patient_id


async def test_the_export_holds_what_is_stored(database: Database) -> None:
    patient_id = await _patient(database, ANA, "Ana")
    await _patient(database, BEN, "Ben")
    async with database.transaction() as session:
        data = await privacy.export(session, patient_id=patient_id, clinic_name="Clinic", now=NOW)
    document = json.loads(data)
    assert document["clinic"] == "Clinic"
    assert document["exported_at"] == NOW.isoformat()
    assert document["profile"]["first_name"] == "Ana"
    assert [a["question_key"] for a in document["prescreens"][0]["answers"]] == ["tan"]
    assert [a["name"] for a in document["appointments"]] == ["Ana Silva", "Ana Silva"]
    assert [m["kind"] for m in document["scheduled_messages"]] == ["reminder"]
    assert [m["text"] for m in document["messages"]] == ["hello"]
    assert document["conversation_state"]["flow"] == "prescreen"


async def test_forgetting_deletes_the_patient_and_tells_staff_the_upcoming_time(
    database: Database,
) -> None:
    ana = await _patient(database, ANA, "Ana")
    ben = await _patient(database, BEN, "Ben")
    async with database.transaction() as session:
        forgotten = await privacy.forget(session, patient_id=ana, staff_chat_id=STAFF_CHAT, now=NOW)
    assert forgotten == privacy.Forgotten(cancelled=1)
    async with database.transaction() as session:

        async def count(model: type, *where: object) -> int:
            return int(await session.scalar(select(func.count()).select_from(model).where(*where)))

        assert await session.get(Patient, ana) is None
        for model in (FlowState, MessageLog, Prescreen):
            assert await count(model, model.patient_id == ana) == 0  # type: ignore[attr-defined]
        assert await count(PrescreenAnswer) == 1  # Ben's
        # The consultation that took place stays, without who it was.
        kept = (
            await session.scalars(select(Appointment).where(Appointment.patient_id.is_(None)))
        ).all()
        assert [(a.status, a.name, a.phone) for a in kept] == [
            (AppointmentStatus.COMPLETED, None, None)
        ]
        assert await count(Appointment, Appointment.patient_id == ben) == 2
        rows = (
            await session.execute(
                select(OutboxMessage.kind, OutboxMessage.chat_id, OutboxMessage.payload)
            )
        ).all()
        assert sorted((kind, chat) for kind, chat, _ in rows) == [
            ("reminder", BEN),
            (STAFF_FORGOTTEN, STAFF_CHAT),
        ]
        upcoming = NOW + timedelta(days=3, minutes=ANA % 7 * 30)
        assert [p for k, _, p in rows if k == STAFF_FORGOTTEN] == [
            {"starts_at": upcoming.isoformat()}
        ]


async def test_without_a_staff_group_nobody_is_told(database: Database) -> None:
    ana = await _patient(database, ANA, "Ana")
    async with database.transaction() as session:
        forgotten = await privacy.forget(session, patient_id=ana, staff_chat_id=None, now=NOW)
        assert forgotten.cancelled == 1
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
