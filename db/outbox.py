"""The outbox: messages due at a time, sent by the dispatcher, cancelled with their cause."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import OutboxMessage, Patient

# Telegram's answers are kept short in last_error: an id-free reason, never message text.
_ERROR_LENGTH = 200


@dataclass(frozen=True)
class Due:
    """A row to send, as the dispatcher needs it."""

    id: int
    kind: str
    chat_id: int
    patient_id: int | None
    appointment_id: int | None
    plan_id: int | None
    payload: dict[str, Any]
    attempts: int


def enqueue(
    session: AsyncSession,
    *,
    kind: str,
    chat_id: int,
    due_at: datetime,
    now: datetime,
    patient_id: int | None = None,
    appointment_id: int | None = None,
    plan_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> None:
    session.add(
        OutboxMessage(
            kind=kind,
            chat_id=chat_id,
            patient_id=patient_id,
            appointment_id=appointment_id,
            plan_id=plan_id,
            payload=payload or {},
            due_at=due_at,
            status="pending",
            attempts=0,
            created_at=now,
        )
    )


async def cancel_pending(
    session: AsyncSession,
    *,
    appointment_id: int | None = None,
    patient_id: int | None = None,
    plan_id: int | None = None,
    kinds: tuple[str, ...] | None = None,
) -> int:
    """Cancels pending rows of an appointment, a patient or a plan; returns how many."""
    query = update(OutboxMessage).where(OutboxMessage.status == "pending")
    if appointment_id is not None:
        query = query.where(OutboxMessage.appointment_id == appointment_id)
    if plan_id is not None:
        query = query.where(OutboxMessage.plan_id == plan_id)
    if patient_id is not None:
        query = query.where(OutboxMessage.patient_id == patient_id)
    if kinds is not None:
        query = query.where(OutboxMessage.kind.in_(kinds))
    result = await session.execute(query.values(status="cancelled"))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def due_chats(session: AsyncSession, *, now: datetime, limit: int) -> list[tuple[int, int]]:
    """(row id, chat id) of due rows, oldest first; read without locking."""
    rows = await session.execute(
        select(OutboxMessage.id, OutboxMessage.chat_id)
        .where(OutboxMessage.status == "pending", OutboxMessage.due_at <= now)
        .order_by(OutboxMessage.due_at, OutboxMessage.id)
        .limit(limit)
    )
    return [(row_id, chat_id) for row_id, chat_id in rows]


async def take(session: AsyncSession, *, row_id: int, now: datetime) -> Due | None:
    """Locks one due row for sending; None if sent, cancelled or held by another process.

    SKIP LOCKED (PostgreSQL) lets a second bot process pass over a row the first is
    sending instead of waiting and sending it again; SQLite ignores it, and its
    transactions never overlap anyway. The row stays locked until the transaction that
    records the send commits.
    """
    row = (
        await session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.id == row_id,
                OutboxMessage.status == "pending",
                OutboxMessage.due_at <= now,
            )
            .with_for_update(skip_locked=True)
        )
    ).one_or_none()
    if row is None:
        return None
    return Due(
        id=row.id,
        kind=row.kind,
        chat_id=row.chat_id,
        patient_id=row.patient_id,
        appointment_id=row.appointment_id,
        plan_id=row.plan_id,
        payload=dict(row.payload or {}),
        attempts=row.attempts,
    )


async def mark_sent(session: AsyncSession, *, row_id: int, now: datetime) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(status="sent", sent_at=now, attempts=OutboxMessage.attempts + 1)
    )


async def mark_cancelled(session: AsyncSession, *, row_id: int) -> None:
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id == row_id).values(status="cancelled")
    )


async def retry_at(
    session: AsyncSession, *, row_id: int, due_at: datetime, error: str, count_attempt: bool
) -> None:
    """Puts a row back for later; a 429 does not count as a failed attempt."""
    values: dict[str, Any] = {"due_at": due_at, "last_error": error[:_ERROR_LENGTH]}
    if count_attempt:
        values["attempts"] = OutboxMessage.attempts + 1
    await session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(values))


async def mark_failed(session: AsyncSession, *, row_id: int, error: str) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(
            status="failed",
            last_error=error[:_ERROR_LENGTH],
            attempts=OutboxMessage.attempts + 1,
        )
    )


async def is_reachable(session: AsyncSession, *, patient_id: int) -> bool:
    reachable = await session.scalar(select(Patient.reachable).where(Patient.id == patient_id))
    return bool(reachable)


async def forget_finished(session: AsyncSession, *, before: datetime) -> int:
    """Deletes sent and cancelled rows created before `before`; failed ones stay to read."""
    result = await session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.status.in_(("sent", "cancelled")), OutboxMessage.created_at < before
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def next_pending(session: AsyncSession, *, plan_id: int) -> datetime | None:
    """When the plan's next message is due, if one is queued."""
    due_at: datetime | None = await session.scalar(
        select(OutboxMessage.due_at)
        .where(OutboxMessage.plan_id == plan_id, OutboxMessage.status == "pending")
        .order_by(OutboxMessage.due_at)
        .limit(1)
    )
    return due_at
