"""A plan running: today's care, changing the time of day, stopping."""

from __future__ import annotations

import logging
from datetime import time

from telegram import Update

from clinic.aftercare import plan_day
from clinic.statuses import PlanStatus
from handlers.aftercare.common import (
    SetUp,
    Step,
    at,
    current,
    declined,
    ended,
    go,
    leave,
    patient,
    pressed_plan,
    today,
)
from handlers.aftercare.screens import time_screen
from handlers.context import ClinicContext
from handlers.navigation import back_to_menu
from handlers.nudges import care_plan, checkin_keyboard, nudge_text
from handlers.replies import send, show
from handlers.steps import stale
from services import aftercare
from services.aftercare import Declined, NothingLeft, Plan, Stopped

log = logging.getLogger(__name__)


async def change_time(update: Update, context: ClinicContext) -> None:
    plan = await current(context)
    if plan is None or not at(context, Step.STATUS):
        await stale(update, context)
        return
    go(context, Step.CHANGE_TIME, SetUp(plan=plan.id))
    await show(update, context, *time_screen(context, plan.send_at))


async def change_time_to(update: Update, context: ClinicContext, send_at: time) -> None:
    plan = await current(context)
    if plan is None:
        await stale(update, context)
        return
    changed = await aftercare.change_time(
        context.session,
        plan=plan,
        care=care_plan(context.content, plan),
        send_at=send_at,
        zone=context.services.zone,
        now=context.scope.now,
    )
    if isinstance(changed, NothingLeft):
        context.flow.reset()
        await show(update, context, context.text("aftercare.nothing_left"), back_to_menu(context))
        return
    go(context, Step.STATUS, SetUp(plan=plan.id))
    text = context.text(
        "aftercare.time_changed",
        time=context.dates.clock(send_at),
        when=context.dates.when(changed.next_at),
    )
    await show(update, context, text, back_to_menu(context))


async def todays_care(update: Update, context: ClinicContext) -> None:
    """The care for today, or for the latest plan day before it (between milestones)."""
    plan = await current(context)
    if plan is None:
        await stale(update, context)
        return
    care = care_plan(context.content, plan)
    number = plan_day(plan.treated_on, today(context))
    days = [day for day in care.days if day <= number]
    if not days:
        await stale(update, context)
        return
    await send(
        update,
        context,
        nudge_text(context.content, plan, days[-1]),
        checkin_keyboard(context.content, plan.id),
    )


async def stop_button(update: Update, context: ClinicContext) -> None:
    plan = await pressed_plan(update, context)
    if plan is None:
        return
    if plan.status != PlanStatus.ACTIVE:
        await ended(update, context)
        return
    await aftercare.stop(context.session, plan_id=plan.id, now=context.scope.now)
    await _stopped(update, context, plan)


async def stop_command(update: Update, context: ClinicContext) -> None:
    """/stop: ends the running plan, or turns down an open invitation."""
    result = await aftercare.stop_or_decline(
        context.session, patient_id=patient(context), now=context.scope.now
    )
    if isinstance(result, Stopped):
        await _stopped(update, context, result.plan)
    elif isinstance(result, Declined):
        await declined(update, context)
    else:
        leave(context)
        await send(update, context, context.text("aftercare.not_running"), back_to_menu(context))


async def _stopped(update: Update, context: ClinicContext, plan: Plan) -> None:
    log.info("aftercare stopped by the patient plan_id=%s", plan.id)
    leave(context)
    await send(update, context, context.text("aftercare.stopped"), back_to_menu(context))
