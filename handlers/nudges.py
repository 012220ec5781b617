"""Aftercare messages sent from the outbox: the daily nudge, the invitation, staff alerts.

A plan has one pending nudge at a time. When Telegram takes it (or it is given up on),
the same transaction records the day as done and queues the next day's
(services.aftercare.advance): 100,000 patients on a plan are 100,000 pending rows, and
a restart neither skips nor repeats a day. The renderers here only read.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from clinic.aftercare import CarePlan
from clinic.content import Content
from clinic.phone import display_phone
from handlers import triage
from handlers.callbacks import (
    AC_FINE,
    AC_INVITE_NO,
    AC_INVITED,
    AC_STOP,
    AC_WORRIED,
    plan_data,
)
from handlers.context import ClinicContext
from handlers.notices import Expired, renders, send_after_commit
from handlers.outgoing import Outgoing, Settle, settles
from services import aftercare
from services.aftercare import ALERT, INVITE, NUDGE, DayDone, Plan, SkipDay
from services.context import Services
from services.outbox import Due

log = logging.getLogger(__name__)


def care_plan(content: Content, plan: Plan) -> CarePlan:
    return content.aftercare.plans[plan.laser]


def checkin_keyboard(content: Content, plan_id: int) -> InlineKeyboardMarkup:
    texts = content.texts
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(texts(key), callback_data=plan_data(prefix, plan_id))]
            for key, prefix in (
                ("aftercare.fine", AC_FINE),
                ("aftercare.worried", AC_WORRIED),
                ("aftercare.stop", AC_STOP),
            )
        ]
    )


def nudge_text(content: Content, plan: Plan, day: int) -> str:
    care = care_plan(content, plan)
    return content.texts("aftercare.nudge", number=str(day), laser=care.name, text=care.care[day])


@renders(NUDGE)
async def render_nudge(
    session: AsyncSession, services: Services, due: Due, now: datetime, content: Content
) -> Outgoing | Expired | None:
    decision = await aftercare.due_nudge(
        session,
        plan_id=due.plan_id,
        chat_id=due.chat_id,
        day=int(due.payload["day"]),
        at=due.payload.get("at"),
        settings=content.aftercare,
        zone=services.zone,
        now=now,
    )
    if decision is None:
        return None
    if isinstance(decision, SkipDay):
        # The bot was down for the whole of that day: its care is out of date. The plan
        # moves on to the next day still ahead rather than send yesterday's instructions.
        log.warning(
            "aftercare day skipped, its date has passed plan_id=%s day=%s",
            decision.plan_id,
            decision.day,
        )
        return Expired(settle=Settle(NUDGE, decision.done))
    text = nudge_text(content, decision.plan, decision.day)
    keyboard = checkin_keyboard(content, decision.plan.id)
    return Outgoing(text, keyboard, settle=Settle(NUDGE, decision.done))


@settles(NUDGE)
async def nudges_done(
    session: AsyncSession, services: Services, items: Sequence[DayDone], now: datetime
) -> None:
    await aftercare.advance(session, items, now)


@renders(INVITE)
async def render_invite(
    session: AsyncSession, services: Services, due: Due, now: datetime, content: Content
) -> Outgoing | None:
    plan = await aftercare.invitation_to_send(session, plan_id=due.plan_id)
    if plan is None:
        return None
    texts = content.texts
    text = texts(
        "aftercare.invite",
        laser=care_plan(content, plan).name,
        day=content.dates(services.zone).day(plan.treated_on),
    )
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts("aftercare.invite_yes"), callback_data=plan_data(AC_INVITED, plan.id)
                )
            ],
            [
                InlineKeyboardButton(
                    texts("aftercare.no"), callback_data=plan_data(AC_INVITE_NO, plan.id)
                )
            ],
        ]
    )
    return Outgoing(text, keyboard)


def invite(context: ClinicContext, plan: Plan, chat_id: int) -> None:
    """Offers the patient the plan of a treatment staff just recorded."""
    send_after_commit(context, INVITE, chat_id, patient_id=plan.patient_id, plan_id=plan.id)


@renders(ALERT)
async def render_alert(
    session: AsyncSession, services: Services, due: Due, now: datetime, content: Content
) -> Outgoing | None:
    found = await aftercare.alert(session, checkin_id=int(due.payload["checkin"]))
    if found is None:
        return None  # the patient's data was deleted meanwhile
    checkin, plan, person = found.checkin, found.plan, found.person
    texts, signs = content.texts, content.aftercare
    sign = signs.sign(checkin.sign or "")
    name = f'<a href="tg://user?id={person.telegram_id}">{html.escape(person.name)}</a>'
    text = texts(
        "staff.alert",
        sign=html.escape(sign.button if sign else checkin.sign or "?"),
        name=name,
        patient_phone=display_phone(person.phone) if person.phone else texts("staff.no_phone"),
        laser=care_plan(content, plan).name,
        number=str(checkin.day),
        day=content.dates(services.zone).day(plan.treated_on),
    )
    keyboard, settle = triage.alert_extras(content, plan.patient_id, person.telegram_id)
    return Outgoing(text, keyboard, settle=settle)
