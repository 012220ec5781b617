"""Aftercare messages sent from the outbox: the daily nudge, the invitation, staff alerts.

A plan has one pending nudge at a time. When Telegram takes it (or it is given up on),
the same transaction records the day as done and queues the next day's: 100,000
patients on a plan are 100,000 pending rows, and a restart neither skips nor repeats
a day.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from clinic.aftercare import CarePlan, local_date, next_nudge
from clinic.phone import display_phone
from clinic.when import day_label
from db import aftercare, outbox, patients
from db.aftercare import PlanView
from db.outbox import Due
from db.patients import chat_of
from handlers import triage
from handlers.callbacks import AC_FINE, AC_INVITE_NO, AC_INVITED, AC_STOP, AC_WORRIED
from handlers.context import ClinicContext
from handlers.notices import renders, send_after_commit
from handlers.outgoing import Outgoing, Settle, settles
from services.context import Services

log = logging.getLogger(__name__)

NUDGE = "nudge"
INVITE = "aftercare_invite"
ALERT = "aftercare_alert"


def care_plan(services: Services, plan: PlanView) -> CarePlan:
    return services.content.aftercare.plans[plan.laser]


def hhmm(at: time) -> str:
    return at.strftime("%H:%M")


async def queue_next(
    session: AsyncSession,
    services: Services,
    plan: PlanView,
    now: datetime,
    after_day: int | None,
) -> datetime | None:
    """Queues the plan's next message still ahead; returns when it is due, or None."""
    assert plan.send_at is not None
    upcoming = next_nudge(
        care_plan(services, plan),
        treated_on=plan.treated_on,
        at=plan.send_at,
        zone=services.zone,
        now=now,
        after_day=after_day,
    )
    if upcoming is None:
        return None
    day, due_at = upcoming
    outbox.enqueue(
        session,
        kind=NUDGE,
        chat_id=await chat_of(session, patient_id=plan.patient_id),
        patient_id=plan.patient_id,
        plan_id=plan.id,
        # The time is kept to tell a row queued before a change of time from the new one.
        payload={"day": day, "at": hhmm(plan.send_at)},
        due_at=due_at,
        now=now,
    )
    return due_at


def checkin_keyboard(services: Services, plan_id: int) -> InlineKeyboardMarkup:
    texts = services.content.texts
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(texts("aftercare.fine"), callback_data=f"{AC_FINE}{plan_id}")],
            [
                InlineKeyboardButton(
                    texts("aftercare.worried"), callback_data=f"{AC_WORRIED}{plan_id}"
                )
            ],
            [InlineKeyboardButton(texts("aftercare.stop"), callback_data=f"{AC_STOP}{plan_id}")],
        ]
    )


def nudge_text(services: Services, plan: PlanView, day: int) -> str:
    care = care_plan(services, plan)
    return services.content.texts(
        "aftercare.nudge", number=str(day), laser=care.name, text=care.care[day]
    )


@dataclass(frozen=True)
class NudgeDone:
    """A day's message went out (or was given up on): what comes next for its plan."""

    plan_id: int
    patient_id: int
    chat_id: int
    day: int
    at: str  # the plan's time of day when it was rendered, HH:MM
    following: tuple[int, datetime] | None  # the next day still ahead, and when


@renders(NUDGE)
async def render_nudge(
    session: AsyncSession, services: Services, due: Due, now: datetime
) -> Outgoing | None:
    plan = None if due.plan_id is None else await aftercare.find(session, plan_id=due.plan_id)
    if plan is None or plan.status != "active" or plan.send_at is None:
        return None
    day = int(due.payload["day"])
    if (plan.last_nudge_day is not None and day <= plan.last_nudge_day) or due.payload.get(
        "at"
    ) != hhmm(plan.send_at):
        return None  # that day went out already, or the patient changed the time
    following = next_nudge(
        care_plan(services, plan),
        treated_on=plan.treated_on,
        at=plan.send_at,
        zone=services.zone,
        now=now,
        after_day=day,
    )
    done = NudgeDone(plan.id, plan.patient_id, due.chat_id, day, hhmm(plan.send_at), following)
    if local_date(now, services.zone) > plan.treated_on + timedelta(days=day):
        # The bot was down for the whole of that day: its care is out of date. Skip to
        # the next day still ahead rather than send yesterday's instructions.
        log.warning("aftercare day skipped, its date has passed plan_id=%s day=%s", plan.id, day)
        await nudges_done(session, services, [done], now)
        return None
    text = nudge_text(services, plan, day)
    return Outgoing(text, checkin_keyboard(services, plan.id), settle=Settle(NUDGE, done))


@settles(NUDGE)
async def nudges_done(
    session: AsyncSession, services: Services, items: Sequence[NudgeDone], now: datetime
) -> None:
    """Records each day as sent and queues each plan's next day, or completes the plan:
    a few statements for a whole batch. A plan stopped, or moved to another time of
    day, while its message was on its way gets nothing more from here."""
    await aftercare.nudged(session, days={item.plan_id: item.day for item in items})
    sending = await aftercare.sending_times(session, plan_ids=[item.plan_id for item in items])
    going_on = [
        item for item in items if item.plan_id in sending and hhmm(sending[item.plan_id]) == item.at
    ]
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
            for item in going_on
            if item.following is not None
        ],
    )
    await aftercare.complete(
        session,
        plan_ids=[item.plan_id for item in going_on if item.following is None],
        now=now,
    )


@renders(INVITE)
async def render_invite(
    session: AsyncSession, services: Services, due: Due, now: datetime
) -> Outgoing | None:
    plan = None if due.plan_id is None else await aftercare.find(session, plan_id=due.plan_id)
    if plan is None or plan.status != "invited":
        return None
    texts = services.content.texts
    text = texts(
        "aftercare.invite", laser=care_plan(services, plan).name, day=day_label(plan.treated_on)
    )
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts("aftercare.invite_yes"), callback_data=f"{AC_INVITED}{plan.id}"
                )
            ],
            [InlineKeyboardButton(texts("aftercare.no"), callback_data=f"{AC_INVITE_NO}{plan.id}")],
        ]
    )
    return Outgoing(text, keyboard)


def invite(context: ClinicContext, plan: PlanView, chat_id: int) -> None:
    """Offers the patient the plan of a treatment staff just recorded."""
    send_after_commit(context, INVITE, chat_id, patient_id=plan.patient_id, plan_id=plan.id)


def alert_staff(context: ClinicContext, checkin_id: int) -> None:
    """Queues the alert due now and wakes the dispatcher: it goes out right after commit.

    The row has no plan: stopping the plan must not cancel an alert already raised.
    """
    staff_chat_id = context.services.staff_chat_id
    if staff_chat_id is None:
        log.warning("aftercare alert with no staff group set checkin_id=%s", checkin_id)
        return
    send_after_commit(context, ALERT, staff_chat_id, payload={"checkin": checkin_id})


@renders(ALERT)
async def render_alert(
    session: AsyncSession, services: Services, due: Due, now: datetime
) -> Outgoing | None:
    checkin = await aftercare.checkin(session, checkin_id=int(due.payload["checkin"]))
    plan = None if checkin is None else await aftercare.find(session, plan_id=checkin.plan_id)
    if checkin is None or plan is None:
        return None  # the patient's data was deleted meanwhile
    texts, signs = services.content.texts, services.content.aftercare
    sign = signs.sign(checkin.sign or "")
    person = await patients.contact(session, patient_id=plan.patient_id)
    name = f'<a href="tg://user?id={person.telegram_id}">{html.escape(person.name)}</a>'
    text = texts(
        "staff.alert",
        sign=html.escape(sign.button if sign else checkin.sign or "?"),
        name=name,
        patient_phone=display_phone(person.phone) if person.phone else texts("staff.no_phone"),
        laser=care_plan(services, plan).name,
        number=str(checkin.day),
        day=day_label(plan.treated_on),
    )
    keyboard, settle = triage.alert_extras(services, plan.patient_id, person.telegram_id)
    return Outgoing(text, keyboard, settle=settle)
