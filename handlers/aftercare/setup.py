"""Setting a plan up: the laser, the treatment day, the offer, the time of day; and the
answers to an invitation staff sent. Nothing is queued until the patient has said yes
and chosen a time."""

from __future__ import annotations

import logging
from datetime import date, time

from telegram import Update

from clinic.aftercare import DateProblem, check_treatment_date, parse_date, remaining
from clinic.statuses import PlanStatus
from clinic.when import days_before
from handlers import steps
from handlers.aftercare import running
from handlers.aftercare.common import (
    FLOW,
    Screen,
    SetUp,
    Step,
    at,
    current,
    declined,
    ended,
    go,
    patient,
    pressed_plan,
    state,
    today,
)
from handlers.aftercare.screens import (
    date_screen,
    laser_screen,
    not_sure_screen,
    offer_screen,
    status_screen,
    time_screen,
    type_date_screen,
)
from handlers.callbacks import parse_days_ago, parse_laser, parse_time
from handlers.context import ClinicContext
from handlers.navigation import back_to_menu
from handlers.replies import answer_button, send, show
from handlers.steps import stale
from services import aftercare
from services.aftercare import Invited, NothingLeft, Plan, Running

log = logging.getLogger(__name__)


def _data(update: Update) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    return query.data


async def start(update: Update, context: ClinicContext) -> None:
    """An invitation first; else the plan running now; else a new plan from the start."""
    found = await aftercare.current(context.session, patient_id=patient(context))
    if isinstance(found, Invited):
        plan = found.plan
        await offer(update, context, SetUp(plan.laser, plan.treated_on, invited=plan.id))
    elif isinstance(found, Running):
        go(context, Step.STATUS, SetUp(plan=found.plan.id))
        await show(update, context, *await status_screen(context, found.plan))
    else:
        go(context, Step.LASER)
        await show(update, context, *laser_screen(context))


async def offer(update: Update, context: ClinicContext, to: SetUp) -> None:
    assert to.laser is not None and to.treated_on is not None
    go(context, Step.OFFER, to)
    if not remaining(
        context.content.aftercare.plans[to.laser],
        treated_on=to.treated_on,
        at=context.content.aftercare.default_time,
        zone=context.services.zone,
        now=context.scope.now,
    ):
        context.flow.reset()
        await show(update, context, context.text("aftercare.nothing_left"), back_to_menu(context))
        return
    await show(update, context, *await offer_screen(context, to))


async def choose_laser(update: Update, context: ClinicContext) -> None:
    laser = parse_laser(_data(update))
    if laser is None or not at(context, Step.LASER):
        await stale(update, context)
        return
    go(context, Step.DATE, SetUp(laser=laser))
    await show(update, context, *date_screen(context, state(context)))


async def not_sure(update: Update, context: ClinicContext) -> None:
    """The patient does not know the laser: the clinic's records do."""
    go(context, Step.LASER)
    await show(update, context, *not_sure_screen(context))


async def choose_day(update: Update, context: ClinicContext) -> None:
    """Today or Yesterday, as of the moment the button is pressed."""
    days_ago = parse_days_ago(_data(update))
    if days_ago is None or not at(context, Step.DATE, Step.DATE_INPUT):
        await stale(update, context)
        return
    treated_on = days_before(context.scope.now, context.services.zone, days_ago)
    await _treatment_date(update, context, treated_on)


async def other_date(update: Update, context: ClinicContext) -> None:
    if not at(context, Step.DATE, Step.DATE_INPUT):
        await stale(update, context)
        return
    go(context, Step.DATE_INPUT, state(context))
    await show(update, context, *type_date_screen(context))


async def typed_date(update: Update, context: ClinicContext) -> None:
    message = update.message
    assert message is not None and message.text is not None
    content = context.services.content
    treated_on = parse_date(
        message.text, today=today(context), months=content.months, days=content.day_words
    )
    if treated_on is None:
        await send(update, context, context.text("aftercare.date_unreadable"))
        await steps.show_step(update, context, edit=False)
        return
    await _treatment_date(update, context, treated_on)


async def _treatment_date(update: Update, context: ClinicContext, treated_on: date) -> None:
    """Refuses a date ahead or too long ago with the reason; else makes the offer."""
    limit = context.content.aftercare.max_days_ago
    problem = check_treatment_date(treated_on, today=today(context), max_days_ago=limit)
    if problem is not None:
        await answer_button(update, context)
        day = context.dates.day(treated_on)
        if problem is DateProblem.FUTURE:
            text = context.text("aftercare.date_future", day=day)
        else:
            text = context.text("aftercare.date_too_old", day=day, days=str(limit))
        await send(update, context, text)
        await steps.show_step(update, context, edit=False)
        return
    await offer(update, context, SetUp(laser=state(context).laser, treated_on=treated_on))


async def yes(update: Update, context: ClinicContext) -> None:
    if not at(context, Step.OFFER):
        await stale(update, context)
        return
    go(context, Step.TIME, state(context))
    await show(update, context, *time_screen(context, None))


async def no(update: Update, context: ClinicContext) -> None:
    if not at(context, Step.OFFER):
        await stale(update, context)
        return
    if (invited := state(context).invited) is not None:
        await aftercare.decline(context.session, plan_id=invited, now=context.scope.now)
    await declined(update, context)


async def choose_time(update: Update, context: ClinicContext) -> None:
    chosen = parse_time(_data(update))
    if chosen is None or chosen not in context.content.aftercare.times:
        await stale(update, context)
        return
    if at(context, Step.CHANGE_TIME):
        await running.change_time_to(update, context, chosen)
    elif at(context, Step.TIME):
        await _start_plan(update, context, chosen)
    else:
        await stale(update, context)


async def _start_plan(update: Update, context: ClinicContext, send_at: time) -> None:
    """The yes: the plan starts, and its first message is queued."""
    setup = state(context)
    assert setup.laser is not None and setup.treated_on is not None
    started = await aftercare.start(
        context.session,
        patient_id=patient(context),
        care=context.content.aftercare.plans[setup.laser],
        treated_on=setup.treated_on,
        send_at=send_at,
        invited_id=setup.invited,
        zone=context.services.zone,
        now=context.scope.now,
    )
    if isinstance(started, NothingLeft):
        context.flow.reset()
        await show(update, context, context.text("aftercare.nothing_left"), back_to_menu(context))
        return
    log.info("aftercare started plan_id=%s laser=%s", started.plan.id, started.plan.laser.value)
    go(context, Step.STATUS, SetUp(plan=started.plan.id))
    when = context.dates.when(started.first)
    await show(update, context, context.text("aftercare.started", when=when), back_to_menu(context))


# -- invitations (staff recorded a treatment) ------------------------------------------


async def _pressed_invitation(update: Update, context: ClinicContext) -> Plan | None:
    """The invitation a button names, if it still waits for the patient's answer."""
    plan = await pressed_plan(update, context)
    if plan is not None and plan.status != PlanStatus.INVITED:
        await ended(update, context)
        return None
    return plan


async def invited_yes(update: Update, context: ClinicContext) -> None:
    if (plan := await _pressed_invitation(update, context)) is not None:
        await offer(update, context, SetUp(plan.laser, plan.treated_on, invited=plan.id))


async def invited_no(update: Update, context: ClinicContext) -> None:
    if (plan := await _pressed_invitation(update, context)) is not None:
        await aftercare.decline(context.session, plan_id=plan.id, now=context.scope.now)
        await declined(update, context)


# -- the steps, declared once (handlers.steps shows them again and answers stale input) --


async def _laser(context: ClinicContext) -> Screen:
    return laser_screen(context)


async def _date(context: ClinicContext) -> Screen:
    return date_screen(context, state(context))


async def _type_date(context: ClinicContext) -> Screen:
    return type_date_screen(context)


async def _offer(context: ClinicContext) -> Screen:
    return await offer_screen(context, state(context))


async def _time(context: ClinicContext) -> Screen:
    return time_screen(context, None)


async def _change_time(context: ClinicContext) -> Screen | None:
    plan = await current(context)
    return None if plan is None else time_screen(context, plan.send_at)


async def _status(context: ClinicContext) -> Screen | None:
    plan = await current(context)
    return None if plan is None else await status_screen(context, plan)


def _back_from_offer(context: ClinicContext) -> Step | None:
    """An invitation starts at the offer: nothing to go back to."""
    return Step.DATE if state(context).invited is None else None


steps.declare(
    steps.Flow(
        FLOW,
        {
            Step.LASER: steps.Step(_laser, back=Step.LASER),
            Step.DATE: steps.Step(_date, back=Step.LASER, text=typed_date),
            Step.DATE_INPUT: steps.Step(_type_date, back=Step.LASER, text=typed_date),
            Step.OFFER: steps.Step(_offer, back=_back_from_offer),
            Step.TIME: steps.Step(_time, back=Step.OFFER),
            Step.CHANGE_TIME: steps.Step(_change_time, back=Step.STATUS),
            Step.STATUS: steps.Step(_status),
        },
    )
)
