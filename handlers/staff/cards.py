"""The buttons of an appointment's staff card: decide a request, mark attendance, cancel
with a reason, record a treatment; services.appointments decides what a press does (and
whether it still can), and the card is shown again as it is now."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from handlers.callbacks import (
    STAFF_CAME,
    STAFF_CANCEL_REASON,
    STAFF_CARD,
    STAFF_CONFIRM,
    STAFF_TREATMENT,
    appointment_data,
    parse_reason,
    parse_treatment_day,
    parse_treatment_laser,
    reason_data,
    staff_card_id,
    treatment_day_data,
    treatment_laser_data,
)
from handlers.context import ClinicContext
from handlers.notices import staff_card
from handlers.notices.queueing import preparation
from handlers.replies import answer_button, send, show
from handlers.staff.access import actor, button_data, not_allowed, staff_press
from services import appointments
from services.appointments import Already, AppointmentView, Done, Gone, NotYet

# The reasons staff can give when cancelling: texts staff.cancel_reason_1 .. _N.
CANCEL_REASONS = 3


async def _show_card(
    update: Update, context: ClinicContext, appointment: AppointmentView, notice: str
) -> None:
    await answer_button(update, context, context.text(notice))
    await show(
        update,
        context,
        *await staff_card(context.session, context.services, appointment, context.scope.now),
    )


async def show_result(
    update: Update, context: ClinicContext, result: Done | Already | NotYet | Gone, done: str
) -> None:
    """Renders a card action's result: the card as it is now, with a short notice."""
    match result:
        case Gone():
            await answer_button(update, context, context.text("staff.already"))
        case NotYet():
            await answer_button(update, context, context.text("staff.not_yet"))
        case Already(appointment):
            # Someone else pressed first, or the patient cancelled: the card as it is now.
            await _show_card(update, context, appointment, "staff.already")
        case Done(appointment):
            await _show_card(update, context, appointment, done)


async def decide(update: Update, context: ClinicContext) -> None:
    """Confirms or declines a request, tells the patient, and updates the card."""
    if not staff_press(update, context):
        await not_allowed(update, context)
        return
    data = button_data(update)
    confirm = data.startswith(STAFF_CONFIRM)
    result = await appointments.decide(
        context.session,
        actor(update),
        appointment_id=staff_card_id(data),
        confirm=confirm,
        now=context.scope.now,
        preparation=preparation(context),
        offering=context.services.waitlist,
    )
    await show_result(update, context, result, "staff.done")


async def attendance(update: Update, context: ClinicContext) -> None:
    """Came or no-show, once the appointment has started (came to a treatment session:
    the treatment is recorded, and its aftercare offered or started)."""
    if not staff_press(update, context):
        await not_allowed(update, context)
        return
    data = button_data(update)
    result = await appointments.mark_attendance(
        context.session,
        actor(update),
        appointment_id=staff_card_id(data),
        came=data.startswith(STAFF_CAME),
        now=context.scope.now,
        zone=context.services.zone,
        aftercare_settings=context.content.aftercare,
        followup_months=context.services.followup_months,
    )
    await show_result(update, context, result, "staff.done")


async def cancel(update: Update, context: ClinicContext) -> None:
    """Cancels with the reason tapped; the patient reads it with a way to rebook."""
    if not staff_press(update, context):
        await not_allowed(update, context)
        return
    appointment_id, number = parse_reason(button_data(update), STAFF_CANCEL_REASON)
    result = await appointments.cancel_by_staff(
        context.session,
        actor(update),
        appointment_id=appointment_id,
        reason_number=number,
        reason=context.text(f"staff.cancel_reason_{number}"),
        now=context.scope.now,
        offering=context.services.waitlist,
    )
    done = Done(result.appointment) if isinstance(result, appointments.Cancelled) else result
    await show_result(update, context, done, "staff.done")


async def record_treatment(update: Update, context: ClinicContext) -> None:
    """Records the treatment: the patient is invited to daily aftercare messages, and
    hears from the clinic again months later (services.followup)."""
    if not staff_press(update, context):
        await not_allowed(update, context)
        return
    appointment_id, laser, days_ago = parse_treatment_day(button_data(update))
    result = await appointments.record_treatment(
        context.session,
        actor(update),
        appointment_id=appointment_id,
        laser=laser,
        days_ago=days_ago,
        followup_months=context.services.followup_months,
        zone=context.services.zone,
        now=context.scope.now,
        aftercare_settings=context.content.aftercare,
    )
    await show_result(update, context, result, "staff.recorded")


# -- screens on the card: the card itself, and questions in place of its buttons -------------


async def _card_in(
    update: Update,
    context: ClinicContext,
    result: AppointmentView | Already | Gone,
) -> AppointmentView | None:
    """The appointment if the question can be asked; else the press is answered."""
    if isinstance(result, AppointmentView):
        return result
    await show_result(update, context, result, "staff.done")
    return None


async def card_with(
    update: Update,
    context: ClinicContext,
    appointment: AppointmentView,
    question: str,
    rows: list[list[InlineKeyboardButton]],
) -> None:
    """The card with a question in place of its buttons."""
    text, _ = await staff_card(context.session, context.services, appointment, context.scope.now)
    await show(update, context, f"{text}\n\n{question}", InlineKeyboardMarkup(rows))


async def _found(update: Update, context: ClinicContext) -> AppointmentView | None:
    """The appointment a card button names, pressed in the staff group; else None, answered."""
    if not staff_press(update, context):
        await not_allowed(update, context)
        return None
    found = await appointments.find(
        context.session, appointment_id=staff_card_id(button_data(update))
    )
    return await _card_in(update, context, found or appointments.GONE)


async def card(update: Update, context: ClinicContext) -> None:
    """« Back: the card as it is now."""
    if (appointment := await _found(update, context)) is not None:
        await show(
            update,
            context,
            *await staff_card(context.session, context.services, appointment, context.scope.now),
        )


async def open_card(update: Update, context: ClinicContext) -> None:
    """A card opened from the agenda or a search: a new message, the list stays."""
    if (appointment := await _found(update, context)) is not None:
        await send(
            update,
            context,
            *await staff_card(context.session, context.services, appointment, context.scope.now),
        )


async def _treatable(update: Update, context: ClinicContext) -> AppointmentView | None:
    if not staff_press(update, context):
        await not_allowed(update, context)
        return None
    appointment_id = staff_card_id(button_data(update))
    return await _card_in(
        update,
        context,
        await appointments.treatable(context.session, appointment_id=appointment_id),
    )


async def choose_laser(update: Update, context: ClinicContext) -> None:
    if (appointment := await _treatable(update, context)) is None:
        return
    lasers = [
        InlineKeyboardButton(plan.name, callback_data=treatment_laser_data(appointment.id, laser))
        for laser, plan in context.content.aftercare.plans.items()
    ]
    back = InlineKeyboardButton(
        context.text("staff.back"), callback_data=appointment_data(STAFF_CARD, appointment.id)
    )
    await card_with(
        update, context, appointment, context.text("staff.which_laser"), [lasers, [back]]
    )


async def choose_day(update: Update, context: ClinicContext) -> None:
    if (appointment := await _treatable(update, context)) is None:
        return
    _, laser = parse_treatment_laser(button_data(update))
    days = [
        InlineKeyboardButton(
            context.text(key), callback_data=treatment_day_data(appointment.id, laser, days_ago)
        )
        for days_ago, key in enumerate(("staff.today", "staff.yesterday"))
    ]
    back = InlineKeyboardButton(
        context.text("staff.back"), callback_data=appointment_data(STAFF_TREATMENT, appointment.id)
    )
    name = context.content.aftercare.plans[laser].name
    question = context.text("staff.which_day", laser=name)
    await card_with(update, context, appointment, question, [days, [back]])


async def ask_cancel_reason(update: Update, context: ClinicContext) -> None:
    if not staff_press(update, context):
        await not_allowed(update, context)
        return
    found = await appointments.confirmed(
        context.session, appointment_id=staff_card_id(button_data(update))
    )
    if (appointment := await _card_in(update, context, found)) is None:
        return
    reasons = [
        [
            InlineKeyboardButton(
                context.text(f"staff.cancel_reason_{number}"),
                callback_data=reason_data(STAFF_CANCEL_REASON, appointment.id, number),
            )
        ]
        for number in range(1, CANCEL_REASONS + 1)
    ]
    keep = InlineKeyboardButton(
        context.text("staff.keep"), callback_data=appointment_data(STAFF_CARD, appointment.id)
    )
    await card_with(
        update, context, appointment, context.text("staff.cancel_why"), [*reasons, [keep]]
    )
