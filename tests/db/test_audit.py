"""db.audit: staff actions recorded, and read back for /export audit."""

from __future__ import annotations

from datetime import timedelta

from clinic.agenda import AuditRow
from db import audit
from db.engine import Database
from tests.db.support import NOW


async def test_entries_are_recorded_and_read_by_period(database: Database) -> None:
    entries = [
        AuditRow(NOW - timedelta(hours=1), 7001, "Maria Lopez", "find", None, "by name"),
        AuditRow(NOW, 7001, "Maria Lopez", "decide", 12, "confirmed"),
        AuditRow(NOW, 7002, "Lee", "export", None, None),
        AuditRow(NOW + timedelta(days=1), 7001, "Maria Lopez", "find", 3),
    ]
    async with database.transaction() as session:
        await audit.record(session, entries=[])
        await audit.record(session, entries=entries[2:])
        await audit.record(session, entries=entries[:2])
    async with database.transaction() as session:
        # [start, end): oldest first, then in the order recorded.
        assert await audit.between(
            session, start=NOW - timedelta(hours=1), end=NOW + timedelta(days=1)
        ) == [
            entries[0],
            entries[2],
            entries[1],
        ]
        assert (
            await audit.between(session, start=NOW + timedelta(days=2), end=NOW + timedelta(days=3))
            == []
        )


async def test_long_values_are_cut_to_their_columns(database: Database) -> None:
    async with database.transaction() as session:
        await audit.record(
            session, entries=[AuditRow(NOW, 1, "N" * 200, "a" * 40, None, "d" * 100)]
        )
    async with database.transaction() as session:
        [row] = await audit.between(session, start=NOW, end=NOW + timedelta(seconds=1))
    assert (row.user_name, row.action, row.detail) == ("N" * 128, "a" * 32, "d" * 64)
