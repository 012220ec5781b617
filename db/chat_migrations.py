"""Groups that became supergroups: where the staff group's messages go now."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from clinic.statuses import OutboxStatus
from db.dialect import upsert_insert
from db.models import ChatMigration, OutboxMessage

# A group migrates once; the bound only guards against a cycle written by hand.
_MAX_HOPS = 8


async def current_id(session: AsyncSession, *, chat_id: int) -> int:
    """The chat's id today, following every recorded migration from `chat_id`."""
    for _ in range(_MAX_HOPS):
        new_id = await session.scalar(
            select(ChatMigration.new_chat_id).where(ChatMigration.old_chat_id == chat_id)
        )
        if new_id is None:
            break
        chat_id = new_id
    return chat_id


async def record(
    session: AsyncSession, *, old_chat_id: int, new_chat_id: int, now: datetime
) -> int:
    """Remembers the move and readdresses pending messages; returns how many moved.

    Both Telegram's service message and a send refused with the new id can report the
    same move, from any of several processes: recording it twice changes nothing.
    """
    await session.execute(
        upsert_insert(session, ChatMigration)
        .values(old_chat_id=old_chat_id, new_chat_id=new_chat_id, migrated_at=now)
        .on_conflict_do_nothing(index_elements=["old_chat_id"])
    )
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.chat_id == old_chat_id, OutboxMessage.status == OutboxStatus.PENDING)
        .values(chat_id=new_chat_id)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
