"""The aftercare screens: choosing the laser, the day, the time; the offer; the status."""

from __future__ import annotations

from datetime import time

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from clinic.aftercare import plan_day
from handlers.aftercare.common import Screen, SetUp, button, patient, rows, today
from handlers.callbacks import (
    AC_BACK,
    AC_CHANGE_TIME,
    AC_NO,
    AC_NOT_SURE,
    AC_OTHER_DATE,
    AC_STOP,
    AC_TODAY,
    AC_YES,
    days_ago_data,
    laser_data,
    plan_data,
    time_data,
)
from handlers.context import ClinicContext
from handlers.navigation import back_to_menu_button
from handlers.nudges import care_plan
from services import aftercare
from services.aftercare import Plan


def laser_screen(context: ClinicContext) -> Screen:
    plans = context.content.aftercare.plans
    lasers = [
        InlineKeyboardButton(plan.name, callback_data=laser_data(laser))
        for laser, plan in plans.items()
    ]
    return context.text("aftercare.choose_laser"), rows(
        lasers,
        [button(context, "aftercare.not_sure", AC_NOT_SURE)],
        [back_to_menu_button(context)],
    )


def not_sure_screen(context: ClinicContext) -> Screen:
    return context.text("aftercare.not_sure_text"), rows(
        [button(context, "aftercare.back", AC_BACK)], [back_to_menu_button(context)]
    )


def date_screen(context: ClinicContext, state: SetUp) -> Screen:
    assert state.laser is not None
    laser = context.content.aftercare.plans[state.laser].name
    return context.text("aftercare.choose_date", laser=laser), rows(
        [
            button(context, "aftercare.today", days_ago_data(0)),
            button(context, "aftercare.yesterday", days_ago_data(1)),
        ],
        [button(context, "aftercare.other_date", AC_OTHER_DATE)],
        [button(context, "aftercare.back", AC_BACK), back_to_menu_button(context)],
    )


def type_date_screen(context: ClinicContext) -> Screen:
    return context.text("aftercare.type_date"), rows(
        [button(context, "aftercare.back", AC_BACK), back_to_menu_button(context)]
    )


async def offer_screen(context: ClinicContext, state: SetUp) -> Screen:
    assert state.laser is not None and state.treated_on is not None
    care = context.content.aftercare.plans[state.laser]
    offer = await aftercare.offer(
        context.session,
        patient_id=patient(context),
        care=care,
        treated_on=state.treated_on,
        at=context.content.aftercare.default_time,
        zone=context.services.zone,
        now=context.scope.now,
    )
    text = context.text(
        "aftercare.offer",
        laser=care.name,
        day=context.dates.day(state.treated_on),
        healing_days=str(care.healing_days),
        count=str(offer.count),
    )
    if offer.replaces:
        text += "\n\n" + context.text("aftercare.replaces")
    last = [back_to_menu_button(context)]
    if state.invited is None:  # an invitation starts here: nothing to go back to
        last.insert(0, button(context, "aftercare.back", AC_BACK))
    return text, rows(
        [button(context, "aftercare.yes", AC_YES)],
        [button(context, "aftercare.no", AC_NO)],
        last,
    )


def time_screen(context: ClinicContext, current: time | None) -> Screen:
    settings = context.content.aftercare
    buttons = []
    for at in settings.times:
        label = context.dates.clock(at)
        if at == current:
            label = context.text("aftercare.current", time=label)
        elif current is None and at == settings.default_time:
            label = context.text("aftercare.suggested", time=label)
        buttons.append(InlineKeyboardButton(label, callback_data=time_data(at)))
    lines = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    lines.append([button(context, "aftercare.back", AC_BACK), back_to_menu_button(context)])
    return context.text("aftercare.choose_time"), InlineKeyboardMarkup(lines)


def _plan_values(context: ClinicContext, plan: Plan) -> dict[str, str]:
    care = care_plan(context.content, plan)
    return {
        "laser": care.name,
        "day": context.dates.day(plan.treated_on),
        "number": str(plan_day(plan.treated_on, today(context))),
        "total": str(care.last_day),
        "healing_days": str(care.healing_days),
        "milestones": ", ".join(str(day) for day in care.milestones),
        "time": context.dates.clock(plan.send_at or context.content.aftercare.default_time),
    }


async def status_screen(context: ClinicContext, plan: Plan) -> Screen:
    values = _plan_values(context, plan)
    next_at = await aftercare.next_due(context.session, plan_id=plan.id)
    if next_at is None:
        text = context.text("aftercare.status_ending", **values)
    else:
        text = context.text("aftercare.status", when=context.dates.when(next_at), **values)
    return text, rows(
        [button(context, "aftercare.todays_care", AC_TODAY)],
        [button(context, "aftercare.change_time", AC_CHANGE_TIME)],
        [button(context, "aftercare.stop", plan_data(AC_STOP, plan.id))],
        [back_to_menu_button(context)],
    )
