"""Processed update ids: each Telegram update is handled once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from db.dialect import upsert_insert
from db.models import ProcessedUpdate


async def claim_update(session: AsyncSession, *, update_id: int, now: datetime) -> bool:
    """Records the update as handled; False if it already was (by us or another process).

    On PostgreSQL a concurrent claim of the same id waits for the first transaction and
    then finds the row, so only one process handles it.
    """
    statement = (
        upsert_insert(session, ProcessedUpdate)
        .values(update_id=update_id, processed_at=now)
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(ProcessedUpdate.update_id)
    )
    return (await session.execute(statement)).first() is not None


async def forget_processed_updates(session: AsyncSession, *, before: datetime) -> int:
    """Drops ids older than `before`: Telegram never redelivers an update that old."""
    result = await session.execute(
        delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < before)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
