"""db.messages: the log of every message in and out of a patient's chat."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from clinic.conversation import Direction, LogEntry
from db import messages
from db.engine import Database
from db.models import MessageLog
from tests.db.support import NOW, add_patient


async def test_the_log_keeps_each_message_and_reads_the_newest(database: Database) -> None:
    ana = await add_patient(database, telegram_id=1)
    ben = await add_patient(database, telegram_id=2, first_name="Ben")
    entries = [
        LogEntry(Direction.IN, "text", f"message {n}", NOW + timedelta(minutes=n), 100 + n, n)
        for n in range(4)
    ]
    async with database.transaction() as session:
        await messages.add_to_log(session, entries=[])
        await messages.add_to_log(session, entries=[(ana, entry) for entry in entries[:3]])
        await messages.add_to_log(
            session,
            entries=[
                (ben, entries[3]),
                (ana, LogEntry(Direction.OUT, "photo", None, NOW + timedelta(minutes=9))),
            ],
        )
    async with database.transaction() as session:
        newest = await messages.recent(session, patient_id=ana, limit=3)
        # Oldest first; the ids Telegram gave are kept but not read back.
        assert newest == [
            LogEntry(Direction.IN, "text", "message 1", NOW + timedelta(minutes=1)),
            LogEntry(Direction.IN, "text", "message 2", NOW + timedelta(minutes=2)),
            LogEntry(Direction.OUT, "photo", None, NOW + timedelta(minutes=9)),
        ]
        assert await messages.recent(session, patient_id=ben, limit=10) == [
            LogEntry(Direction.IN, "text", "message 3", NOW + timedelta(minutes=3))
        ]
        rows = (await session.scalars(select(MessageLog).order_by(MessageLog.id))).all()
        assert [
            (row.patient_id, row.direction, row.telegram_message_id, row.update_id) for row in rows
        ] == [
            (ana, "in", 100, 0),
            (ana, "in", 101, 1),
            (ana, "in", 102, 2),
            (ben, "in", 103, 3),
            (ana, "out", None, None),
        ]


async def test_messages_at_the_same_instant_keep_their_order(database: Database) -> None:
    ana = await add_patient(database)
    async with database.transaction() as session:
        await messages.add_to_log(
            session,
            entries=[(ana, LogEntry(Direction.OUT, "text", str(n), NOW)) for n in range(3)],
        )
    async with database.transaction() as session:
        assert [e.text for e in await messages.recent(session, patient_id=ana, limit=2)] == [
            "1",
            "2",
        ]
