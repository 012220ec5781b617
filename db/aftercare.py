"""Aftercare plans and check-ins: invited, started, nudged day by day, ended."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from clinic.aftercare import Laser
from clinic.statuses import PlanStatus
from db import outbox
from db.engine import core
from db.models import AftercareCheckin, AftercarePlan


@dataclass(frozen=True)
class PlanView:
    id: int
    patient_id: int
    laser: Laser
    treated_on: date
    status: PlanStatus
    send_at: time | None
    last_nudge_day: int | None
    recorded_by: str | None
    appointment_id: int | None


def _view(row: Any) -> PlanView:
    """A plan as an ORM object, or as a row of _VIEW_COLUMNS (same attribute names)."""
    return PlanView(
        id=row.id,
        patient_id=row.patient_id,
        laser=Laser(row.laser),
        treated_on=row.treated_on,
        status=PlanStatus(row.status),
        send_at=row.send_at,
        last_nudge_day=row.last_nudge_day,
        recorded_by=row.recorded_by,
        appointment_id=row.appointment_id,
    )


_VIEW_COLUMNS = (
    AftercarePlan.id,
    AftercarePlan.patient_id,
    AftercarePlan.laser,
    AftercarePlan.treated_on,
    AftercarePlan.status,
    AftercarePlan.send_at,
    AftercarePlan.last_nudge_day,
    AftercarePlan.recorded_by,
    AftercarePlan.appointment_id,
)


async def find(
    session: AsyncSession, *, plan_id: int, patient_id: int | None = None
) -> PlanView | None:
    """The plan with this id; with `patient_id`, only if it is that patient's.

    Columns on the session's connection, no ORM object: every nudge sent reads its plan.
    """
    query = select(*_VIEW_COLUMNS).where(AftercarePlan.id == plan_id)
    if patient_id is not None:
        query = query.where(AftercarePlan.patient_id == patient_id)
    row = (await (await core(session)).execute(query)).first()
    return None if row is None else _view(row)


async def newest(session: AsyncSession, *, patient_id: int) -> PlanView | None:
    """The patient's newest plan in any state: they were treated at the clinic."""
    row = await session.scalar(
        select(AftercarePlan)
        .where(AftercarePlan.patient_id == patient_id)
        .order_by(AftercarePlan.created_at.desc(), AftercarePlan.id.desc())
        .limit(1)
    )
    return None if row is None else _view(row)


async def _newest(session: AsyncSession, patient_id: int, status: PlanStatus) -> PlanView | None:
    row = await session.scalar(
        select(AftercarePlan)
        .where(AftercarePlan.patient_id == patient_id, AftercarePlan.status == status)
        .order_by(AftercarePlan.created_at.desc(), AftercarePlan.id.desc())
        .limit(1)
    )
    return None if row is None else _view(row)


async def active(session: AsyncSession, *, patient_id: int) -> PlanView | None:
    """The plan sending messages to the patient now, if any (there is one at most)."""
    return await _newest(session, patient_id, PlanStatus.ACTIVE)


async def paused(session: AsyncSession, *, patient_id: int) -> PlanView | None:
    """The plan that was sending when the bot found the patient had blocked it, if it is
    their newest plan that ever sent. An invitation lapsed by the same block is not one:
    the patient never said yes to it."""
    row = await session.scalar(
        select(AftercarePlan)
        .where(AftercarePlan.patient_id == patient_id, AftercarePlan.started_at.is_not(None))
        .order_by(AftercarePlan.started_at.desc(), AftercarePlan.id.desc())
        .limit(1)
    )
    if row is None or row.status != PlanStatus.STOPPED or row.end_reason != "unreachable":
        return None
    return _view(row)


async def resume(session: AsyncSession, *, plan_id: int) -> PlanView | None:
    """Sends a plan stopped for a blocked chat again; None if it is no longer paused
    (resumed already, or replaced) or never sent (a lapsed invitation)."""
    result = await session.execute(
        update(AftercarePlan)
        .where(
            AftercarePlan.id == plan_id,
            AftercarePlan.status == PlanStatus.STOPPED,
            AftercarePlan.end_reason == "unreachable",
            AftercarePlan.started_at.is_not(None),
        )
        .values(status=PlanStatus.ACTIVE, ended_at=None, end_reason=None)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return None
    return await find(session, plan_id=plan_id)


async def invitation(session: AsyncSession, *, patient_id: int) -> PlanView | None:
    """The newest treatment staff recorded that the patient has not answered yet."""
    return await _newest(session, patient_id, PlanStatus.INVITED)


async def of_appointment(session: AsyncSession, *, appointment_id: int) -> PlanView | None:
    """The newest treatment staff recorded on this appointment's card."""
    row = await session.scalar(
        select(AftercarePlan)
        .where(AftercarePlan.appointment_id == appointment_id)
        .order_by(AftercarePlan.created_at.desc(), AftercarePlan.id.desc())
        .limit(1)
    )
    return None if row is None else _view(row)


async def invite(
    session: AsyncSession,
    *,
    patient_id: int,
    laser: Laser,
    treated_on: date,
    recorded_by: str,
    appointment_id: int | None,
    now: datetime,
) -> PlanView:
    """Records a treatment from the staff group; an older unanswered invitation lapses."""
    await session.execute(
        update(AftercarePlan)
        .where(AftercarePlan.patient_id == patient_id, AftercarePlan.status == PlanStatus.INVITED)
        .values(status=PlanStatus.DECLINED, ended_at=now, end_reason="replaced")
    )
    row = AftercarePlan(
        patient_id=patient_id,
        laser=laser.value,
        treated_on=treated_on,
        status=PlanStatus.INVITED,
        recorded_by=recorded_by,
        appointment_id=appointment_id,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return _view(row)


async def start(
    session: AsyncSession,
    *,
    patient_id: int,
    laser: Laser,
    treated_on: date,
    send_at: time,
    now: datetime,
    invited_id: int | None = None,
) -> PlanView:
    """The patient said yes: the plan (the invited one, or a new one) starts sending.

    A plan already sending is stopped first, with its pending messages.
    """
    if (current := await active(session, patient_id=patient_id)) is not None:
        await end(
            session, plan_id=current.id, status=PlanStatus.STOPPED, reason="replaced", now=now
        )
    row = None
    if invited_id is not None:
        row = await session.scalar(
            select(AftercarePlan).where(
                AftercarePlan.id == invited_id,
                AftercarePlan.patient_id == patient_id,
                AftercarePlan.status == PlanStatus.INVITED,
            )
        )
    if row is None:
        row = AftercarePlan(patient_id=patient_id, created_at=now)
        session.add(row)
    row.laser, row.treated_on, row.send_at = laser.value, treated_on, send_at
    row.status, row.started_at = PlanStatus.ACTIVE, now
    await session.flush()
    return _view(row)


async def decline(session: AsyncSession, *, plan_id: int, now: datetime) -> None:
    await session.execute(
        update(AftercarePlan)
        .where(AftercarePlan.id == plan_id, AftercarePlan.status == PlanStatus.INVITED)
        .values(status=PlanStatus.DECLINED, ended_at=now, end_reason="patient")
    )


async def end(
    session: AsyncSession, *, plan_id: int, status: PlanStatus, reason: str | None, now: datetime
) -> None:
    """Stops or completes a plan and cancels its pending messages.

    The pending rows are cancelled before the plan row is touched: the dispatcher locks
    a row, then the plan, and taking them in the same order means a stop that races a
    send waits for it instead of deadlocking. That send may queue the next day's
    message, which the second pass catches.
    """
    await outbox.cancel_pending(session, plan_id=plan_id)
    await session.execute(
        update(AftercarePlan)
        .where(AftercarePlan.id == plan_id)
        .values(status=status, ended_at=now, end_reason=reason)
    )
    await outbox.cancel_pending(session, plan_id=plan_id)


async def end_for_patient(
    session: AsyncSession, *, patient_id: int, reason: str, now: datetime
) -> None:
    """Stops the patient's plan and lapses their invitations (they blocked the bot)."""
    rows = await session.scalars(
        select(AftercarePlan.id).where(
            AftercarePlan.patient_id == patient_id,
            AftercarePlan.status.in_((PlanStatus.ACTIVE, PlanStatus.INVITED)),
        )
    )
    for plan_id in list(rows):
        await end(session, plan_id=plan_id, status=PlanStatus.STOPPED, reason=reason, now=now)


async def change_time(session: AsyncSession, *, plan_id: int, send_at: time) -> PlanView:
    """Moves the messages to another time of day; the caller queues the next one."""
    await outbox.cancel_pending(session, plan_id=plan_id)
    await session.execute(
        update(AftercarePlan).where(AftercarePlan.id == plan_id).values(send_at=send_at)
    )
    await outbox.cancel_pending(session, plan_id=plan_id)  # as in `end`
    plan = await find(session, plan_id=plan_id)
    assert plan is not None
    return plan


async def nudged(session: AsyncSession, *, days: Mapping[int, int]) -> None:
    """Telegram took (or gave up on) each plan's message of that day (plan id -> day):
    it is never sent again. One statement for all of them."""
    if not days:
        return
    table: Table = AftercarePlan.__table__  # type: ignore[assignment]
    await session.execute(
        update(table)
        .where(table.c.id == bindparam("plan_id"))
        .values(last_nudge_day=bindparam("day")),
        [{"plan_id": plan_id, "day": day} for plan_id, day in days.items()],
    )


async def sending_times(session: AsyncSession, *, plan_ids: Sequence[int]) -> dict[int, time]:
    """The time of day of each of these plans that is still sending (active)."""
    rows = await session.execute(
        select(AftercarePlan.id, AftercarePlan.send_at).where(
            AftercarePlan.id.in_(plan_ids), AftercarePlan.status == PlanStatus.ACTIVE
        )
    )
    return {plan_id: send_at for plan_id, send_at in rows if send_at is not None}


async def complete(session: AsyncSession, *, plan_ids: Sequence[int], now: datetime) -> None:
    """Plans whose last message went out: completed (they have nothing pending)."""
    if plan_ids:
        await session.execute(
            update(AftercarePlan)
            .where(AftercarePlan.id.in_(plan_ids), AftercarePlan.status == PlanStatus.ACTIVE)
            .values(status=PlanStatus.COMPLETED, ended_at=now)
        )


async def record_checkin(
    session: AsyncSession,
    *,
    plan_id: int,
    day: int,
    answer: str,
    now: datetime,
    sign: str | None = None,
) -> int:
    row = AftercareCheckin(plan_id=plan_id, day=day, answer=answer, sign=sign, at=now)
    session.add(row)
    await session.flush()
    return row.id


@dataclass(frozen=True)
class Checkin:
    id: int
    plan_id: int
    day: int
    answer: str
    sign: str | None
    at: datetime


async def checkin(session: AsyncSession, *, checkin_id: int) -> Checkin | None:
    row = await session.get(AftercareCheckin, checkin_id)
    if row is None:
        return None
    return Checkin(row.id, row.plan_id, row.day, row.answer, row.sign, row.at)
