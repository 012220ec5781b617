"""Aftercare for the patient: opting in, the daily check-in, changing the time, stopping.

Set-up steps live in the flow state (common.SetUp); the buttons on daily messages and
invitations outlive any flow, so they name their plan, and every press reloads it as
the patient's own. The use cases are services.aftercare; these modules parse, call and
render: setup (choosing and saying yes), running (a plan running: today's care, the
time, stopping), checkin (fine, worried, a warning sign), screens.
"""

from __future__ import annotations

from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    filters,
)

from clinic.aftercare import Laser
from handlers.aftercare.checkin import fine, sign, worried
from handlers.aftercare.common import FLOW
from handlers.aftercare.running import change_time, stop_button, stop_command, todays_care
from handlers.aftercare.setup import (
    choose_day,
    choose_laser,
    choose_time,
    invited_no,
    invited_yes,
    no,
    not_sure,
    other_date,
    start,
    yes,
)
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
from handlers.context import ClinicApp
from handlers.navigation import AFTERCARE
from handlers.steps import back

PRIVATE = filters.ChatType.PRIVATE


def register(application: ClinicApp) -> None:
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
            CallbackQueryHandler(back(FLOW), pattern=pattern(AC_BACK, "")),
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
        ]
    )
