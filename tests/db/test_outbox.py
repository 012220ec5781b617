"""db.outbox: queueing, claiming under a lease, settling, cancelling."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from db import outbox
from db.engine import Database
from db.models import OutboxMessage
from db.patients import mark_reachable
from tests.db.support import NOW, add_appointment, add_patient

LATER = NOW + timedelta(seconds=30)
# Claims by a process that is alive (on PostgreSQL, one holding its liveness lock: a
# claim whose owner holds none is free at once, see test_liveness).
OWNER, OTHER = 11, 12


@pytest.fixture(autouse=True)
async def alive(database: Database) -> AsyncIterator[None]:
    if database.is_sqlite:
        yield
        return
    async with database.engine.connect() as connection:
        await connection.execute(select(func.pg_advisory_lock(OWNER)))
        await connection.execute(select(func.pg_advisory_lock(OTHER)))
        await connection.commit()
        yield


async def rows(database: Database) -> list[tuple[Any, ...]]:
    async with database.transaction() as session:
        found = await session.execute(
            select(
                OutboxMessage.id,
                OutboxMessage.status,
                OutboxMessage.attempts,
                OutboxMessage.claimed_by,
                OutboxMessage.last_error,
            ).order_by(OutboxMessage.id)
        )
        return [tuple(row) for row in found]


async def claim(database: Database, **limits: Any) -> tuple[list[outbox.Due], list[int]]:
    options: dict[str, Any] = {
        "now": NOW,
        "lease_now": NOW,
        "claimed_until": LATER,
        "owner": OWNER,
        "private": 10,
        "groups": 10,
    } | limits
    async with database.transaction() as session:
        return await outbox.claim(session, **options)


async def test_due_rows_are_claimed_oldest_first_per_kind_of_chat(database: Database) -> None:
    ana = await add_patient(database)
    async with database.transaction() as session:
        outbox.enqueue(
            session,
            kind="reminder",
            chat_id=42,
            patient_id=ana,
            due_at=NOW - timedelta(minutes=1),
            now=NOW,
            payload={"x": 1},
        )
        await session.flush()
        await outbox.enqueue_many(
            session,
            rows=[
                {"kind": "card", "chat_id": -100, "due_at": NOW - timedelta(minutes=2), "now": NOW},
                {"kind": "card", "chat_id": -100, "due_at": NOW, "now": NOW},
                {"kind": "nudge", "chat_id": 42, "due_at": NOW - timedelta(minutes=3), "now": NOW},
                {"kind": "nudge", "chat_id": 42, "due_at": NOW + timedelta(minutes=1), "now": NOW},
            ],
        )
        await outbox.enqueue_many(session, rows=[])
    claimed, unreachable = await claim(database, private=1, groups=5)
    assert unreachable == []
    assert [(due.id, due.kind, due.chat_id, due.attempts) for due in claimed] == [
        (4, "nudge", 42, 0),
        (2, "card", -100, 0),
        (3, "card", -100, 0),
    ]
    # Claimed rows are not claimed again while the lease runs; the rest are.
    again, _ = await claim(database)
    assert [(due.id, due.payload, due.patient_id) for due in again] == [(1, {"x": 1}, ana)]
    assert await claim(database) == ([], [])
    # The lease ran out (the process died): any process claims the rows again.
    late, _ = await claim(database, lease_now=LATER, owner=OTHER)
    assert [due.id for due in late] == [4, 1, 2, 3]
    assert [row[3] for row in await rows(database)] == [OTHER] * 4 + [None]


async def test_rows_to_a_patient_who_blocked_the_bot_are_cancelled(database: Database) -> None:
    ana = await add_patient(database)
    async with database.transaction() as session:
        await mark_reachable(session, patient_id=ana, reachable=False)
        for chat_id in (42, -100):  # the staff's card about her still goes
            outbox.enqueue(
                session, kind="card", chat_id=chat_id, patient_id=ana, due_at=NOW, now=NOW
            )
    claimed, unreachable = await claim(database)
    assert ([due.id for due in claimed], unreachable) == ([2], [1])
    assert [row[:2] for row in await rows(database)] == [(1, "cancelled"), (2, "pending")]


async def test_replies_are_claimed_by_their_writer_and_deleted_once_sent(
    database: Database,
) -> None:
    async with database.transaction() as session:
        assert (
            await outbox.add_replies(
                session,
                chat_id=42,
                patient_id=None,
                payloads=[],
                now=NOW,
                claimed_until=LATER,
                owner=OWNER,
            )
            == []
        )
        ids = await outbox.add_replies(
            session,
            chat_id=42,
            patient_id=None,
            payloads=[{"text": "one"}, {"text": "two"}],
            now=NOW,
            claimed_until=LATER,
            owner=OWNER,
        )
        outbox.enqueue(session, kind="card", chat_id=-100, due_at=NOW, now=NOW)
    assert ids == [1, 2]
    claimed, _ = await claim(database, owner=OTHER)
    assert [due.id for due in claimed] == [3]
    async with database.transaction() as session:
        await outbox.mark_sent(session, sent=[(1, LATER), (3, LATER)])
        await outbox.mark_sent(session, sent=[])
        # Replies are never cancelled with their appointment or patient.
        assert await outbox.cancel_pending(session, patient_id=None) == 0
    assert await rows(database) == [
        (2, "pending", 0, OWNER, None),
        (3, "sent", 1, None, None),
    ]
    async with database.transaction() as session:
        sent_at = await session.scalar(select(OutboxMessage.sent_at).where(OutboxMessage.id == 3))
    assert sent_at == LATER


async def test_retries_failures_and_expiry(database: Database) -> None:
    async with database.transaction() as session:
        for _ in range(4):
            outbox.enqueue(session, kind="card", chat_id=-100, due_at=NOW, now=NOW)
    await claim(database)
    async with database.transaction() as session:
        await outbox.retry_later(
            session,
            retries=[
                outbox.Retry(1, NOW + timedelta(minutes=5), "timed out", count_attempt=True),
                outbox.Retry(2, NOW + timedelta(seconds=3), "429 " + "x" * 300, False),
            ],
        )
        await outbox.retry_later(session, retries=[])
        await outbox.mark_failed(session, failures=[(3, "Forbidden")])
        await outbox.mark_failed(session, failures=[])
        await outbox.mark_cancelled(session, row_ids=[4], status=outbox.EXPIRED)
        await outbox.mark_cancelled(session, row_ids=[])
    assert await rows(database) == [
        (1, "pending", 1, None, "timed out"),
        (2, "pending", 0, None, "429 " + "x" * 196),
        (3, "failed", 1, None, "Forbidden"),
        (4, "expired", 0, None, None),
    ]
    async with database.transaction() as session:
        assert await outbox.next_due(session, after=NOW) == NOW + timedelta(seconds=3)
        assert await outbox.next_due(session, after=NOW + timedelta(minutes=5)) is None
    retried, _ = await claim(database, now=NOW + timedelta(minutes=5))
    assert [due.attempts for due in retried] == [0, 1]


async def test_claims_are_released_at_start(database: Database) -> None:
    async with database.transaction() as session:
        for _ in range(3):
            outbox.enqueue(session, kind="card", chat_id=-100, due_at=NOW, now=NOW)
    await claim(database, groups=2)
    async with database.transaction() as session:
        assert await outbox.release_claims(session) == 2
        assert await outbox.release_claims(session) == 0
    claimed, _ = await claim(database)
    assert len(claimed) == 3


async def test_pending_rows_are_cancelled_by_what_they_belong_to(database: Database) -> None:
    ana = await add_patient(database)
    visit = await add_appointment(database, patient_id=ana, starts_at=NOW)
    other = await add_appointment(database, patient_id=ana, starts_at=NOW, seat=1)
    async with database.transaction() as session:
        enqueue = outbox.enqueue
        enqueue(session, kind="reminder", chat_id=42, appointment_id=visit, due_at=NOW, now=NOW)
        enqueue(session, kind="card", chat_id=-100, appointment_id=visit, due_at=NOW, now=NOW)
        enqueue(session, kind="reminder", chat_id=42, appointment_id=other, due_at=NOW, now=NOW)
        enqueue(session, kind="nudge", chat_id=42, patient_id=ana, due_at=NOW, now=NOW)
        enqueue(session, kind="card", chat_id=-100, patient_id=ana, due_at=NOW, now=NOW)
        enqueue(session, kind="followup", chat_id=42, patient_id=ana, due_at=NOW, now=NOW)
        await session.flush()
        await outbox.mark_sent(session, sent=[(3, NOW)])
    async with database.transaction() as session:
        assert await outbox.cancel_pending(session, appointment_id=visit, kinds=("card",)) == 1
        assert await outbox.cancel_pending(session, appointment_id=visit) == 1
        assert await outbox.cancel_pending(session, appointment_id=other) == 0  # sent
        assert await outbox.cancel_pending(session, patient_id=ana, private_only=True) == 2
        assert await outbox.cancel_pending(session, patient_id=ana) == 1
    assert [row[1] for row in await rows(database)] == ["cancelled"] * 2 + ["sent"] + [
        "cancelled"
    ] * 3


async def test_a_plans_next_message(database: Database) -> None:
    from datetime import date, time

    from clinic.aftercare import Laser
    from db import aftercare

    ana = await add_patient(database)
    async with database.transaction() as session:
        plan = await aftercare.start(
            session,
            patient_id=ana,
            laser=next(iter(Laser)),
            treated_on=date(2026, 10, 31),
            send_at=time(9),
            now=NOW,
        )
        assert await outbox.next_pending(session, plan_id=plan.id) is None
        for hours in (5, 2):
            outbox.enqueue(
                session,
                kind="nudge",
                chat_id=42,
                plan_id=plan.id,
                due_at=NOW + timedelta(hours=hours),
                now=NOW,
            )
    async with database.transaction() as session:
        assert await outbox.next_pending(session, plan_id=plan.id) == NOW + timedelta(hours=2)
        await outbox.cancel_pending(session, plan_id=plan.id)
        assert await outbox.next_pending(session, plan_id=plan.id) is None
