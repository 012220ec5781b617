"""Aftercare messages sent from the outbox: the daily nudge, the invitation, staff alerts.

A plan has one pending nudge at a time. When Telegram takes it (or it is given up on),
the same transaction records the day as done and queues the next day's: 100,000
patients on a plan are 100,000 pending rows, and a restart neither skips nor repeats
a day.
"""

from __future__ import annotations

import html
import logging
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
from handlers.callbacks import AC_FINE, AC_INVITE_NO, AC_INVITED, AC_STOP, AC_WORRIED
from handlers.context import ClinicContext, Services
from handlers.notices import Outgoing, renders, send_after_commit

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

    async def done(session: AsyncSession) -> None:
        await aftercare.nudged(session, plan_id=plan.id, day=day)
        if await queue_next(session, services, plan, now, after_day=day) is None:
            await aftercare.end(session, plan_id=plan.id, status="completed", reason=None, now=now)

    if local_date(now, services.zone) > plan.treated_on + timedelta(days=day):
        # The bot was down for the whole of that day: its care is out of date. Skip to
        # the next day still ahead rather than send yesterday's instructions.
        log.warning("aftercare day skipped, its date has passed plan_id=%s day=%s", plan.id, day)
        await done(session)
        return None
    return Outgoing(nudge_text(services, plan, day), checkin_keyboard(services, plan.id), then=done)


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
    return Outgoing(text)
