"""db.privacy: everything about a patient as one document, and forgetting them."""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy import func, select

from clinic.aftercare import Laser
from clinic.statuses import AppointmentStatus
from clinic.treatment import Kind
from db import aftercare, outbox, prescreens, privacy, waitlist
from db.engine import Database
from db.models import (
    AftercareCheckin,
    AftercarePlan,
    Appointment,
    FlowState,
    Followup,
    MessageLog,
    OutboxMessage,
    Patient,
    Prescreen,
    PrescreenAnswer,
)
from tests.db.support import NOW, add_appointment, add_patient

DAY = timedelta(days=1)


async def _fill(
    database: Database, patient_id: int, telegram_id: int, seat: int = 0
) -> dict[str, int]:
    """A little of every kind of row about one patient."""
    ids: dict[str, int] = {}
    ids["past"] = await add_appointment(
        database, seat=seat, patient_id=patient_id, starts_at=NOW - 3 * DAY
    )
    ids["no_show"] = await add_appointment(
        database, seat=seat, patient_id=patient_id, starts_at=NOW - 2 * DAY, status="no_show"
    )
    ids["past_requested"] = await add_appointment(
        database, seat=seat, patient_id=patient_id, starts_at=NOW - DAY, status="requested"
    )
    ids["next"] = await add_appointment(
        database, seat=seat, patient_id=patient_id, starts_at=NOW + 2 * DAY, status="requested"
    )
    ids["later"] = await add_appointment(
        database, seat=seat, patient_id=patient_id, starts_at=NOW + 3 * DAY
    )
    ids["cancelled"] = await add_appointment(
        database, seat=seat, patient_id=patient_id, starts_at=NOW + DAY, status="cancelled"
    )
    async with database.transaction() as session:
        await prescreens.record_consent(session, patient_id=patient_id, now=NOW)
        run = await prescreens.begin(session, patient_id=patient_id, version="v1", now=NOW)
        await prescreens.answer(session, run_id=run.id, question_key="q1", answer=2, now=NOW)
        ids["prescreen"] = run.id
        past = await session.get_one(Appointment, ids["past"])
        past.prescreen_id, past.cancel_reason = run.id, "none"
        plan = await aftercare.start(
            session,
            patient_id=patient_id,
            laser=Laser.CO2,
            treated_on=date(2026, 10, 29),
            send_at=time(9),
            now=NOW,
        )
        ids["plan"] = plan.id
        await aftercare.record_checkin(session, plan_id=plan.id, day=3, answer="ok", now=NOW)
        session.add(
            FlowState(patient_id=patient_id, flow="booking", step="day", data={}, updated_at=NOW)
        )
        session.add(
            MessageLog(patient_id=patient_id, direction="in", kind="text", text="hi", at=NOW)
        )
        session.add(Followup(patient_id=patient_id, treated_on=date(2026, 10, 29), updated_at=NOW))
        outbox.enqueue(
            session,
            kind="aftercare_nudge",
            chat_id=telegram_id,
            due_at=NOW + DAY,
            now=NOW,
            patient_id=patient_id,
            plan_id=plan.id,
        )
        # A reply to the chat with no patient row linked, and a staff card about them.
        outbox.enqueue(session, kind="reply", chat_id=telegram_id, due_at=NOW, now=NOW)
        outbox.enqueue(
            session, kind="staff_card", chat_id=-100, due_at=NOW, now=NOW, patient_id=patient_id
        )
    return ids


async def _count(database: Database, model: type, *where: object) -> int:
    async with database.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_everything_about_the_patient_and_nobody_else(database: Database) -> None:
    ana = await add_patient(database)
    ben = await add_patient(database, telegram_id=2, first_name="Ben")
    ids = await _fill(database, ana, 42)
    await _fill(database, ben, 2, seat=1)
    async with database.transaction() as session:
        for patient_id in (ana, ben):
            await waitlist.join(
                session, patient_id=patient_id, until=date(2026, 12, 7), today=NOW.date(), now=NOW
            )
    async with database.transaction() as session:
        document = await privacy.everything(session, patient_id=ana)
    [waiting] = document["waitlist"]
    assert (waiting["until"], waiting["ended_at"], waiting["offers"]) == ("2026-12-07", None, [])
    assert set(document) == {
        "profile",
        "consent",
        "conversation_state",
        "prescreens",
        "appointments",
        "aftercare_plans",
        "followup",
        "waitlist",
        "scheduled_messages",
        "messages",
    }
    assert document["profile"]["id"] == ana
    assert document["profile"]["first_name"] == "Ana"
    assert "consented_at" not in document["profile"]
    assert document["consent"] == {"health_questions_agreed_at": NOW.isoformat()}
    assert document["conversation_state"] == {
        "flow": "booking",
        "step": "day",
        "data": {},
        "updated_at": NOW.isoformat(),
    }
    [run] = document["prescreens"]
    assert run["id"] == ids["prescreen"] and "patient_id" not in run
    assert [(a["question_key"], a["answer"]) for a in run["answers"]] == [("q1", 2)]
    assert "prescreen_id" not in run["answers"][0]
    assert [a["id"] for a in document["appointments"]] == [
        ids["past"],
        ids["no_show"],
        ids["past_requested"],
        ids["cancelled"],
        ids["next"],
        ids["later"],
    ]
    assert all("patient_id" not in a for a in document["appointments"])
    assert document["appointments"][0]["starts_at"] == (NOW - 3 * DAY).isoformat()
    [plan] = document["aftercare_plans"]
    assert plan["id"] == ids["plan"] and plan["send_at"] == "09:00:00"
    assert [(c["day"], c["answer"]) for c in plan["checkins"]] == [(3, "ok")]
    assert document["followup"] == {
        "treated_on": "2026-10-29",
        "off_at": None,
        "answer": None,
        "answered_at": None,
        "updated_at": NOW.isoformat(),
    }
    # Rows linked to the patient; the reply only names the chat.
    assert sorted(m["kind"] for m in document["scheduled_messages"]) == [
        "aftercare_nudge",
        "staff_card",
    ]
    assert all("chat_id" not in m for m in document["scheduled_messages"])
    assert [(m["direction"], m["text"]) for m in document["messages"]] == [("in", "hi")]


async def test_forget_keeps_what_took_place_without_who(database: Database) -> None:
    ana = await add_patient(database)
    ben = await add_patient(database, telegram_id=2, first_name="Ben")
    ids = await _fill(database, ana, 42)
    await _fill(database, ben, 2, seat=1)
    async with database.transaction() as session:
        cancelled = await privacy.forget(session, patient_id=ana, now=NOW)
    assert cancelled == [
        privacy.Cancelled(NOW + 2 * DAY, AppointmentStatus.REQUESTED, Kind.CONSULTATION),
        privacy.Cancelled(NOW + 3 * DAY, AppointmentStatus.CONFIRMED, Kind.CONSULTATION),
    ]
    async with database.transaction() as session:
        assert await session.get(Patient, ana) is None
        kept = (
            await session.execute(
                select(
                    Appointment.id,
                    Appointment.status,
                    Appointment.patient_id,
                    Appointment.name,
                    Appointment.phone,
                    Appointment.prescreen_id,
                    Appointment.cancel_reason,
                    Appointment.updated_at,
                )
                .where(Appointment.id.in_(ids.values()))
                .order_by(Appointment.starts_at)
            )
        ).all()
    assert [tuple(row) for row in kept] == [
        (ids["past"], "confirmed", None, None, None, None, None, NOW),
        (ids["no_show"], "no_show", None, None, None, None, None, NOW),
    ]
    for model in (Appointment, Prescreen, AftercarePlan, FlowState, MessageLog, Followup):
        assert await _count(database, model, model.patient_id == ana) == 0  # type: ignore[attr-defined]
    assert (
        await _count(database, PrescreenAnswer, PrescreenAnswer.prescreen_id == ids["prescreen"])
        == 0
    )
    assert await _count(database, AftercareCheckin, AftercareCheckin.plan_id == ids["plan"]) == 0
    assert await _count(database, OutboxMessage, OutboxMessage.chat_id == 42) == 0
    assert await _count(database, OutboxMessage, OutboxMessage.patient_id == ana) == 0
    # Ben is untouched.
    assert await _count(database, Appointment, Appointment.patient_id == ben) == 6
    assert await _count(database, OutboxMessage, OutboxMessage.chat_id == 2) == 2
    assert await _count(database, OutboxMessage, OutboxMessage.patient_id == ben) == 2
    assert await _count(database, AftercareCheckin) == 1
    assert await _count(database, PrescreenAnswer) == 1
