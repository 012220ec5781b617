"""Booking a free consultation: day, time, name, phone, check, confirm; and moving one.

state.py holds the steps and the typed flow state, screens.py what each step shows,
steps.py the answers up to the summary, confirm.py the booking itself (services.booking
decides; the handlers render its result).
"""

from __future__ import annotations

from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from handlers.booking.confirm import confirm
from handlers.booking.state import (
    DAY,
    FLOW,
    NAME,
    NAME_INPUT,
    OFFER,
    PHONE,
    SUMMARY,
    TIME,
)
from handlers.booking.steps import (
    choose_day,
    choose_time,
    name_change,
    name_ok,
    reschedule,
    skip_prescreen,
    start,
    toggle_aftercare,
    week,
)
from handlers.callbacks import (
    BOOK_AFTERCARE,
    BOOK_BACK,
    BOOK_CONFIRM,
    BOOK_NAME_CHANGE,
    BOOK_NAME_OK,
    BOOK_SKIP,
    RESCHEDULE,
    day_pattern,
    exactly,
    pattern,
    slot_pattern,
    week_pattern,
)
from handlers.context import ClinicApp
from handlers.navigation import BOOK
from handlers.steps import back

__all__ = ["DAY", "FLOW", "NAME", "NAME_INPUT", "OFFER", "PHONE", "SUMMARY", "TIME", "register"]

PRIVATE = filters.ChatType.PRIVATE


def register(application: ClinicApp) -> None:
    application.add_handlers(
        [
            CommandHandler("book", start, filters=PRIVATE),
            CallbackQueryHandler(start, pattern=exactly(BOOK)),
            CallbackQueryHandler(week, pattern=week_pattern()),
            CallbackQueryHandler(choose_day, pattern=day_pattern()),
            CallbackQueryHandler(choose_time, pattern=slot_pattern()),
            CallbackQueryHandler(name_ok, pattern=exactly(BOOK_NAME_OK)),
            CallbackQueryHandler(name_change, pattern=exactly(BOOK_NAME_CHANGE)),
            CallbackQueryHandler(back(FLOW), pattern=exactly(BOOK_BACK)),
            CallbackQueryHandler(confirm, pattern=exactly(BOOK_CONFIRM)),
            CallbackQueryHandler(skip_prescreen, pattern=exactly(BOOK_SKIP)),
            CallbackQueryHandler(toggle_aftercare, pattern=exactly(BOOK_AFTERCARE)),
            CallbackQueryHandler(reschedule, pattern=pattern(RESCHEDULE, r"\d{1,18}")),
        ]
    )
