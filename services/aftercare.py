"""Aftercare use cases: opting in, declining, changing the time, stopping, checking in,
and advancing a plan day by day.

A plan has one pending nudge at a time. Advancing it (`advance`, and the queueing
every other use case does through `_go_on`) is written once: record the day as sent,
queue the next day still ahead, or complete the plan when none is left. A day whose
date has passed while the bot was down is skipped (`due_nudge` says so), never sent
late: its care would be out of date.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from clinic.aftercare import Aftercare, CarePlan, next_nudge, plan_day, remaining
from clinic.statuses import PlanStatus
from clinic.when import local_date
from db import aftercare, outbox
from db.aftercare import Checkin, PlanView
from db.patients import Contact, chat_of, contact
from services.outbox import queue

NUDGE = "nudge"  # a day's message
INVITE = "aftercare_invite"  # staff recorded a treatment: would the patient like the plan?
ALERT = "aftercare_alert"  # to the staff group: a patient reported a warning sign

log = logging.getLogger(__name__)

Plan = PlanView


def hhmm(at: time) -> str:
    return at.strftime("%H:%M")


# -- advancing a plan ------------------------------------------------------------------


@dataclass(frozen=True)
class DayDone:
    """A day's message went out (or was given up on, or skipped): what comes next."""

    plan_id: int
    patient_id: int
    chat_id: int
    day: int | None  # None: nothing was sent yet (a plan starting, moving, resuming)
    at: str  # the plan's time of day when the message was rendered, HH:MM
    following: tuple[int, datetime] | None  # the next day still ahead, and when


async def _go_on(session: AsyncSession, items: Sequence[DayDone], now: datetime) -> None:
    """Queues each plan's following day, or completes the plans with none left."""
    await outbox.enqueue_many(
        session,
        rows=[
            {
                "kind": NUDGE,
                "chat_id": item.chat_id,
                "patient_id": item.patient_id,
                "plan_id": item.plan_id,
                # The time is kept to tell a row queued before a change of time.
                "payload": {"day": item.following[0], "at": item.at},
                "due_at": item.following[1],
                "now": now,
            }
            for item in items
            if item.following is not None
        ],
    )
    await aftercare.complete(
        session, plan_ids=[item.plan_id for item in items if item.following is None], now=now
    )


async def advance(session: AsyncSession, items: Sequence[DayDone], now: datetime) -> None:
    """Records each day as sent and queues each plan's next day, or completes the plan:
    a few statements for a whole batch. A plan stopped, or moved to another time of
    day, while its message was on its way gets nothing more from here."""
    await aftercare.nudged(
        session, days={item.plan_id: item.day for item in items if item.day is not None}
    )
    sending = await aftercare.sending_times(session, plan_ids=[item.plan_id for item in items])
    await _go_on(
        session,
        [
            item
            for item in items
            if item.plan_id in sending and hhmm(sending[item.plan_id]) == item.at
        ],
        now,
    )


async def _queue_next(
    session: AsyncSession,
    plan: PlanView,
    care: CarePlan,
    zone: ZoneInfo,
    now: datetime,
) -> datetime | None:
    """Queues the plan's next day still ahead after its last one sent (or completes the
    plan); returns when that day is due."""
    assert plan.send_at is not None
    following = next_nudge(
        care,
        treated_on=plan.treated_on,
        at=plan.send_at,
        zone=zone,
        now=now,
        after_day=plan.last_nudge_day,
    )
    chat_id = await chat_of(session, patient_id=plan.patient_id)
    done = DayDone(plan.id, plan.patient_id, chat_id, None, hhmm(plan.send_at), following)
    await _go_on(session, [done], now)
    return None if following is None else following[1]


@dataclass(frozen=True)
class SendDay:
    plan: PlanView
    day: int
    done: DayDone  # what sending it settles


@dataclass(frozen=True)
class SkipDay:
    """The bot was down for the whole of that day: skip to the next day still ahead."""

    plan_id: int
    day: int
    done: DayDone


async def due_nudge(
    session: AsyncSession,
    *,
    plan_id: int | None,
    chat_id: int,
    day: int,
    at: str | None,
    settings: Aftercare,
    zone: ZoneInfo,
    now: datetime,
) -> SendDay | SkipDay | None:
    """What to do with a plan's queued day now it is due (reads only: what it settles
    is applied by `advance` once the message went, or was skipped). None: not wanted."""
    plan = None if plan_id is None else await aftercare.find(session, plan_id=plan_id)
    if plan is None or plan.status != PlanStatus.ACTIVE or plan.send_at is None:
        return None
    if (plan.last_nudge_day is not None and day <= plan.last_nudge_day) or at != hhmm(plan.send_at):
        return None  # that day went out already, or the patient changed the time
    following = next_nudge(
        settings.plans[plan.laser],
        treated_on=plan.treated_on,
        at=plan.send_at,
        zone=zone,
        now=now,
        after_day=day,
    )
    done = DayDone(plan.id, plan.patient_id, chat_id, day, hhmm(plan.send_at), following)
    if plan_day(plan.treated_on, local_date(now, zone)) > day:
        return SkipDay(plan.id, day, done)
    return SendDay(plan, day, done)


# -- opting in -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Invited:
    plan: PlanView


@dataclass(frozen=True)
class Running:
    plan: PlanView


@dataclass(frozen=True)
class NoPlan:
    pass


async def current(session: AsyncSession, *, patient_id: int) -> Invited | Running | NoPlan:
    """Where the patient stands: an invitation to answer, a plan running, or neither."""
    if (invited := await aftercare.invitation(session, patient_id=patient_id)) is not None:
        return Invited(invited)
    if (plan := await aftercare.active(session, patient_id=patient_id)) is not None:
        return Running(plan)
    return NoPlan()


async def running(session: AsyncSession, *, patient_id: int) -> PlanView | None:
    return await aftercare.active(session, patient_id=patient_id)


async def pressed(session: AsyncSession, *, plan_id: int, patient_id: int) -> PlanView | None:
    """The plan a button names, if it is this patient's."""
    return await aftercare.find(session, plan_id=plan_id, patient_id=patient_id)


async def invitation_to_send(session: AsyncSession, *, plan_id: int | None) -> PlanView | None:
    """The invitation a queued message is about, if it still waits for an answer."""
    plan = None if plan_id is None else await aftercare.find(session, plan_id=plan_id)
    return plan if plan is not None and plan.status == PlanStatus.INVITED else None


async def next_due(session: AsyncSession, *, plan_id: int) -> datetime | None:
    """When the plan's next message is due, if one is queued."""
    return await outbox.next_pending(session, plan_id=plan_id)


@dataclass(frozen=True)
class Offer:
    count: int  # messages still ahead if the plan starts now
    replaces: bool  # a plan running now would stop


async def offer(
    session: AsyncSession,
    *,
    patient_id: int,
    care: CarePlan,
    treated_on: date,
    at: time,
    zone: ZoneInfo,
    now: datetime,
) -> Offer:
    count = remaining(care, treated_on=treated_on, at=at, zone=zone, now=now)
    replaces = await aftercare.active(session, patient_id=patient_id) is not None
    return Offer(count, replaces)


@dataclass(frozen=True)
class Started:
    plan: PlanView
    first: datetime  # when its first message is due


@dataclass(frozen=True)
class NothingLeft:
    """Every message of the plan would come too late."""


async def start(
    session: AsyncSession,
    *,
    patient_id: int,
    care: CarePlan,
    treated_on: date,
    send_at: time,
    invited_id: int | None,
    zone: ZoneInfo,
    now: datetime,
) -> Started | NothingLeft:
    """The yes: the plan starts (a plan running is replaced), its first day is queued."""
    plan = await aftercare.start(
        session,
        patient_id=patient_id,
        laser=care.laser,
        treated_on=treated_on,
        send_at=send_at,
        now=now,
        invited_id=invited_id,
    )
    first = await _queue_next(session, plan, care, zone, now)
    if first is None:  # the last day's time passed while the patient chose
        return NothingLeft()
    return Started(plan, first)


async def decline(session: AsyncSession, *, plan_id: int, now: datetime) -> None:
    """The patient turned down an invitation."""
    await aftercare.decline(session, plan_id=plan_id, now=now)


@dataclass(frozen=True)
class TimeChanged:
    plan: PlanView
    next_at: datetime


async def change_time(
    session: AsyncSession,
    *,
    plan: PlanView,
    care: CarePlan,
    send_at: time,
    zone: ZoneInfo,
    now: datetime,
) -> TimeChanged | NothingLeft:
    """Moves the messages to another time of day: the pending one goes, the next day
    still ahead at the new time is queued (or the plan completes)."""
    moved = await aftercare.change_time(session, plan_id=plan.id, send_at=send_at)
    next_at = await _queue_next(session, moved, care, zone, now)
    if next_at is None:
        return NothingLeft()
    return TimeChanged(moved, next_at)


async def stop(session: AsyncSession, *, plan_id: int, now: datetime) -> None:
    """The patient stops their plan: its pending messages are cancelled."""
    await aftercare.end(
        session, plan_id=plan_id, status=PlanStatus.STOPPED, reason="patient", now=now
    )


@dataclass(frozen=True)
class Stopped:
    plan: PlanView


@dataclass(frozen=True)
class Declined:
    plan: PlanView


@dataclass(frozen=True)
class NotRunning:
    pass


async def stop_or_decline(
    session: AsyncSession, *, patient_id: int, now: datetime
) -> Stopped | Declined | NotRunning:
    """/stop: ends the running plan, or turns down an open invitation."""
    if (plan := await aftercare.active(session, patient_id=patient_id)) is not None:
        await stop(session, plan_id=plan.id, now=now)
        return Stopped(plan)
    if (invited := await aftercare.invitation(session, patient_id=patient_id)) is not None:
        await decline(session, plan_id=invited.id, now=now)
        return Declined(invited)
    return NotRunning()


async def resume(
    session: AsyncSession, *, plan_id: int, settings: Aftercare, zone: ZoneInfo, now: datetime
) -> PlanView | None:
    """A plan paused for a blocked chat sends again from its next day still ahead (or
    completes); None if it is no longer paused."""
    plan = await aftercare.resume(session, plan_id=plan_id)
    if plan is not None:
        await _queue_next(session, plan, settings.plans[plan.laser], zone, now)
    return plan


# -- checking in ---------------------------------------------------------------------------


class Answer(StrEnum):
    OK = "ok"
    WORRIED = "worried"
    SIGN = "sign"


async def check_in(
    session: AsyncSession,
    *,
    plan: PlanView,
    answer: Answer,
    zone: ZoneInfo,
    now: datetime,
    sign: str | None = None,
) -> int:
    """Stores an answer with the days since the treatment as of now; returns its id."""
    return await aftercare.record_checkin(
        session,
        plan_id=plan.id,
        day=plan_day(plan.treated_on, local_date(now, zone)),
        answer=answer,
        sign=sign,
        now=now,
    )


async def report_sign(
    session: AsyncSession,
    *,
    plan: PlanView,
    sign: str,
    staff_chat_id: int | None,
    zone: ZoneInfo,
    now: datetime,
) -> int:
    """A warning sign: stored, and the staff alerted as this transaction commits.

    The alert has no plan: stopping the plan must not cancel an alert already raised.
    """
    checkin_id = await check_in(
        session, plan=plan, answer=Answer.SIGN, zone=zone, now=now, sign=sign
    )
    if staff_chat_id is None:
        log.warning("aftercare alert with no staff group set checkin_id=%s", checkin_id)
    else:
        queue(
            session,
            kind=ALERT,
            chat_id=staff_chat_id,
            payload={"checkin": checkin_id},
            due_at=now,
            now=now,
        )
    return checkin_id


@dataclass(frozen=True)
class Alert:
    checkin: Checkin
    plan: PlanView
    person: Contact


async def alert(session: AsyncSession, *, checkin_id: int) -> Alert | None:
    """What a staff alert shows; None if the patient's data was deleted meanwhile."""
    checkin = await aftercare.checkin(session, checkin_id=checkin_id)
    plan = None if checkin is None else await aftercare.find(session, plan_id=checkin.plan_id)
    if checkin is None or plan is None:
        return None
    return Alert(checkin, plan, await contact(session, patient_id=plan.patient_id))
