"""The clinician's note on a planned treatment, against a real database: trimmed, its
length bounded, a later one replacing the earlier, audited; refused without a plan."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from clinic.aftercare import Laser
from clinic.treatment import NOTE_LENGTH, Outcome
from db.engine import Database
from db.models import Audit
from services import treatment
from services.appointments import Done, Gone
from tests.services.test_appointments import NINA, NOW, booked, patient


async def consultation(database: Database, outcome: Outcome) -> int:
    """A consultation under way, with its outcome recorded."""
    appointment_id = await booked(
        database, await patient(database), starts_at=NOW - timedelta(minutes=30)
    )
    planned = outcome is Outcome.PLANNED
    async with database.transaction() as session:
        recorded = await treatment.record_outcome(
            session,
            NINA,
            appointment_id=appointment_id,
            outcome=outcome,
            laser=Laser.CO2 if planned else None,
            sessions=2 if planned else None,
            now=NOW,
        )
    assert isinstance(recorded, Done)
    return appointment_id


async def add(database: Database, appointment_id: int, note: str) -> object:
    async with database.transaction() as session:
        return await treatment.add_note(
            session, NINA, appointment_id=appointment_id, note=note, now=NOW
        )


async def note_of(database: Database, appointment_id: int) -> str | None:
    async with database.transaction() as session:
        found = await treatment.outcome_of(session, appointment_id=appointment_id)
    assert found is not None
    return found.note


async def test_a_note_is_trimmed_bounded_replaced_and_audited(database: Database) -> None:
    appointment_id = await consultation(database, Outcome.PLANNED)
    assert isinstance(await add(database, appointment_id, " \n "), treatment.NoteEmpty)
    assert await add(database, appointment_id, "x" * (NOTE_LENGTH + 1)) == treatment.NoteTooLong(
        NOTE_LENGTH + 1
    )
    assert await note_of(database, appointment_id) is None

    longest = "y" * NOTE_LENGTH
    assert isinstance(await add(database, appointment_id, f"  {longest}\n"), Done)
    assert await note_of(database, appointment_id) == longest
    assert isinstance(await add(database, appointment_id, "Stop retinol a week before."), Done)
    assert await note_of(database, appointment_id) == "Stop retinol a week before."
    async with database.transaction() as session:
        audited = list(
            await session.scalars(select(Audit).where(Audit.action == "appointment.note"))
        )
    assert [(row.user_name, row.target_id, row.detail) for row in audited] == [
        ("Nina", appointment_id, f"{NOTE_LENGTH} chars"),
        ("Nina", appointment_id, "27 chars"),
    ]


async def test_no_note_without_a_planned_treatment(database: Database) -> None:
    appointment_id = await consultation(database, Outcome.UNDECIDED)
    assert isinstance(await add(database, appointment_id, "A note"), Gone)
    assert await note_of(database, appointment_id) is None
    assert isinstance(await add(database, appointment_id + 1000, "A note"), Gone)
