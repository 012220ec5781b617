"""The message log: every message in and out of a patient's chat."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from clinic.conversation import Direction, LogEntry
from db.engine import core
from db.models import MessageLog

_TABLE: Table = MessageLog.__table__  # type: ignore[assignment]


async def add_to_log(session: AsyncSession, *, entries: Iterable[tuple[int, LogEntry]]) -> None:
    """Appends (patient id, entry) pairs in one statement, without reading ids back."""
    rows = [
        {
            "patient_id": patient_id,
            "direction": entry.direction.value,
            "kind": entry.kind,
            "text": entry.text,
            "telegram_message_id": entry.telegram_message_id,
            "update_id": entry.update_id,
            "at": entry.at,
        }
        for patient_id, entry in entries
    ]
    if rows:
        await (await core(session)).execute(insert(_TABLE), rows)


async def recent(session: AsyncSession, *, patient_id: int, limit: int) -> list[LogEntry]:
    """The patient's newest messages, oldest first."""
    rows = (
        await session.scalars(
            select(MessageLog)
            .where(MessageLog.patient_id == patient_id)
            .order_by(MessageLog.at.desc(), MessageLog.id.desc())
            .limit(limit)
        )
    ).all()
    return [
        LogEntry(Direction(row.direction), row.kind, row.text, row.at) for row in reversed(rows)
    ]
