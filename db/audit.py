"""The audit of staff actions: written in each action's transaction, read by /export audit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from clinic.agenda import AuditRow
from db.models import Audit


async def record(session: AsyncSession, *, entries: list[AuditRow]) -> None:
    """Adds the entries in one statement; part of the caller's transaction."""
    if not entries:
        return
    await session.execute(
        insert(Audit),
        [
            {
                "at": entry.at,
                "user_id": entry.user_id,
                "user_name": entry.user_name[:128],
                "action": entry.action[:32],
                "target_id": entry.target_id,
                "detail": None if entry.detail is None else entry.detail[:64],
            }
            for entry in entries
        ],
    )


async def between(session: AsyncSession, *, start: datetime, end: datetime) -> list[AuditRow]:
    """The entries of [start, end), oldest first."""
    rows = await session.scalars(
        select(Audit).where(Audit.at >= start, Audit.at < end).order_by(Audit.at, Audit.id)
    )
    return [
        AuditRow(
            at=row.at,
            user_id=row.user_id,
            user_name=row.user_name,
            action=row.action,
            target_id=row.target_id,
            detail=row.detail,
        )
        for row in rows
    ]
