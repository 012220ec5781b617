"""How long each kind of personal data is kept, and the deletes that enforce it.

Every table that holds something about a patient has a period (the *_RETENTION_DAYS
settings, see README "Privacy"); the hourly clean-up (bot.housekeeping) calls these
with a cut-off instant. Each call deletes at most `limit` rows, chosen by key, so the
caller runs it in short transactions until less than a batch is left: one clean-up of a
year's backlog never holds a long transaction or a large lock.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from clinic.statuses import OutboxStatus, PlanStatus
from db.models import (
    AftercarePlan,
    Appointment,
    Audit,
    FlowState,
    MessageLog,
    OutboxMessage,
    Patient,
    Prescreen,
    ProcessedUpdate,
    WaitlistEntry,
)

# Rows deleted per transaction.
BATCH = 1000


@dataclass(frozen=True)
class Retention:
    """The retention settings, as periods."""

    # The conversation log (message_log).
    messages: timedelta = timedelta(days=90)
    # Where an idle patient was in a flow (flow_state), and pre-screens left unfinished.
    conversations: timedelta = timedelta(days=30)
    # Handled Telegram updates (processed_update): their ids; payloads go when handled.
    updates: timedelta = timedelta(days=7)
    # Outbox rows once sent, failed or cancelled (their payload is the message).
    outbox: timedelta = timedelta(days=30)
    # Past appointments, finished pre-screens, ended aftercare plans with their
    # check-ins; a patient's profile once nothing else about them is left.
    records: timedelta = timedelta(days=730)


Purge = Callable[..., Awaitable[int]]


async def _delete_keys(session: AsyncSession, key: Any, *where: Any, limit: int) -> int:
    """Deletes up to `limit` rows of `key`'s table matching `where`, oldest keys first."""
    chosen = select(key).where(*where).order_by(key).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        # A row another transaction holds (a patient writing right now) is left for the
        # next clean-up rather than waited for.
        chosen = chosen.with_for_update(skip_locked=True)
    keys = list((await session.scalars(chosen)).all())
    if not keys:
        return 0
    await session.execute(delete(key.class_).where(key.in_(keys)))
    return len(keys)


async def purge_messages(session: AsyncSession, *, before: datetime, limit: int = BATCH) -> int:
    return await _delete_keys(session, MessageLog.id, MessageLog.at < before, limit=limit)


async def purge_conversations(
    session: AsyncSession, *, before: datetime, limit: int = BATCH
) -> int:
    """Flow states untouched since `before`: the patient starts at the menu next time."""
    return await _delete_keys(
        session, FlowState.patient_id, FlowState.updated_at < before, limit=limit
    )


async def purge_unfinished_prescreens(
    session: AsyncSession, *, before: datetime, limit: int = BATCH
) -> int:
    """Pre-screens begun before `before` and never finished, with their answers."""
    return await _delete_keys(
        session,
        Prescreen.id,
        Prescreen.completed_at.is_(None),
        Prescreen.started_at < before,
        limit=limit,
    )


async def purge_updates(session: AsyncSession, *, before: datetime, limit: int = BATCH) -> int:
    """Handled updates received before `before`; unhandled ones wait to be handled."""
    return await _delete_keys(
        session,
        ProcessedUpdate.update_id,
        ProcessedUpdate.processed_at < before,
        ProcessedUpdate.handled_at.is_not(None),
        limit=limit,
    )


async def purge_outbox(session: AsyncSession, *, before: datetime, limit: int = BATCH) -> int:
    """Outbox rows created before `before` that are done with (anything not pending)."""
    return await _delete_keys(
        session,
        OutboxMessage.id,
        OutboxMessage.status != OutboxStatus.PENDING,
        OutboxMessage.created_at < before,
        limit=limit,
    )


async def purge_prescreens(session: AsyncSession, *, before: datetime, limit: int = BATCH) -> int:
    """Pre-screens finished before `before`, with their answers."""
    return await _delete_keys(session, Prescreen.id, Prescreen.completed_at < before, limit=limit)


async def purge_appointments(session: AsyncSession, *, before: datetime, limit: int = BATCH) -> int:
    """Appointments that ended before `before`, whatever became of them."""
    return await _delete_keys(session, Appointment.id, Appointment.ends_at < before, limit=limit)


async def purge_audit(session: AsyncSession, *, before: datetime, limit: int = BATCH) -> int:
    """Staff actions recorded before `before` (they name staff, and patients by id)."""
    return await _delete_keys(session, Audit.id, Audit.at < before, limit=limit)


async def purge_aftercare(session: AsyncSession, *, before: datetime, limit: int = BATCH) -> int:
    """Aftercare plans not sending (ended, declined, never answered) since before
    `before`, with their check-ins."""
    return await _delete_keys(
        session,
        AftercarePlan.id,
        AftercarePlan.status != PlanStatus.ACTIVE,
        func.coalesce(AftercarePlan.ended_at, AftercarePlan.created_at) < before,
        limit=limit,
    )


async def purge_waitlist(session: AsyncSession, *, before: datetime, limit: int = BATCH) -> int:
    """Waitlist entries that ended before `before`, with their offers."""
    return await _delete_keys(
        session, WaitlistEntry.id, WaitlistEntry.ended_at < before, limit=limit
    )


async def purge_patients(session: AsyncSession, *, before: datetime, limit: int = BATCH) -> int:
    """Profiles created before `before` with nothing else left about them: no message
    in the log, no flow, appointment, pre-screen, aftercare plan or pending message."""

    def none_of(model: Any, *where: Any) -> Any:
        return ~exists().where(model.patient_id == Patient.id, *where)

    return await _delete_keys(
        session,
        Patient.id,
        Patient.created_at < before,
        none_of(MessageLog),
        none_of(FlowState),
        none_of(Appointment),
        none_of(Prescreen),
        none_of(AftercarePlan),
        none_of(WaitlistEntry),
        none_of(OutboxMessage, OutboxMessage.status == OutboxStatus.PENDING),
        limit=limit,
    )


def plan(retention: Retention, now: datetime) -> list[tuple[str, Purge, datetime]]:
    """Each purge with its cut-off, in an order where a purge leaves work for the next
    (records first, the profiles they kept last)."""
    return [
        ("updates", purge_updates, now - retention.updates),
        ("outbox", purge_outbox, now - retention.outbox),
        ("messages", purge_messages, now - retention.messages),
        ("conversations", purge_conversations, now - retention.conversations),
        ("unfinished_prescreens", purge_unfinished_prescreens, now - retention.conversations),
        # An ended wait is kept as long as an idle conversation: only to answer "why
        # did I stop hearing of freed times?".
        ("waitlist", purge_waitlist, now - retention.conversations),
        ("prescreens", purge_prescreens, now - retention.records),
        ("aftercare_plans", purge_aftercare, now - retention.records),
        ("appointments", purge_appointments, now - retention.records),
        ("audit", purge_audit, now - retention.records),
        ("patients", purge_patients, now - max(retention.messages, retention.conversations)),
    ]
