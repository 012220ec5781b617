"""The daily check-in: fine, worried, a warning sign (the staff are alerted)."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from clinic.statuses import PlanStatus
from handlers import triage
from handlers.aftercare.common import button, pressed_plan
from handlers.callbacks import AC_FINE, AC_SIGN, parse_plan_button, plan_data
from handlers.context import ClinicContext
from handlers.navigation import back_to_menu
from handlers.replies import CHECKIN_STEP, WARNING_SIGN_STEP, answer_button, health_step, send
from handlers.steps import stale
from services import aftercare
from services.aftercare import Answer

log = logging.getLogger(__name__)


async def fine(update: Update, context: ClinicContext) -> None:
    health_step(context, CHECKIN_STEP)
    plan = await pressed_plan(update, context)
    if plan is None:
        return
    if plan.status != PlanStatus.ACTIVE:
        await answer_button(update, context)
        await send(update, context, context.text("aftercare.ended_fine"), back_to_menu(context))
        return
    await aftercare.check_in(
        context.session,
        plan=plan,
        answer=Answer.OK,
        zone=context.services.zone,
        now=context.scope.now,
    )
    await send(update, context, context.text("aftercare.fine_reply"), back_to_menu(context))


async def worried(update: Update, context: ClinicContext) -> None:
    """Shows the warning signs. Works on an ended plan too: a worry is never turned away."""
    health_step(context, CHECKIN_STEP)
    plan = await pressed_plan(update, context)
    if plan is None:
        return
    await aftercare.check_in(
        context.session,
        plan=plan,
        answer=Answer.WORRIED,
        zone=context.services.zone,
        now=context.scope.now,
    )
    signs = [
        [InlineKeyboardButton(sign.button, callback_data=plan_data(AC_SIGN, plan.id, sign.key))]
        for sign in context.content.aftercare.signs
    ]
    signs.append([button(context, "aftercare.nothing", plan_data(AC_FINE, plan.id))])
    await send(update, context, context.text("aftercare.ask_sign"), InlineKeyboardMarkup(signs))


async def sign(update: Update, context: ClinicContext) -> None:
    """A warning sign: call the clinic now; staff are alerted as this update commits."""
    query = update.callback_query
    assert query is not None and query.data is not None
    health_step(context, WARNING_SIGN_STEP)
    plan = await pressed_plan(update, context)
    if plan is None:
        return
    pressed = parse_plan_button(query.data)
    key = None if pressed is None else pressed.sign
    if key is None or context.content.aftercare.sign(key) is None:
        await stale(update, context)
        return
    checkin_id = await aftercare.report_sign(
        context.session,
        plan=plan,
        sign=key,
        staff_chat_id=context.services.staff_chat_id,
        zone=context.services.zone,
        now=context.scope.now,
    )
    log.info("aftercare warning sign reported plan_id=%s checkin_id=%s", plan.id, checkin_id)
    await triage.answer_sign(update, context)
