"""Warnings to the staff group that are given once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from db.dialect import upsert_insert
from db.models import StaffWarning


async def first_time(session: AsyncSession, *, key: str, now: datetime) -> bool:
    """Records the warning `key`; True only the first time (across processes too)."""
    result = await session.execute(
        upsert_insert(session, StaffWarning)
        .values(key=key, sent_at=now)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
