"""The outbox: every message the bot sends, written in the transaction that decided it.

Two kinds of rows: `reply` rows carry a patient's (or staff member's) reply ready to
send, claimed at once by the process that handled the update; the others are due at a
time and rendered from the database when claimed (reminders, nudges, staff cards).
A claim is a lease: the claiming process sends the row outside any transaction and
records the result in a later one; if it dies, the lease runs out and any process
claims the row again. Results are recorded in bulk, one statement per kind of result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from clinic.statuses import OutboxStatus
from db.engine import core
from db.liveness import OWNER_GONE
from db.models import OutboxMessage, Patient

# Telegram's answers are kept short in last_error: an id-free reason, never message text.
_ERROR_LENGTH = 200
# A row of this kind carries its message in `payload` (see handlers.outgoing).
REPLY = "reply"
# A row whose moment passed before it could be sent (a reminder after an outage): never sent.
EXPIRED = OutboxStatus.EXPIRED
_TABLE: Table = OutboxMessage.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Due:
    """A claimed row, as the dispatcher needs it to render and send."""

    id: int
    kind: str
    chat_id: int
    patient_id: int | None
    appointment_id: int | None
    plan_id: int | None
    payload: dict[str, Any]
    attempts: int
    # The patient's language and Telegram's language_code, for rendering a message to
    # them in their language (None when the row is about no patient).
    language: str | None = None
    language_code: str | None = None


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
            status=OutboxStatus.PENDING,
            attempts=0,
            created_at=now,
        )
    )


async def enqueue_many(session: AsyncSession, *, rows: Sequence[dict[str, Any]]) -> None:
    """Queues many rows in one statement (no ids read back): keys as `enqueue` takes."""
    if rows:
        await (await core(session)).execute(
            insert(_TABLE),
            [
                {
                    "kind": row["kind"],
                    "chat_id": row["chat_id"],
                    "patient_id": row.get("patient_id"),
                    "appointment_id": row.get("appointment_id"),
                    "plan_id": row.get("plan_id"),
                    "payload": row.get("payload") or {},
                    "due_at": row["due_at"],
                    "status": OutboxStatus.PENDING,
                    "attempts": 0,
                    "created_at": row["now"],
                }
                for row in rows
            ],
        )


async def add_replies(
    session: AsyncSession,
    *,
    chat_id: int,
    patient_id: int | None,
    payloads: Sequence[dict[str, Any]],
    now: datetime,
    claimed_until: datetime,
    owner: int,
) -> list[int]:
    """Writes an update's replies, already claimed by the process that will send them
    right after the commit (`owner`, see db.liveness); returns their ids in order."""
    if not payloads:
        return []
    result = await (await core(session)).execute(
        insert(_TABLE).returning(_TABLE.c.id, sort_by_parameter_order=True),
        [
            {
                "kind": REPLY,
                "chat_id": chat_id,
                "patient_id": patient_id,
                "payload": payload,
                "due_at": now,
                "status": OutboxStatus.PENDING,
                "attempts": 0,
                "claimed_until": claimed_until,
                "claimed_by": owner,
                "created_at": now,
            }
            for payload in payloads
        ],
    )
    return [row_id for (row_id,) in result]


async def cancel_pending(
    session: AsyncSession,
    *,
    appointment_id: int | None = None,
    patient_id: int | None = None,
    plan_id: int | None = None,
    kinds: tuple[str, ...] | None = None,
    keeping: tuple[str, ...] = (),
    private_only: bool = False,
) -> int:
    """Cancels pending rows of an appointment, a patient or a plan; returns how many.
    `keeping`: kinds left pending. `private_only`: only those to a private chat, not
    those about them to the staff.

    A row being sent at this moment may still go out; its settler checks the state
    it settles (a nudge queues no next day for a stopped plan).
    """
    query = update(OutboxMessage).where(
        OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.kind != REPLY
    )
    if appointment_id is not None:
        query = query.where(OutboxMessage.appointment_id == appointment_id)
    if plan_id is not None:
        query = query.where(OutboxMessage.plan_id == plan_id)
    if patient_id is not None:
        query = query.where(OutboxMessage.patient_id == patient_id)
    if kinds is not None:
        query = query.where(OutboxMessage.kind.in_(kinds))
    if keeping:
        query = query.where(OutboxMessage.kind.not_in(keeping))
    if private_only:
        query = query.where(OutboxMessage.chat_id > 0)
    result = await session.execute(query.values(status=OutboxStatus.CANCELLED))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def claim(
    session: AsyncSession,
    *,
    now: datetime,
    lease_now: datetime,
    claimed_until: datetime,
    owner: int,
    private: int,
    groups: int,
) -> tuple[list[Due], list[int]]:
    """Claims due rows, oldest first: up to `private` to private chats and `groups` to
    groups (Telegram paces those separately). Returns the rows to send, and the ids of
    rows to patients who blocked the bot, cancelled here.

    `now` is the clinic's clock (what is due); `lease_now` is real time (whose lease
    ran out). On PostgreSQL a claim whose owner died is free at once (db.liveness),
    and SKIP LOCKED lets two processes claim side by side without waiting for each
    other or taking the same row; SQLite runs one writer at a time.
    """
    claimed: list[Due] = []
    unreachable: list[int] = []
    free = [OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= lease_now]
    if session.get_bind().dialect.name == "postgresql":
        free.append(and_(OutboxMessage.claimed_by.is_not(None), OWNER_GONE))
    for limit, to_groups in ((private, False), (groups, True)):
        if limit <= 0:
            continue
        query = (
            select(
                OutboxMessage.id,
                OutboxMessage.kind,
                OutboxMessage.chat_id,
                OutboxMessage.patient_id,
                OutboxMessage.appointment_id,
                OutboxMessage.plan_id,
                OutboxMessage.payload,
                OutboxMessage.attempts,
                Patient.reachable,
                Patient.language,
                Patient.language_code,
            )
            .outerjoin(Patient, Patient.id == OutboxMessage.patient_id)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.due_at <= now,
                or_(*free),
                OutboxMessage.chat_id < 0 if to_groups else OutboxMessage.chat_id > 0,
            )
            .order_by(OutboxMessage.due_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(of=OutboxMessage, skip_locked=True)
        )
        for row in await (await core(session)).execute(query):
            if row.patient_id is not None and not row.reachable and row.chat_id > 0:
                unreachable.append(row.id)
                continue
            claimed.append(
                Due(
                    id=row.id,
                    kind=row.kind,
                    chat_id=row.chat_id,
                    patient_id=row.patient_id,
                    appointment_id=row.appointment_id,
                    plan_id=row.plan_id,
                    payload=dict(row.payload or {}),
                    attempts=row.attempts,
                    language=row.language,
                    language_code=row.language_code,
                )
            )
    if claimed:
        await (await core(session)).execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_([due.id for due in claimed]))
            .values(claimed_until=claimed_until, claimed_by=owner)
        )
    await mark_cancelled(session, row_ids=unreachable)
    return claimed, unreachable


async def mark_sent(session: AsyncSession, *, sent: Sequence[tuple[int, datetime]]) -> None:
    """Telegram took these rows (id, when). Replies are deleted: the message log has
    what the patient was told, and a document (their data export, say) is kept
    nowhere; the others stay, marked sent, to answer "did it go out?"."""
    if not sent:
        return
    await (await core(session)).execute(
        delete(OutboxMessage).where(
            OutboxMessage.id.in_([row_id for row_id, _ in sent]), OutboxMessage.kind == REPLY
        )
    )
    await (await core(session)).execute(
        update(_TABLE)
        .where(_TABLE.c.id == bindparam("row_id"))
        .values(
            status=OutboxStatus.SENT,
            sent_at=bindparam("at"),
            claimed_until=None,
            claimed_by=None,
            attempts=_TABLE.c.attempts + 1,
        ),
        [{"row_id": row_id, "at": at} for row_id, at in sent],
    )


async def mark_cancelled(
    session: AsyncSession, *, row_ids: Sequence[int], status: OutboxStatus = OutboxStatus.CANCELLED
) -> None:
    """Rows that will never be sent: no longer wanted (CANCELLED), or too late (EXPIRED)."""
    if row_ids:
        await (await core(session)).execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(row_ids))
            .values(status=status, claimed_until=None, claimed_by=None)
        )


@dataclass(frozen=True)
class Retry:
    row_id: int
    due_at: datetime
    error: str
    # A 429 is Telegram asking to wait, not a failed attempt.
    count_attempt: bool


async def retry_later(session: AsyncSession, *, retries: Sequence[Retry]) -> None:
    """Puts rows back, unclaimed, to be sent again when due (one statement)."""
    if not retries:
        return
    await (await core(session)).execute(
        update(_TABLE)
        .where(_TABLE.c.id == bindparam("row_id"))
        .values(
            due_at=bindparam("new_due_at"),
            last_error=bindparam("error"),
            attempts=_TABLE.c.attempts + bindparam("counted"),
            claimed_until=None,
            claimed_by=None,
        ),
        [
            {
                "row_id": retry.row_id,
                "new_due_at": retry.due_at,
                "error": retry.error[:_ERROR_LENGTH],
                "counted": int(retry.count_attempt),
            }
            for retry in retries
        ],
    )


async def mark_failed(session: AsyncSession, *, failures: Sequence[tuple[int, str]]) -> None:
    """(row id, reason) pairs given up on for good; they stay to be read."""
    if not failures:
        return
    await (await core(session)).execute(
        update(_TABLE)
        .where(_TABLE.c.id == bindparam("row_id"))
        .values(
            status=OutboxStatus.FAILED,
            last_error=bindparam("error"),
            attempts=_TABLE.c.attempts + 1,
            claimed_until=None,
            claimed_by=None,
        ),
        [{"row_id": row_id, "error": error[:_ERROR_LENGTH]} for row_id, error in failures],
    )


async def release_claims(session: AsyncSession) -> int:
    """Frees every claim: for a process starting on SQLite, which is the only one."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.claimed_until.is_not(None)
        )
        .values(claimed_until=None, claimed_by=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def next_due(session: AsyncSession, *, after: datetime) -> datetime | None:
    """When the next pending message falls due after `after` (the playground's clock)."""
    due_at: datetime | None = await session.scalar(
        select(func.min(OutboxMessage.due_at)).where(
            OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.due_at > after
        )
    )
    return due_at


async def next_pending(session: AsyncSession, *, plan_id: int) -> datetime | None:
    """When the plan's next message is due, if one is queued."""
    due_at: datetime | None = await session.scalar(
        select(OutboxMessage.due_at)
        .where(OutboxMessage.plan_id == plan_id, OutboxMessage.status == OutboxStatus.PENDING)
        .order_by(OutboxMessage.due_at)
        .limit(1)
    )
    return due_at
