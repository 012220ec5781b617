"""db.types: instants stored and read back on both backends."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from db.engine import Database
from db.models import ProcessedUpdate
from tests.db.support import NOW


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
