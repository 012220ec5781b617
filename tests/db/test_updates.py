"""db.updates: updates kept until handled, and handled once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from db.engine import Database
from db.models import ProcessedUpdate
from db.updates import claim_update, forget_processed_updates, give_up, receive, unhandled
from tests.db.support import NOW


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


async def test_received_updates_wait_until_handled(database: Database) -> None:
    async with database.transaction() as session:
        await receive(session, updates=[{"update_id": 3, "a": 1}, {"update_id": 2}], now=NOW)
        await receive(session, updates=[], now=NOW)
    async with database.transaction() as session:
        # Fetched again after a crash: the kept payload is left as it was.
        await receive(session, updates=[{"update_id": 3, "a": 2}], now=NOW)
        assert await unhandled(session) == [{"update_id": 2}, {"update_id": 3, "a": 1}]
    async with database.transaction() as session:
        assert await claim_update(session, update_id=2, now=NOW)
    async with database.transaction() as session:
        assert await unhandled(session) == [{"update_id": 3, "a": 1}]
        # Handled already: receiving it again does not bring it back.
        await receive(session, updates=[{"update_id": 2}], now=NOW)
        assert await unhandled(session) == [{"update_id": 3, "a": 1}]
        rows = (await session.execute(select(ProcessedUpdate).order_by("update_id"))).scalars()
        assert [(row.update_id, row.payload, row.handled_at) for row in rows] == [
            (2, None, NOW),
            (3, {"update_id": 3, "a": 1}, None),
        ]


async def test_a_received_update_is_claimed_once(database: Database) -> None:
    async with database.transaction() as session:
        await receive(session, updates=[{"update_id": 5}], now=NOW)
    async with database.transaction() as session:
        assert await claim_update(session, update_id=5, now=NOW + timedelta(seconds=1))
        assert not await claim_update(session, update_id=5, now=NOW + timedelta(seconds=2))
    async with database.transaction() as session:
        row = await session.get_one(ProcessedUpdate, 5)
        assert (row.processed_at, row.handled_at, row.payload) == (
            NOW,
            NOW + timedelta(seconds=1),
            None,
        )


async def test_an_update_given_up_on_is_handled(database: Database) -> None:
    async with database.transaction() as session:
        await receive(session, updates=[{"update_id": 8}, {"update_id": 9}], now=NOW)
    async with database.transaction() as session:
        await give_up(session, update_id=8, now=NOW + timedelta(minutes=1))
    async with database.transaction() as session:
        assert await unhandled(session) == [{"update_id": 9}]
        assert not await claim_update(session, update_id=8, now=NOW)
        row = await session.get_one(ProcessedUpdate, 8)
        assert (row.handled_at, row.payload) == (NOW + timedelta(minutes=1), None)


async def test_unhandled_updates_are_not_forgotten(database: Database) -> None:
    async with database.transaction() as session:
        await receive(session, updates=[{"update_id": 1}], now=NOW - timedelta(days=8))
    async with database.transaction() as session:
        assert await forget_processed_updates(session, before=NOW) == 0
        assert await unhandled(session) == [{"update_id": 1}]
