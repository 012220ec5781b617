"""Query functions against a real database: instants, claims, patients, flows."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from db.engine import Database
from db.flow_states import Flow, load_flow, save_flow
from db.models import Patient, ProcessedUpdate
from db.patients import upsert_patient
from db.updates import claim_update, forget_processed_updates

NOW = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 01:30 in Toronto, the hour that repeats


async def add_patient(database: Database, telegram_id: int = 42) -> int:
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


async def test_instants_come_back_aware_and_equal(database: Database) -> None:
    toronto = NOW.astimezone(ZoneInfo("America/Toronto"))
    async with database.transaction() as session:
        session.add(ProcessedUpdate(update_id=1, processed_at=toronto))
    async with database.transaction() as session:
        stored = await session.scalar(select(ProcessedUpdate.processed_at))
    assert stored == NOW and stored.tzinfo is not None and stored.utcoffset() == timedelta(0)


async def test_naive_datetimes_are_refused(database: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        async with database.transaction() as session:
            session.add(ProcessedUpdate(update_id=1, processed_at=datetime(2026, 1, 1)))
            await session.flush()


async def test_an_update_is_claimed_once(database: Database) -> None:
    async with database.transaction() as session:
        assert await claim_update(session, update_id=7, now=NOW)
    async with database.transaction() as session:
        assert not await claim_update(session, update_id=7, now=NOW)


async def test_concurrent_claims_of_one_update_let_one_win(database: Database) -> None:
    async def claim() -> bool:
        async with database.transaction() as session:
            return await claim_update(session, update_id=9, now=NOW)

    results = await asyncio.gather(*(claim() for _ in range(8)))
    assert sorted(results) == [False] * 7 + [True]


async def test_old_update_ids_are_forgotten(database: Database) -> None:
    async with database.transaction() as session:
        await claim_update(session, update_id=1, now=NOW - timedelta(days=8))
        await claim_update(session, update_id=2, now=NOW)
    async with database.transaction() as session:
        assert await forget_processed_updates(session, before=NOW - timedelta(days=7)) == 1
        assert (await session.scalars(select(ProcessedUpdate.update_id))).all() == [2]


async def test_first_contact_from_two_processes_makes_one_patient(database: Database) -> None:
    ids = await asyncio.gather(*(add_patient(database) for _ in range(5)))
    assert len(set(ids)) == 1
    async with database.transaction() as session:
        assert len((await session.scalars(select(Patient))).all()) == 1


async def test_flow_state_round_trip(database: Database) -> None:
    patient_id = await add_patient(database)
    async with database.transaction() as session:
        assert await load_flow(session, patient_id=patient_id) == Flow()
        flow = Flow()
        flow.go("prescreen", "q4", answers={"q1": 2})
        await save_flow(session, patient_id=patient_id, flow=flow, now=NOW)
    async with database.transaction() as session:
        loaded = await load_flow(session, patient_id=patient_id)
    assert loaded == Flow("prescreen", "q4", {"answers": {"q1": 2}})


def test_moving_to_another_flow_forgets_the_old_answers() -> None:
    flow = Flow("prescreen", "q4", {"answers": {"q1": 2}})
    flow.go("prescreen", "q5")
    assert flow.data == {"answers": {"q1": 2}}
    flow.go("faq", "cost")
    assert flow == Flow("faq", "cost", {})
