"""A patient who had blocked the bot comes back: offer to turn their messages on again.

Blocking the bot stops their aftercare plan and cancels the reminders of their
appointments (services.patients): nothing can reach them. When they unblock
it, or simply write again, the bot says what it paused and offers it back; it never
restarts anything on its own, since they may have blocked it to stop the messages.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, TypeHandler

from clinic.treatment import Kind
from handlers.callbacks import WELCOME_KEEP_OFF, WELCOME_RESUME, pattern
from handlers.context import ClinicApp, ClinicContext
from handlers.navigation import back_to_menu
from handlers.notices.queueing import preparation
from handlers.replies import send, show
from services import aftercare, patients

log = logging.getLogger(__name__)


async def offer(update: Update, context: ClinicContext, patient_id: int) -> None:
    """Says what was paused while the chat was blocked, if anything, and offers it back."""
    paused = await patients.paused(context.session, patient_id=patient_id, now=context.scope.now)
    if not paused:
        return
    lines = []
    if paused.plan is not None:
        lines.append(context.text("welcome_back.paused_plan"))
    for appointment in paused.appointments:
        when = context.dates.when(appointment.starts_at)
        key = "paused_treatment" if appointment.kind is Kind.TREATMENT else "paused_reminders"
        lines.append(context.text(f"welcome_back.{key}", when=when))
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(context.text("welcome_back.yes"), callback_data=WELCOME_RESUME)],
            [InlineKeyboardButton(context.text("welcome_back.no"), callback_data=WELCOME_KEEP_OFF)],
        ]
    )
    log.info("offered to resume patient_id=%s", patient_id)
    text = context.text("welcome_back.offer", paused="\n".join(lines))
    await send(update, context, text, keyboard)


async def returned(update: Update, context: ClinicContext) -> None:
    """Before any flow: a patient writing again after the bot found them unreachable."""
    scope = context.scope
    if scope.returned and scope.patient_id is not None:
        await offer(update, context, scope.patient_id)


async def resume(update: Update, context: ClinicContext) -> None:
    """Turns the paused messages back on: the plan from its next day still ahead, the
    reminders still ahead. Pressed twice, it changes nothing more."""
    patient_id = context.scope.patient_id
    assert patient_id is not None
    session, now = context.session, context.scope.now
    paused = await patients.paused(session, patient_id=patient_id, now=now)
    if not paused:
        await show(update, context, context.text("welcome_back.nothing"), back_to_menu(context))
        return
    await _resume_plan(context, paused)
    await patients.resume_reminders(
        session, appointments=paused.appointments, preparation=preparation(context), now=now
    )
    log.info("resumed patient_id=%s", patient_id)
    await show(update, context, context.text("welcome_back.resumed"), back_to_menu(context))


async def _resume_plan(context: ClinicContext, paused: patients.Paused) -> None:
    """The paused plan goes on from its next day still ahead, or completes if none is."""
    if paused.plan is not None:
        await aftercare.resume(
            context.session,
            plan_id=paused.plan.id,
            settings=context.content.aftercare,
            zone=context.services.zone,
            now=context.scope.now,
        )


async def keep_off(update: Update, context: ClinicContext) -> None:
    await show(update, context, context.text("welcome_back.kept_off"), back_to_menu(context))


def register(application: ClinicApp) -> None:
    # Group -2: before the guard and every flow, without stopping them.
    application.add_handler(TypeHandler(Update, returned), group=-2)
    application.add_handlers(
        [
            CallbackQueryHandler(resume, pattern=pattern(WELCOME_RESUME, "")),
            CallbackQueryHandler(keep_off, pattern=pattern(WELCOME_KEEP_OFF, "")),
        ]
    )
