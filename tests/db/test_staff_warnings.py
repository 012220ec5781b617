"""db.staff_warnings: a warning to the staff group is given once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from db import staff_warnings
from db.engine import Database
from db.models import StaffWarning
from tests.db.support import NOW


async def test_a_warning_is_given_the_first_time_only(database: Database) -> None:
    async with database.transaction() as session:
        assert await staff_warnings.first_time(session, key="closed:2027", now=NOW)
        assert await staff_warnings.first_time(session, key="closed:2028", now=NOW)
    async with database.transaction() as session:
        later = NOW + timedelta(days=1)
        assert not await staff_warnings.first_time(session, key="closed:2027", now=later)
        rows = (await session.execute(select(StaffWarning.key, StaffWarning.sent_at))).all()
    assert sorted(rows) == [("closed:2027", NOW), ("closed:2028", NOW)]


async def test_two_processes_warn_once(database: Database) -> None:
    async def warn() -> bool:
        async with database.transaction() as session:
            return await staff_warnings.first_time(session, key="once", now=NOW)

    assert sorted(await asyncio.gather(*(warn() for _ in range(4)))) == [False] * 3 + [True]
