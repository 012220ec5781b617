"""The long-term check-in's use cases on both databases: scheduling from the newest
treatment, one pending check-in per patient, turning it off and on, /forget."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from clinic.statuses import OutboxStatus
from db.engine import Database
from db.models import Followup, OutboxMessage
from db.patients import upsert_patient
from services import followup, privacy
from services.followup import KIND, Off, Scheduled, Unchanged

ZONE = ZoneInfo("America/Toronto")
NOW = datetime(2026, 11, 24, 15, tzinfo=UTC)
TREATED = date(2026, 11, 24)


def local(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=ZONE).astimezone(UTC)


async def add_patient(database: Database) -> int:
    async with database.transaction() as session:
        return await upsert_patient(
            session,
            telegram_id=42,
            first_name="Ana",
            last_name=None,
            username=None,
            language_code="en",
            now=NOW,
        )


async def schedule(
    database: Database, patient_id: int, treated_on: date, months: int = 12
) -> Scheduled | Unchanged | Off:
    async with database.transaction() as session:
        return await followup.schedule(
            session, patient_id=patient_id, treated_on=treated_on, months=months, zone=ZONE, now=NOW
        )


async def rows(database: Database) -> list[tuple[str, datetime, str]]:
    """Each check-in row: (status, due, treatment date it is about)."""
    async with database.transaction() as session:
        found = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == KIND).order_by(OutboxMessage.id)
        )
        return [(row.status, row.due_at, row.payload["treated_on"]) for row in found]


async def test_a_treatment_queues_the_check_in_months_later_at_ten_local(
    database: Database,
) -> None:
    ana = await add_patient(database)
    result = await schedule(database, ana, TREATED)
    # 24 Nov 2027 at 10:00 in Toronto, standard time (UTC-5).
    assert result == Scheduled(datetime(2027, 11, 24, 15, tzinfo=UTC))
    assert await rows(database) == [("pending", result.due_at, "2026-11-24")]
    # A summer treatment: 10:00 in daylight time is 14:00 UTC.
    assert await schedule(database, ana, date(2027, 6, 1), months=6) == Scheduled(
        local(date(2027, 12, 1), 10)
    )


async def test_a_newer_treatment_moves_the_check_in_and_an_older_one_does_not(
    database: Database,
) -> None:
    ana = await add_patient(database)
    await schedule(database, ana, TREATED)
    assert await schedule(database, ana, TREATED) == Unchanged()  # a double tap
    later = date(2027, 1, 12)
    assert isinstance(await schedule(database, ana, later), Scheduled)
    assert await schedule(database, ana, TREATED) == Unchanged()  # recorded late: older
    assert await rows(database) == [
        ("cancelled", local(date(2027, 11, 24), 10), "2026-11-24"),
        ("pending", local(date(2028, 1, 12), 10), "2027-01-12"),
    ]
    async with database.transaction() as session:
        # The cancelled row, if it were being sent at that moment, renders to nothing.
        assert await followup.to_send(session, patient_id=ana, treated_on="2026-11-24") is None
        assert await followup.to_send(session, patient_id=ana, treated_on="2027-01-12") == later


async def test_off_cancels_the_check_in_and_a_row_already_claimed_renders_nothing(
    database: Database,
) -> None:
    ana = await add_patient(database)
    await schedule(database, ana, TREATED)
    async with database.transaction() as session:
        status = await followup.turn_off(session, patient_id=ana, now=NOW)
        assert not status.on
        assert await followup.to_send(session, patient_id=ana, treated_on="2026-11-24") is None
    assert [row[0] for row in await rows(database)] == ["cancelled"]
    # A newer treatment while off: kept as the newest, but nothing is queued.
    assert await schedule(database, ana, date(2027, 2, 1)) == Off()
    assert [row[0] for row in await rows(database)] == ["cancelled"]
    async with database.transaction() as session:
        status = await followup.turn_on(session, patient_id=ana, months=12, zone=ZONE, now=NOW)
    assert status.on and status.next_at == local(date(2028, 2, 1), 10)
    assert (await rows(database))[-1] == ("pending", status.next_at, "2027-02-01")
    async with database.transaction() as session:
        assert await followup.status(session, patient_id=ana) == status


async def test_turning_on_after_the_time_passed_queues_nothing(database: Database) -> None:
    ana = await add_patient(database)
    await schedule(database, ana, TREATED)
    later = NOW + timedelta(days=400)
    async with database.transaction() as session:
        await followup.turn_off(session, patient_id=ana, now=NOW)
        status = await followup.turn_on(session, patient_id=ana, months=12, zone=ZONE, now=later)
    assert status.on and status.next_at is None
    assert [row[0] for row in await rows(database)] == ["cancelled"]


async def test_forget_deletes_the_check_in_and_mydata_shows_it(database: Database) -> None:
    ana = await add_patient(database)
    await schedule(database, ana, TREATED)
    async with database.transaction() as session:
        await followup.turn_off(session, patient_id=ana, now=NOW)
        document = await privacy.export(session, patient_id=ana, clinic_name="C", now=NOW)
    assert '"treated_on": "2026-11-24"' in document.decode()
    assert '"off_at": "2026-11-24T15:00:00+00:00"' in document.decode()
    async with database.transaction() as session:
        await privacy.forget(session, patient_id=ana, staff_chat_id=None, now=NOW)
    async with database.transaction() as session:
        assert await session.scalar(select(Followup)) is None
    assert await rows(database) == []


@pytest.mark.postgresql_only
async def test_treatments_recorded_at_once_leave_one_pending_check_in(
    database: Database,
) -> None:
    ana = await add_patient(database)
    days = [TREATED + timedelta(days=n) for n in range(8)]
    await asyncio.gather(*(schedule(database, ana, day) for day in days))
    pending = [row for row in await rows(database) if row[0] == OutboxStatus.PENDING]
    # Whatever the order they ran in, the newest treatment's check-in is the one left.
    assert pending == [("pending", local(date(2027, 12, 1), 10), "2026-12-01")]
