"""The staff group: deciding on consultation requests, recording treatments, on the cards."""

from __future__ import annotations

from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler

from clinic.aftercare import Laser, local_date
from db import aftercare, appointments
from db.appointments import AppointmentView
from db.patients import chat_of
from handlers import nudges
from handlers.callbacks import (
    STAFF_CARD,
    STAFF_CONFIRM,
    STAFF_DECLINE,
    STAFF_TREATMENT,
    STAFF_TREATMENT_DAY,
    STAFF_TREATMENT_LASER,
    pattern,
)
from handlers.context import ClinicContext
from handlers.notices import TREATABLE, after_confirmation, staff_card, to_patient
from handlers.replies import answer_button, show


def in_staff_chat(update: Update, context: ClinicContext) -> bool:
    """Staff actions count only from the configured group, whoever presses."""
    chat = update.effective_chat
    return chat is not None and chat.id == context.services.staff_chat_id


async def _card_appointment(update: Update, context: ClinicContext) -> AppointmentView | None:
    """The appointment a card button names, pressed in the staff group; else None, answered."""
    query = update.callback_query
    assert query is not None and query.data is not None
    if not in_staff_chat(update, context):
        # A forged or forwarded staff button: no effect, and nothing revealed.
        await answer_button(update, context, context.text("staff.not_here"))
        return None
    appointment_id = int(query.data.split(":")[2])
    appointment = await appointments.find(context.session, appointment_id=appointment_id)
    if appointment is None:
        await answer_button(update, context, context.text("staff.already"))
    return appointment


async def decide(update: Update, context: ClinicContext) -> None:
    """Confirms or declines a request, tells the patient, and updates the card."""
    query = update.callback_query
    assert query is not None and query.data is not None
    appointment = await _card_appointment(update, context)
    if appointment is None:
        return
    if appointment.status != "requested":
        # Someone else pressed first, or the patient cancelled: show the card as it is now.
        await answer_button(update, context, context.text("staff.already"))
        await show(
            update, context, *await staff_card(context.session, context.services, appointment)
        )
        return
    user = update.effective_user
    assert user is not None
    confirmed = query.data.startswith(STAFF_CONFIRM)
    decided = await appointments.change_status(
        context.session,
        appointment_id=appointment.id,
        status="confirmed" if confirmed else "declined",
        now=context.scope.now,
        decided_by=user.full_name[:128],
    )
    if confirmed:
        await after_confirmation(context, decided)
    else:
        await to_patient(context, "declined", decided)
    await answer_button(update, context, context.text("staff.done"))
    await show(update, context, *await staff_card(context.session, context.services, decided))


# -- recording a treatment: which laser, which day, then the patient is invited ------------


async def _treatable(update: Update, context: ClinicContext) -> AppointmentView | None:
    """The card's appointment if a treatment can be recorded on it; else answers the press."""
    appointment = await _card_appointment(update, context)
    if appointment is None:
        return None
    if appointment.status not in TREATABLE:
        await answer_button(update, context, context.text("staff.already"))
        await show(
            update, context, *await staff_card(context.session, context.services, appointment)
        )
        return None
    return appointment


async def _card_with(
    update: Update,
    context: ClinicContext,
    appointment: AppointmentView,
    question: str,
    rows: list[list[InlineKeyboardButton]],
) -> None:
    """The card with a question in place of its buttons."""
    text, _ = await staff_card(context.session, context.services, appointment)
    await show(update, context, f"{text}\n\n{question}", InlineKeyboardMarkup(rows))


async def choose_laser(update: Update, context: ClinicContext) -> None:
    appointment = await _treatable(update, context)
    if appointment is None:
        return
    lasers = [
        InlineKeyboardButton(
            plan.name, callback_data=f"{STAFF_TREATMENT_LASER}{appointment.id}:{laser.value}"
        )
        for laser, plan in context.content.aftercare.plans.items()
    ]
    back = InlineKeyboardButton(
        context.text("staff.back"), callback_data=f"{STAFF_CARD}{appointment.id}"
    )
    await _card_with(
        update, context, appointment, context.text("staff.which_laser"), [lasers, [back]]
    )


async def choose_day(update: Update, context: ClinicContext) -> None:
    appointment = await _treatable(update, context)
    if appointment is None:
        return
    assert update.callback_query is not None and update.callback_query.data is not None
    laser = Laser(update.callback_query.data.rsplit(":", 1)[1])
    days = [
        InlineKeyboardButton(
            context.text(key),
            callback_data=f"{STAFF_TREATMENT_DAY}{appointment.id}:{laser.value}:{days_ago}",
        )
        for days_ago, key in enumerate(("staff.today", "staff.yesterday"))
    ]
    back = InlineKeyboardButton(
        context.text("staff.back"), callback_data=f"{STAFF_TREATMENT}{appointment.id}"
    )
    name = context.content.aftercare.plans[laser].name
    question = context.text("staff.which_day", laser=name)
    await _card_with(update, context, appointment, question, [days, [back]])


async def record_treatment(update: Update, context: ClinicContext) -> None:
    """Records the treatment and invites the patient to daily aftercare messages."""
    appointment = await _treatable(update, context)
    if appointment is None:
        return
    query, user = update.callback_query, update.effective_user
    assert query is not None and query.data is not None and user is not None
    _, _, _, laser, days_ago = query.data.split(":")
    session, now = context.session, context.scope.now
    treated_on = local_date(now, context.services.zone) - timedelta(days=int(days_ago))
    recorded = await aftercare.of_appointment(session, appointment_id=appointment.id)
    if (
        recorded is not None
        and (recorded.laser.value, recorded.treated_on) == (laser, treated_on)
        and recorded.status in ("invited", "active")
    ):
        # A double tap, or a colleague on the same card: one invitation is enough.
        await answer_button(update, context, context.text("staff.already"))
        await show(update, context, *await staff_card(session, context.services, appointment))
        return
    plan = await aftercare.invite(
        session,
        patient_id=appointment.patient_id,
        laser=Laser(laser),
        treated_on=treated_on,
        recorded_by=user.full_name[:128],
        appointment_id=appointment.id,
        now=now,
    )
    nudges.invite(context, plan, await chat_of(session, patient_id=appointment.patient_id))
    await answer_button(update, context, context.text("staff.recorded"))
    await show(update, context, *await staff_card(session, context.services, appointment))


async def card(update: Update, context: ClinicContext) -> None:
    """« Back: the card as it is now."""
    if (appointment := await _card_appointment(update, context)) is None:
        return
    await show(update, context, *await staff_card(context.session, context.services, appointment))


def register(application: Application) -> None:  # type: ignore[type-arg]
    appointment_id = r"\d{1,18}"
    lasers = "|".join(laser.value for laser in Laser)
    application.add_handlers(
        [
            CallbackQueryHandler(decide, pattern=pattern(STAFF_CONFIRM, appointment_id)),
            CallbackQueryHandler(decide, pattern=pattern(STAFF_DECLINE, appointment_id)),
            CallbackQueryHandler(card, pattern=pattern(STAFF_CARD, appointment_id)),
            CallbackQueryHandler(choose_laser, pattern=pattern(STAFF_TREATMENT, appointment_id)),
            CallbackQueryHandler(
                choose_day, pattern=pattern(STAFF_TREATMENT_LASER, f"{appointment_id}:({lasers})")
            ),
            CallbackQueryHandler(
                record_treatment,
                pattern=pattern(STAFF_TREATMENT_DAY, f"{appointment_id}:({lasers}):[01]"),
            ),
        ]
    )
