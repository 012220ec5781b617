"""The waitlist: "Tell me if an earlier time frees up" from the booking screens and
/appointments, until a day the patient chooses; offers of a freed time with "Book it".

joining.py: choosing the day (and a number, if none is saved), leaving the list;
offers.py: the offer and "it has gone" messages, and taking an offer.
"""

from __future__ import annotations

from telegram.ext import CallbackQueryHandler

from handlers.callbacks import WL_JOIN, WL_LEAVE, WL_TAKE_PATTERN, WL_UNTIL_PATTERN, exactly
from handlers.context import ClinicApp
from handlers.waitlist.joining import choose_until, leave, start
from handlers.waitlist.offers import take

__all__ = ["register"]


def register(application: ClinicApp) -> None:
    application.add_handlers(
        [
            CallbackQueryHandler(start, pattern=exactly(WL_JOIN)),
            CallbackQueryHandler(choose_until, pattern=WL_UNTIL_PATTERN),
            CallbackQueryHandler(leave, pattern=exactly(WL_LEAVE)),
            CallbackQueryHandler(take, pattern=WL_TAKE_PATTERN),
        ]
    )
