"""Confirming the summary: the booking (or move) is made, or the patient is told why
not and offered what they can do instead."""

from __future__ import annotations

import logging

from telegram import Update

from clinic.statuses import AppointmentStatus
from clinic.treatment import Kind
from clinic.when import local_date
from handlers import my_appointments
from handlers.booking.screens import (
    after_keyboard,
    calendar,
    patient,
    save,
    state_of,
    times_keyboard,
)
from handlers.booking.state import DAY, FLOW, SUMMARY, TIME, BookingState
from handlers.context import ClinicContext
from handlers.navigation import menu_keyboard
from handlers.notices import after_confirmation, to_staff
from handlers.replies import answer_button, show
from handlers.steps import at, show_step, stale
from services import booking
from services.booking import TreatmentOrder

log = logging.getLogger(__name__)


async def confirm(update: Update, context: ClinicContext) -> None:
    """Books the time, or offers the nearest free ones if it was taken meanwhile."""
    flow, state = context.flow, state_of(context)
    if not at(context, FLOW, SUMMARY) or state.start is None or not state.phone:
        await stale(update, context)
        return
    result = await booking.book(
        context.session,
        calendar(context),
        patient_id=patient(context),
        start=state.start,
        name=state.name,
        phone=state.phone,
        staff_confirm=context.services.staff_confirm,
        move=state.reschedule,
        treatment=_order(state),
    )
    match result:
        case booking.Booked():
            await show_booked(update, context, result)
        case booking.Taken():
            if result.raced:
                log.info("booking lost a race for its time update_id=%s", update.update_id)
            await _taken(update, context, state, result)
        case booking.Unavailable(reason=reason):
            await answer_button(update, context, context.text(f"booking.{reason.value}"))
            state.week = 0
            save(context, DAY, state)
            await show_step(update, context)
        case booking.LimitReached():
            flow.reset()
            await my_appointments.show_list(update, context, notice=context.text("booking.limit"))
        case booking.NotMovable():
            flow.reset()
            await my_appointments.show_list(
                update, context, notice=context.text("appointments.not_available")
            )


def _order(state: BookingState) -> TreatmentOrder | None:
    """A new treatment booking's laser and consultation (a move keeps the old one's)."""
    if state.treatment is None or state.laser is None or state.moving:
        return None
    return TreatmentOrder(state.laser, state.treatment, state.aftercare)


async def show_booked(update: Update, context: ClinicContext, result: booking.Booked) -> None:
    """Says the time is booked (or requested, or a move requested) and tells staff."""
    booked = result.appointment
    to_staff(context, "staff_card", booked)
    when = context.dates.when(booked.starts_at)
    section = "treatment" if booked.kind is Kind.TREATMENT else "booking"
    if booked.status == AppointmentStatus.CONFIRMED:
        await after_confirmation(context, booked)
        text = context.text(f"{section}.booked", when=when)
    elif not result.moved:
        text = context.text(f"{section}.requested", when=when)
    elif result.kept is not None:
        old_when = context.dates.when(result.kept.starts_at)
        text = context.text("booking.move_requested", when=when, old_when=old_when)
    else:
        text = context.text("booking.rescheduled_requested", when=when)
    context.flow.reset()
    await show(update, context, text, after_keyboard(context))


async def _taken(
    update: Update, context: ClinicContext, state: BookingState, taken: booking.Taken
) -> None:
    """Tells the loser of a race, and offers the free times nearest to the one wanted."""
    when = context.dates.when(taken.wanted)
    await answer_button(update, context, context.text("booking.taken"))
    state.day = local_date(taken.wanted, context.services.zone)
    save(context, TIME, state)
    if not taken.nearest:
        await show(
            update, context, context.text("booking.none_near", when=when), menu_keyboard(context)
        )
        context.flow.reset()
        return
    await show(
        update,
        context,
        context.text("booking.just_taken", when=when),
        times_keyboard(context, state, taken.nearest, with_day=True),
    )
