"""Telegram updates received: kept until handled, and handled once.

Long polling `receive`s the updates it fetched before confirming them to Telegram, so
an update in hand when the process dies is handled after the restart (`unhandled`)
rather than lost; `claim_update` in the update's transaction makes sure it is handled
once, whoever handles it (this process, a restart, a second process).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.dialect import upsert_insert
from db.engine import core
from db.models import ProcessedUpdate

_TABLE: Table = ProcessedUpdate.__table__  # type: ignore[assignment]


async def receive(
    session: AsyncSession, *, updates: Sequence[dict[str, Any]], now: datetime
) -> None:
    """Keeps fetched updates until they are handled (one statement); ids known already
    (fetched before a crash, or handled) are left as they are."""
    if not updates:
        return
    await (await core(session)).execute(
        upsert_insert(session, _TABLE).on_conflict_do_nothing(index_elements=["update_id"]),
        [
            {"update_id": data["update_id"], "processed_at": now, "payload": data}
            for data in updates
        ],
    )


async def unhandled(session: AsyncSession) -> list[dict[str, Any]]:
    """What was received and not handled yet (a restart's first work), oldest first."""
    rows = await session.scalars(
        select(ProcessedUpdate.payload)
        .where(ProcessedUpdate.handled_at.is_(None), ProcessedUpdate.payload.is_not(None))
        .order_by(ProcessedUpdate.update_id)
    )
    return [payload for payload in rows if payload is not None]


async def claim_update(session: AsyncSession, *, update_id: int, now: datetime) -> bool:
    """Marks the update handled; False if it already was (by us or another process).

    One statement on both backends. On PostgreSQL a concurrent claim of the same id
    waits for the first transaction and then finds it handled, so only one process
    handles it.
    """
    insert = upsert_insert(session, _TABLE).values(
        update_id=update_id, processed_at=now, handled_at=now
    )
    statement = insert.on_conflict_do_update(
        index_elements=["update_id"],
        set_={"handled_at": now, "payload": None},
        where=_TABLE.c.handled_at.is_(None),
    ).returning(_TABLE.c.update_id)
    return (await (await core(session)).execute(statement)).first() is not None


async def give_up(session: AsyncSession, *, update_id: int, now: datetime) -> None:
    """An update that failed every try: marked handled, so it is not tried forever."""
    await session.execute(
        update(ProcessedUpdate)
        .where(ProcessedUpdate.update_id == update_id)
        .values(handled_at=now, payload=None)
    )


async def forget_processed_updates(session: AsyncSession, *, before: datetime) -> int:
    """Drops handled ids received before `before`: Telegram never redelivers one that old."""
    result = await session.execute(
        delete(ProcessedUpdate).where(
            ProcessedUpdate.processed_at < before, ProcessedUpdate.handled_at.is_not(None)
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
