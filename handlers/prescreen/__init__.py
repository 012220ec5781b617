"""Am I a good candidate? Consent, one question per message, then a plain result.

screens.py shows, steps.py handles each button (calling services.prescreen), state.py
holds the flow's steps and typed state.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from handlers.callbacks import (
    PS_AGREE,
    PS_ANSWER_PATTERN,
    PS_BACK_PATTERN,
    PS_CONTINUE,
    PS_DECLINE,
    PS_PAUSE,
    PS_RESTART,
    pattern,
)
from handlers.context import ClinicApp, ClinicContext
from handlers.navigation import CANDIDACY
from handlers.prescreen.state import CONSENT, FLOW, QUESTION, RESULT, RESUME
from handlers.prescreen.steps import agree, answer, back, decline, pause, restart, resume, start
from handlers.replies import PRESCREEN_STEP, health_step

# The flow's name and steps, as other modules (and the fuzz test) read them.
__all__ = ["CONSENT", "FLOW", "QUESTION", "RESULT", "RESUME", "register"]

PRIVATE = filters.ChatType.PRIVATE

Step = Callable[[Update, ClinicContext], Coroutine[Any, Any, None]]


def _logged_as_health(handler: Step) -> Step:
    """Every step of the questionnaire is a health step: the message log keeps that a
    pre-screen step happened, never the question asked, the answer or the result."""

    async def step(update: Update, context: ClinicContext) -> None:
        health_step(context, PRESCREEN_STEP)
        await handler(update, context)

    step.__doc__ = handler.__doc__
    return step


def register(application: ClinicApp) -> None:
    logged = _logged_as_health
    application.add_handlers(
        [
            CommandHandler("prescreen", logged(start), filters=PRIVATE),
            CallbackQueryHandler(logged(start), pattern=pattern(CANDIDACY, "")),
            CallbackQueryHandler(logged(agree), pattern=pattern(PS_AGREE, "")),
            CallbackQueryHandler(logged(decline), pattern=pattern(PS_DECLINE, "")),
            CallbackQueryHandler(logged(resume), pattern=pattern(PS_CONTINUE, "")),
            CallbackQueryHandler(logged(restart), pattern=pattern(PS_RESTART, "")),
            CallbackQueryHandler(logged(pause), pattern=pattern(PS_PAUSE, "")),
            CallbackQueryHandler(logged(answer), pattern=PS_ANSWER_PATTERN),
            CallbackQueryHandler(logged(back), pattern=PS_BACK_PATTERN),
        ]
    )
