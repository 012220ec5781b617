"""Warning signs on a real database: staff are alerted about patients the clinic
treated; the patient hears the alert arrived, and who took it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from clinic.aftercare import Laser
from clinic.triage import Finding
from db import aftercare
from db.engine import Database
from db.models import OutboxMessage
from db.patients import upsert_patient
from services import triage

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
ANA = 4242
STAFF_CHAT = -100123
FEVER = [Finding("fever", ("hot",))]


async def _patient(database: Database, *, treated: bool) -> int:
    async with database.transaction() as session:
        patient_id = await upsert_patient(
            session,
            telegram_id=ANA,
            first_name="Ana",
            last_name="Silva",
            username=None,
            language_code="en",
            now=NOW,
        )
        if treated:
            await aftercare.invite(
                session,
                patient_id=patient_id,
                laser=Laser.CO2,
                treated_on=date(2026, 3, 1),
                recorded_by="Maria",
                appointment_id=None,
                now=NOW,
            )
    return patient_id


async def _queued(database: Database) -> list[tuple[str, int, int | None, dict[str, object]]]:
    async with database.transaction() as session:
        rows = await session.execute(
            select(
                OutboxMessage.kind,
                OutboxMessage.chat_id,
                OutboxMessage.patient_id,
                OutboxMessage.payload,
            ).order_by(OutboxMessage.id)
        )
        return [(kind, chat, patient, payload) for kind, chat, patient, payload in rows]


async def test_staff_are_alerted_about_a_patient_the_clinic_treated(database: Database) -> None:
    patient_id = await _patient(database, treated=True)
    async with database.transaction() as session:
        reported = await triage.report(
            session, patient_id=patient_id, findings=FEVER, staff_chat_id=STAFF_CHAT, now=NOW
        )
    assert reported == triage.Reported(alerted=True)
    assert await _queued(database) == [
        (triage.ALERT, STAFF_CHAT, patient_id, {"signs": ["fever"], "words": ["hot"]})
    ]
    async with database.transaction() as session:
        view = await triage.alert_view(session, patient_id=patient_id)
    assert (view.contact.name, view.contact.telegram_id) == ("Ana Silva", ANA)
    assert view.plan is not None and view.plan.laser == Laser.CO2


async def test_no_alert_for_someone_never_treated_or_without_a_staff_group(
    database: Database,
) -> None:
    untreated = await _patient(database, treated=False)
    async with database.transaction() as session:
        reported = await triage.report(
            session, patient_id=untreated, findings=FEVER, staff_chat_id=STAFF_CHAT, now=NOW
        )
        assert not reported.alerted
        await aftercare.invite(
            session,
            patient_id=untreated,
            laser=Laser.ERBIUM,
            treated_on=date(2026, 3, 1),
            recorded_by="Maria",
            appointment_id=None,
            now=NOW,
        )
        reported = await triage.report(
            session, patient_id=untreated, findings=FEVER, staff_chat_id=None, now=NOW
        )
        assert not reported.alerted
    assert await _queued(database) == []


async def test_the_patient_hears_the_alert_arrived_and_who_took_it(database: Database) -> None:
    patient_id = await _patient(database, treated=True)
    async with database.transaction() as session:
        await triage.heard(session, delivered=[(patient_id, ANA)], now=NOW)
        assert await triage.take(session, patient_id=patient_id, staff="Maria", now=NOW)
        # A patient whose data was deleted meanwhile: nobody to tell.
        assert not await triage.take(session, patient_id=patient_id + 1, staff="Maria", now=NOW)
    assert await _queued(database) == [
        (triage.HEARD, ANA, patient_id, {}),
        (triage.ON_IT, ANA, patient_id, {"staff": "Maria"}),
    ]
