"""Aftercare for the patient: opting in, the daily check-in, changing the time, stopping.

Set-up steps live in the flow state; the buttons on daily messages and invitations
outlive any flow, so they name their plan, and every press reloads it as the
patient's own. Nothing is queued until the patient has said yes and chosen a time.
"""

from __future__ import annotations

import logging
from datetime import date, time, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from clinic.aftercare import (
    DateProblem,
    Laser,
    check_treatment_date,
    local_date,
    parse_date,
    plan_day,
    remaining,
)
from clinic.when import clock_label, day_label, when_label
from db import aftercare, outbox
from db.aftercare import PlanView
from handlers import triage
from handlers.callbacks import (
    AC_BACK,
    AC_CHANGE_TIME,
    AC_DAY,
    AC_FINE,
    AC_INVITE_NO,
    AC_INVITED,
    AC_LASER,
    AC_NO,
    AC_NOT_SURE,
    AC_OTHER_DATE,
    AC_SIGN,
    AC_STOP,
    AC_TIME,
    AC_TODAY,
    AC_WORRIED,
    AC_YES,
    pattern,
)
from handlers.context import ClinicApp, ClinicContext
from handlers.navigation import (
    AFTERCARE,
    AtStep,
    back_to_menu,
    back_to_menu_button,
    menu_keyboard,
    reshow_current_step,
    reshows,
)
from handlers.nudges import (
    alert_staff,
    care_plan,
    checkin_keyboard,
    nudge_text,
    queue_next,
)
from handlers.replies import (
    CHECKIN_STEP,
    WARNING_SIGN_STEP,
    answer_button,
    health_step,
    send,
    show,
)

log = logging.getLogger(__name__)

FLOW = "aftercare"
LASER, DATE, DATE_INPUT, OFFER, TIME, STATUS, CHANGE_TIME = (
    "laser",
    "date",
    "date_input",
    "offer",
    "time",
    "status",
    "change_time",
)

PRIVATE = filters.ChatType.PRIVATE
Screen = tuple[str, InlineKeyboardMarkup]


def _patient(context: ClinicContext) -> int:
    assert context.scope.patient_id is not None
    return context.scope.patient_id


def _today(context: ClinicContext) -> date:
    return local_date(context.scope.now, context.services.zone)


def _button(context: ClinicContext, key: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(context.text(key), callback_data=data)


def _rows(*rows: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([row for row in rows if row])


# -- screens -----------------------------------------------------------------------------


def _laser_screen(context: ClinicContext) -> Screen:
    plans = context.content.aftercare.plans
    lasers = [
        InlineKeyboardButton(plan.name, callback_data=f"{AC_LASER}{laser.value}")
        for laser, plan in plans.items()
    ]
    return context.text("aftercare.choose_laser"), _rows(
        lasers,
        [_button(context, "aftercare.not_sure", AC_NOT_SURE)],
        [back_to_menu_button(context)],
    )


def _laser_name(context: ClinicContext) -> str:
    return context.content.aftercare.plans[Laser(context.flow.data["laser"])].name


def _date_screen(context: ClinicContext) -> Screen:
    return context.text("aftercare.choose_date", laser=_laser_name(context)), _rows(
        [
            _button(context, "aftercare.today", f"{AC_DAY}0"),
            _button(context, "aftercare.yesterday", f"{AC_DAY}1"),
        ],
        [_button(context, "aftercare.other_date", AC_OTHER_DATE)],
        [_button(context, "aftercare.back", AC_BACK), back_to_menu_button(context)],
    )


def _type_date_screen(context: ClinicContext) -> Screen:
    return context.text("aftercare.type_date"), _rows(
        [_button(context, "aftercare.back", AC_BACK), back_to_menu_button(context)]
    )


async def _offer_screen(context: ClinicContext) -> Screen:
    data = context.flow.data
    laser, treated_on = Laser(data["laser"]), date.fromisoformat(data["treated_on"])
    care = context.content.aftercare.plans[laser]
    count = remaining(
        care,
        treated_on=treated_on,
        at=context.content.aftercare.default_time,
        zone=context.services.zone,
        now=context.scope.now,
    )
    text = context.text(
        "aftercare.offer",
        laser=care.name,
        day=day_label(treated_on),
        healing_days=str(care.healing_days),
        count=str(count),
    )
    if await aftercare.active(context.session, patient_id=_patient(context)) is not None:
        text += "\n\n" + context.text("aftercare.replaces")
    last = [back_to_menu_button(context)]
    if not data.get("invited"):  # an invitation starts here: nothing to go back to
        last.insert(0, _button(context, "aftercare.back", AC_BACK))
    return text, _rows(
        [_button(context, "aftercare.yes", AC_YES)],
        [_button(context, "aftercare.no", AC_NO)],
        last,
    )


def _time_screen(context: ClinicContext, current: time | None) -> Screen:
    settings = context.content.aftercare
    buttons = []
    for at in settings.times:
        label = clock_label(at)
        if at == current:
            label = context.text("aftercare.current", time=label)
        elif current is None and at == settings.default_time:
            label = context.text("aftercare.suggested", time=label)
        buttons.append(InlineKeyboardButton(label, callback_data=f"{AC_TIME}{at:%H%M}"))
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([_button(context, "aftercare.back", AC_BACK), back_to_menu_button(context)])
    return context.text("aftercare.choose_time"), InlineKeyboardMarkup(rows)


def _plan_values(context: ClinicContext, plan: PlanView) -> dict[str, str]:
    care = care_plan(context.services, plan)
    return {
        "laser": care.name,
        "day": day_label(plan.treated_on),
        "number": str(plan_day(plan.treated_on, _today(context))),
        "total": str(care.last_day),
        "healing_days": str(care.healing_days),
        "milestones": ", ".join(str(day) for day in care.milestones),
        "time": clock_label(plan.send_at or context.content.aftercare.default_time),
    }


async def _status_screen(context: ClinicContext, plan: PlanView) -> Screen:
    values = _plan_values(context, plan)
    next_at = await outbox.next_pending(context.session, plan_id=plan.id)
    if next_at is None:
        text = context.text("aftercare.status_ending", **values)
    else:
        text = context.text(
            "aftercare.status", when=when_label(next_at, context.services.zone), **values
        )
    return text, _rows(
        [_button(context, "aftercare.todays_care", AC_TODAY)],
        [_button(context, "aftercare.change_time", AC_CHANGE_TIME)],
        [_button(context, "aftercare.stop", f"{AC_STOP}{plan.id}")],
        [back_to_menu_button(context)],
    )


# -- setting up --------------------------------------------------------------------------


async def start(update: Update, context: ClinicContext) -> None:
    """An invitation first; else the plan running now; else a new plan from the start."""
    session, patient_id = context.session, _patient(context)
    if (invited := await aftercare.invitation(session, patient_id=patient_id)) is not None:
        await _offer(update, context, invited.laser, invited.treated_on, invited.id)
        return
    if (plan := await aftercare.active(session, patient_id=patient_id)) is not None:
        context.flow.go(FLOW, STATUS, plan=plan.id)
        await show(update, context, *await _status_screen(context, plan))
        return
    context.flow.go(FLOW, LASER)
    await show(update, context, *_laser_screen(context))


async def _offer(
    update: Update,
    context: ClinicContext,
    laser: Laser,
    treated_on: date,
    invited: int | None = None,
) -> None:
    data = {"laser": laser.value, "treated_on": treated_on.isoformat()}
    context.flow.go(FLOW, OFFER, **data, **({"invited": invited} if invited else {}))
    care = context.content.aftercare.plans[laser]
    settings = context.content.aftercare
    if not remaining(
        care,
        treated_on=treated_on,
        at=settings.default_time,
        zone=context.services.zone,
        now=context.scope.now,
    ):
        context.flow.reset()
        await show(update, context, context.text("aftercare.nothing_left"), back_to_menu(context))
        return
    await show(update, context, *await _offer_screen(context))


def _at(context: ClinicContext, *steps: str) -> bool:
    return context.flow.name == FLOW and context.flow.step in steps


async def choose_laser(update: Update, context: ClinicContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    if not _at(context, LASER):
        await _stale(update, context)
        return
    context.flow.go(FLOW, DATE, laser=Laser(query.data.removeprefix(AC_LASER)).value)
    await show(update, context, *_date_screen(context))


async def not_sure(update: Update, context: ClinicContext) -> None:
    """The patient does not know the laser: the clinic's records do."""
    context.flow.go(FLOW, LASER)
    await show(
        update,
        context,
        context.text("aftercare.not_sure_text"),
        _rows([_button(context, "aftercare.back", AC_BACK)], [back_to_menu_button(context)]),
    )


async def choose_day(update: Update, context: ClinicContext) -> None:
    """Today or Yesterday, as of the moment the button is pressed."""
    query = update.callback_query
    assert query is not None and query.data is not None
    if not _at(context, DATE, DATE_INPUT):
        await _stale(update, context)
        return
    days_ago = int(query.data.removeprefix(AC_DAY))
    await _treatment_date(update, context, _today(context) - timedelta(days=days_ago))


async def other_date(update: Update, context: ClinicContext) -> None:
    if not _at(context, DATE, DATE_INPUT):
        await _stale(update, context)
        return
    context.flow.go(FLOW, DATE_INPUT, **context.flow.data)
    await show(update, context, *_type_date_screen(context))


async def typed_date(update: Update, context: ClinicContext) -> None:
    message = update.message
    assert message is not None and message.text is not None
    treated_on = parse_date(message.text, today=_today(context))
    if treated_on is None:
        await send(update, context, context.text("aftercare.date_unreadable"))
        await reshow(update, context)
        return
    await _treatment_date(update, context, treated_on)


async def _treatment_date(update: Update, context: ClinicContext, treated_on: date) -> None:
    """Refuses a date ahead or too long ago with the reason; else makes the offer."""
    limit = context.content.aftercare.max_days_ago
    problem = check_treatment_date(treated_on, today=_today(context), max_days_ago=limit)
    if problem is DateProblem.FUTURE:
        await answer_button(update, context)
        await send(
            update, context, context.text("aftercare.date_future", day=day_label(treated_on))
        )
        await reshow(update, context)
        return
    if problem is DateProblem.TOO_OLD:
        await answer_button(update, context)
        text = context.text("aftercare.date_too_old", day=day_label(treated_on), days=str(limit))
        await send(update, context, text)
        await reshow(update, context)
        return
    await _offer(update, context, Laser(context.flow.data["laser"]), treated_on)


async def yes(update: Update, context: ClinicContext) -> None:
    if not _at(context, OFFER):
        await _stale(update, context)
        return
    context.flow.go(FLOW, TIME, **context.flow.data)
    await show(update, context, *_time_screen(context, None))


async def no(update: Update, context: ClinicContext) -> None:
    if not _at(context, OFFER):
        await _stale(update, context)
        return
    if invited := context.flow.data.get("invited"):
        await aftercare.decline(context.session, plan_id=int(invited), now=context.scope.now)
    await _declined(update, context)


async def _declined(update: Update, context: ClinicContext) -> None:
    context.flow.reset()
    text = f"{context.text('aftercare.declined')}\n\n{context.text('menu.prompt')}"
    await show(update, context, text, menu_keyboard(context))


async def choose_time(update: Update, context: ClinicContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    digits = query.data.removeprefix(AC_TIME)
    try:
        at: time | None = time(int(digits[:2]), int(digits[2:]))
    except ValueError:  # forged: 25:99
        at = None
    if at not in context.content.aftercare.times or not _at(context, TIME, CHANGE_TIME):
        await _stale(update, context)
        return
    if context.flow.step == CHANGE_TIME:
        await _change_time(update, context, at)
    else:
        await _start_plan(update, context, at)


async def _start_plan(update: Update, context: ClinicContext, at: time) -> None:
    """The yes: the plan starts, and its first message is queued."""
    session, now = context.session, context.scope.now
    data = context.flow.data
    plan = await aftercare.start(
        session,
        patient_id=_patient(context),
        laser=Laser(data["laser"]),
        treated_on=date.fromisoformat(data["treated_on"]),
        send_at=at,
        now=now,
        invited_id=int(data["invited"]) if data.get("invited") else None,
    )
    first = await queue_next(session, context.services, plan, now, after_day=None)
    if first is None:  # the last day's time passed while the patient chose
        await aftercare.end(session, plan_id=plan.id, status="completed", reason=None, now=now)
        context.flow.reset()
        await show(update, context, context.text("aftercare.nothing_left"), back_to_menu(context))
        return
    log.info("aftercare started plan_id=%s laser=%s", plan.id, plan.laser.value)
    context.flow.go(FLOW, STATUS, plan=plan.id)
    when = when_label(first, context.services.zone)
    await show(update, context, context.text("aftercare.started", when=when), back_to_menu(context))


async def _current(context: ClinicContext) -> PlanView | None:
    return await aftercare.active(context.session, patient_id=_patient(context))


async def change_time(update: Update, context: ClinicContext) -> None:
    plan = await _current(context)
    if plan is None or not _at(context, STATUS):
        await _stale(update, context)
        return
    context.flow.go(FLOW, CHANGE_TIME, plan=plan.id)
    await show(update, context, *_time_screen(context, plan.send_at))


async def _change_time(update: Update, context: ClinicContext, at: time) -> None:
    plan = await _current(context)
    if plan is None:
        await _stale(update, context)
        return
    session, now = context.session, context.scope.now
    plan = await aftercare.change_time(session, plan_id=plan.id, send_at=at)
    next_at = await queue_next(session, context.services, plan, now, plan.last_nudge_day)
    context.flow.go(FLOW, STATUS, plan=plan.id)
    if next_at is None:
        await aftercare.end(session, plan_id=plan.id, status="completed", reason=None, now=now)
        context.flow.reset()
        await show(update, context, context.text("aftercare.nothing_left"), back_to_menu(context))
        return
    text = context.text(
        "aftercare.time_changed",
        time=clock_label(at),
        when=when_label(next_at, context.services.zone),
    )
    await show(update, context, text, back_to_menu(context))


async def todays_care(update: Update, context: ClinicContext) -> None:
    """The care for today, or for the latest plan day before it (between milestones)."""
    plan = await _current(context)
    if plan is None:
        await _stale(update, context)
        return
    care = care_plan(context.services, plan)
    today = plan_day(plan.treated_on, _today(context))
    days = [day for day in care.days if day <= today]
    if not days:
        await _stale(update, context)
        return
    await send(
        update,
        context,
        nudge_text(context.services, plan, days[-1]),
        checkin_keyboard(context.services, plan.id),
    )


async def back(update: Update, context: ClinicContext) -> None:
    step = context.flow.step if context.flow.name == FLOW else None
    if step in (DATE, DATE_INPUT, LASER):
        context.flow.go(FLOW, LASER)
        await show(update, context, *_laser_screen(context))
    elif step == OFFER and not context.flow.data.get("invited"):
        context.flow.go(FLOW, DATE, laser=context.flow.data["laser"])
        await show(update, context, *_date_screen(context))
    elif step == TIME:
        context.flow.go(FLOW, OFFER, **context.flow.data)
        await show(update, context, *await _offer_screen(context))
    elif step == CHANGE_TIME and (plan := await _current(context)) is not None:
        context.flow.go(FLOW, STATUS, plan=plan.id)
        await show(update, context, *await _status_screen(context, plan))
    else:
        await _stale(update, context)


# -- invitations (staff recorded a treatment) ------------------------------------------


async def _pressed_plan(update: Update, context: ClinicContext) -> PlanView | None:
    """The plan a message button names, if it is this patient's; None answers the press."""
    query = update.callback_query
    assert query is not None and query.data is not None
    plan_id = int(query.data.split(":")[2])
    plan = await aftercare.find(context.session, plan_id=plan_id, patient_id=_patient(context))
    if plan is None:
        await _stale(update, context)
    return plan


async def _pressed_invitation(update: Update, context: ClinicContext) -> PlanView | None:
    """The invitation a button names, if it still waits for the patient's answer."""
    plan = await _pressed_plan(update, context)
    if plan is not None and plan.status != "invited":
        await _ended(update, context)
        return None
    return plan


async def invited_yes(update: Update, context: ClinicContext) -> None:
    if (plan := await _pressed_invitation(update, context)) is not None:
        await _offer(update, context, plan.laser, plan.treated_on, plan.id)


async def invited_no(update: Update, context: ClinicContext) -> None:
    if (plan := await _pressed_invitation(update, context)) is not None:
        await aftercare.decline(context.session, plan_id=plan.id, now=context.scope.now)
        await _declined(update, context)


# -- the daily check-in ------------------------------------------------------------------


def _day_now(context: ClinicContext, plan: PlanView) -> int:
    return plan_day(plan.treated_on, _today(context))


async def _checkin(
    context: ClinicContext, plan: PlanView, answer: str, sign: str | None = None
) -> int:
    """Stores an answer with the days since the treatment as of now."""
    return await aftercare.record_checkin(
        context.session,
        plan_id=plan.id,
        day=_day_now(context, plan),
        answer=answer,
        sign=sign,
        now=context.scope.now,
    )


async def fine(update: Update, context: ClinicContext) -> None:
    health_step(context, CHECKIN_STEP)
    plan = await _pressed_plan(update, context)
    if plan is None:
        return
    if plan.status != "active":
        await answer_button(update, context)
        await send(update, context, context.text("aftercare.ended_fine"), back_to_menu(context))
        return
    await _checkin(context, plan, "ok")
    await send(update, context, context.text("aftercare.fine_reply"), back_to_menu(context))


async def worried(update: Update, context: ClinicContext) -> None:
    """Shows the warning signs. Works on an ended plan too: a worry is never turned away."""
    health_step(context, CHECKIN_STEP)
    plan = await _pressed_plan(update, context)
    if plan is None:
        return
    await _checkin(context, plan, "worried")
    signs = [
        [InlineKeyboardButton(sign.button, callback_data=f"{AC_SIGN}{plan.id}:{sign.key}")]
        for sign in context.content.aftercare.signs
    ]
    signs.append([_button(context, "aftercare.nothing", f"{AC_FINE}{plan.id}")])
    await send(update, context, context.text("aftercare.ask_sign"), InlineKeyboardMarkup(signs))


async def sign(update: Update, context: ClinicContext) -> None:
    """A warning sign: call the clinic now; staff are alerted as this update commits."""
    query = update.callback_query
    assert query is not None and query.data is not None
    key = query.data.rsplit(":", 1)[1]
    health_step(context, WARNING_SIGN_STEP)
    plan = await _pressed_plan(update, context)
    if plan is None:
        return
    if context.content.aftercare.sign(key) is None:
        await _stale(update, context)
        return
    checkin_id = await _checkin(context, plan, "sign", sign=key)
    alert_staff(context, checkin_id)
    log.info("aftercare warning sign reported plan_id=%s checkin_id=%s", plan.id, checkin_id)
    await triage.answer_sign(update, context)


# -- stopping ------------------------------------------------------------------------------


async def stop_button(update: Update, context: ClinicContext) -> None:
    plan = await _pressed_plan(update, context)
    if plan is None:
        return
    if plan.status != "active":
        await _ended(update, context)
        return
    await _stop(update, context, plan)


async def stop_command(update: Update, context: ClinicContext) -> None:
    """/stop: ends the running plan, or turns down an open invitation."""
    session, patient_id = context.session, _patient(context)
    if (plan := await aftercare.active(session, patient_id=patient_id)) is not None:
        await _stop(update, context, plan)
    elif (invited := await aftercare.invitation(session, patient_id=patient_id)) is not None:
        await aftercare.decline(session, plan_id=invited.id, now=context.scope.now)
        await _declined(update, context)
    else:
        if context.flow.name == FLOW:
            context.flow.reset()
        await send(update, context, context.text("aftercare.not_running"), back_to_menu(context))


async def _stop(update: Update, context: ClinicContext, plan: PlanView) -> None:
    await aftercare.end(
        context.session, plan_id=plan.id, status="stopped", reason="patient", now=context.scope.now
    )
    log.info("aftercare stopped by the patient plan_id=%s", plan.id)
    if context.flow.name == FLOW:
        context.flow.reset()
    await send(update, context, context.text("aftercare.stopped"), back_to_menu(context))


async def _ended(update: Update, context: ClinicContext) -> None:
    notice = context.text("aftercare.already_ended")
    await answer_button(update, context, notice)
    await send(update, context, notice, back_to_menu(context))


async def _stale(update: Update, context: ClinicContext) -> None:
    """An old or forged button: say so, change nothing, show where the patient is."""
    notice = context.text("fallback.old_button")
    await answer_button(update, context, notice)
    await reshow_current_step(update, context, notice)


@reshows(FLOW)
async def reshow(update: Update, context: ClinicContext) -> None:
    step = context.flow.step if context.flow.name == FLOW else None
    plan = await _current(context)
    if step == LASER:
        await send(update, context, *_laser_screen(context))
    elif step == DATE:
        await send(update, context, *_date_screen(context))
    elif step == DATE_INPUT:
        await send(update, context, *_type_date_screen(context))
    elif step == OFFER:
        await send(update, context, *await _offer_screen(context))
    elif step == TIME:
        await send(update, context, *_time_screen(context, None))
    elif step == CHANGE_TIME and plan is not None:
        await send(update, context, *_time_screen(context, plan.send_at))
    elif step == STATUS and plan is not None:
        await send(update, context, *await _status_screen(context, plan))
    else:
        context.flow.reset()
        await send(update, context, context.text("menu.prompt"), menu_keyboard(context))


def register(application: ClinicApp) -> None:
    patient_text = PRIVATE & filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
    lasers = "|".join(laser.value for laser in Laser)
    plan_id = r"\d{1,18}"
    application.add_handlers(
        [
            CommandHandler("aftercare", start, filters=PRIVATE),
            CommandHandler("stop", stop_command, filters=PRIVATE),
            CallbackQueryHandler(start, pattern=f"^{AFTERCARE}$"),
            CallbackQueryHandler(choose_laser, pattern=pattern(AC_LASER, f"({lasers})")),
            CallbackQueryHandler(not_sure, pattern=pattern(AC_NOT_SURE, "")),
            CallbackQueryHandler(choose_day, pattern=pattern(AC_DAY, "[01]")),
            CallbackQueryHandler(other_date, pattern=pattern(AC_OTHER_DATE, "")),
            CallbackQueryHandler(back, pattern=pattern(AC_BACK, "")),
            CallbackQueryHandler(yes, pattern=pattern(AC_YES, "")),
            CallbackQueryHandler(no, pattern=pattern(AC_NO, "")),
            CallbackQueryHandler(choose_time, pattern=pattern(AC_TIME, r"\d{4}")),
            CallbackQueryHandler(change_time, pattern=pattern(AC_CHANGE_TIME, "")),
            CallbackQueryHandler(todays_care, pattern=pattern(AC_TODAY, "")),
            CallbackQueryHandler(invited_yes, pattern=pattern(AC_INVITED, plan_id)),
            CallbackQueryHandler(invited_no, pattern=pattern(AC_INVITE_NO, plan_id)),
            CallbackQueryHandler(fine, pattern=pattern(AC_FINE, plan_id)),
            CallbackQueryHandler(worried, pattern=pattern(AC_WORRIED, plan_id)),
            CallbackQueryHandler(sign, pattern=pattern(AC_SIGN, rf"{plan_id}:[a-z0-9_]{{1,32}}")),
            CallbackQueryHandler(stop_button, pattern=pattern(AC_STOP, plan_id)),
            MessageHandler(patient_text & AtStep(FLOW, DATE, DATE_INPUT), typed_date),
        ]
    )
