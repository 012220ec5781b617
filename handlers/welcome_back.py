"""A patient who had blocked the bot comes back: offer to turn their messages on again.

Blocking the bot stops their aftercare plan and cancels the reminders of their
appointments (db.patients.stop_unreachable): nothing can reach them. When they unblock
it, or simply write again, the bot says what it paused and offers it back; it never
restarts anything on its own, since they may have blocked it to stop the messages.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, TypeHandler

from clinic.schedule import reminder_times
from clinic.when import when_label
from db import aftercare, appointments, outbox
from db.aftercare import PlanView
from db.appointments import AppointmentView
from handlers.context import ClinicApp, ClinicContext
from handlers.navigation import back_to_menu
from handlers.notices import queue_reminders
from handlers.replies import send, show
from services import aftercare as aftercare_service

log = logging.getLogger(__name__)

RESUME = "back:yes"
KEEP_OFF = "back:no"


@dataclass(frozen=True)
class Paused:
    plan: PlanView | None
    appointments: list[AppointmentView]  # confirmed, with a reminder still ahead

    def __bool__(self) -> bool:
        return self.plan is not None or bool(self.appointments)


async def _paused(context: ClinicContext, patient_id: int) -> Paused:
    session, now = context.session, context.scope.now
    upcoming = await appointments.upcoming_for_patient(session, patient_id=patient_id, now=now)
    return Paused(
        plan=await aftercare.paused(session, patient_id=patient_id),
        appointments=[
            appointment
            for appointment in upcoming
            if appointment.status == "confirmed" and reminder_times(appointment.starts_at, now)
        ],
    )


async def offer(update: Update, context: ClinicContext, patient_id: int) -> None:
    """Says what was paused while the chat was blocked, if anything, and offers it back."""
    paused = await _paused(context, patient_id)
    if not paused:
        return
    lines = []
    if paused.plan is not None:
        lines.append(context.text("welcome_back.paused_plan"))
    for appointment in paused.appointments:
        when = when_label(appointment.starts_at, context.services.zone)
        lines.append(context.text("welcome_back.paused_reminders", when=when))
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(context.text("welcome_back.yes"), callback_data=RESUME)],
            [InlineKeyboardButton(context.text("welcome_back.no"), callback_data=KEEP_OFF)],
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
    paused = await _paused(context, patient_id)
    if not paused:
        await show(update, context, context.text("welcome_back.nothing"), back_to_menu(context))
        return
    session, now = context.session, context.scope.now
    if paused.plan is not None:
        await aftercare_service.resume(
            session,
            plan_id=paused.plan.id,
            settings=context.content.aftercare,
            zone=context.services.zone,
            now=now,
        )
    for appointment in paused.appointments:
        # Whatever reminder is still pending is replaced, so none goes twice.
        await outbox.cancel_pending(session, appointment_id=appointment.id, kinds=("reminder",))
        await queue_reminders(context, appointment)
    log.info("resumed patient_id=%s", patient_id)
    await show(update, context, context.text("welcome_back.resumed"), back_to_menu(context))


async def keep_off(update: Update, context: ClinicContext) -> None:
    await show(update, context, context.text("welcome_back.kept_off"), back_to_menu(context))


def register(application: ClinicApp) -> None:
    # Group -2: before the guard and every flow, without stopping them.
    application.add_handler(TypeHandler(Update, returned), group=-2)
    application.add_handlers(
        [
            CallbackQueryHandler(resume, pattern=f"^{RESUME}$"),
            CallbackQueryHandler(keep_off, pattern=f"^{KEEP_OFF}$"),
        ]
    )
