"""db.liveness: on PostgreSQL a claim whose process died is free at once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from db import outbox
from db.engine import Database
from db.liveness import Liveness
from tests.db.support import NOW


async def test_sqlite_tracks_no_process(database: Database) -> None:
    liveness = Liveness(database)
    assert liveness.tracked is not database.is_sqlite
    assert 0 < liveness.key < 2**62


@pytest.mark.postgresql_only
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_claim_is_free_once_its_owner_is_gone(database: Database) -> None:
    alive, other = Liveness(database), Liveness(database)
    await alive.hold()
    await alive.hold()  # holding again keeps the one connection
    await other.hold()
    lease = {"now": NOW, "lease_now": NOW, "claimed_until": NOW + timedelta(minutes=1)}
    try:
        async with database.transaction() as session:
            outbox.enqueue(session, kind="card", chat_id=-100, due_at=NOW, now=NOW)
        async with database.transaction() as session:
            claimed, _ = await outbox.claim(session, **lease, owner=alive.key, private=0, groups=1)
            assert len(claimed) == 1
        async with database.transaction() as session:
            # Its owner runs: the lease holds.
            assert await outbox.claim(session, **lease, owner=other.key, private=0, groups=1) == (
                [],
                [],
            )
        await alive.release()
        async with database.transaction() as session:
            claimed, _ = await outbox.claim(session, **lease, owner=other.key, private=0, groups=1)
            assert [due.id for due in claimed] == [1]
    finally:
        await alive.release()
        await other.release()


@pytest.mark.postgresql_only
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_the_lock_is_taken_again_after_the_connection_was_lost(
    database: Database,
) -> None:
    liveness = Liveness(database)
    await liveness.hold()
    try:
        connection = liveness._connection
        assert connection is not None
        await connection.close()
        await liveness.hold()
        assert liveness._connection is not None and liveness._connection is not connection
    finally:
        await liveness.release()
