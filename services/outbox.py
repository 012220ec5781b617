"""Queueing the messages a use case sends, in its own transaction.

A message due now should not wait for the dispatcher's next tick: queueing one marks
the session, and the processor wakes the dispatcher once the transaction committed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db import outbox
from db.outbox import Due

__all__ = ["Due", "due_now_queued", "queue"]

# A queued row as its renderer reads it (handlers render it without importing db/).

_WAKE = "clinic.wake_dispatcher"


def queue(
    session: AsyncSession, *, kind: str, chat_id: int, due_at: datetime, now: datetime, **row: Any
) -> None:
    """Queues a message to `chat_id` for `due_at` (keys of db.outbox.enqueue in `row`)."""
    outbox.enqueue(session, kind=kind, chat_id=chat_id, due_at=due_at, now=now, **row)
    if due_at <= now:
        session.info[_WAKE] = True


def due_now_queued(session: AsyncSession) -> bool:
    """Whether this transaction queued a message due at once."""
    return bool(session.info.get(_WAKE))
