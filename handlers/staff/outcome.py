"""A consultation's outcome, recorded from its staff card: treatment planned (laser,
then sessions), not suitable, or the patient to decide. The questions take the place
of the card's buttons; services.treatment decides whether the press still can."""

from __future__ import annotations

from telegram import InlineKeyboardButton, Update

from clinic.aftercare import Laser
from clinic.treatment import Outcome
from handlers.callbacks import (
    STAFF_CARD,
    STAFF_OUTCOME,
    STAFF_OUTCOME_PLAN,
    appointment_data,
    outcome_laser_data,
    outcome_sessions_data,
    outcome_set_data,
    parse_outcome_laser,
    parse_outcome_sessions,
    parse_outcome_set,
    staff_card_id,
)
from handlers.context import ClinicContext
from handlers.staff.access import actor, button_data, not_allowed, staff_press
from handlers.staff.cards import card_with, show_result
from services import treatment
from services.appointments import GONE, AppointmentView


async def _askable(update: Update, context: ClinicContext) -> AppointmentView | None:
    """The consultation whose outcome a button asks about; else the press is answered."""
    if not staff_press(update, context):
        await not_allowed(update, context)
        return None
    found = await treatment.outcome_askable(
        context.session, appointment_id=staff_card_id(button_data(update)), now=context.scope.now
    )
    if isinstance(found, AppointmentView):
        return found
    await show_result(update, context, found, "staff.done")
    return None


def _button(context: ClinicContext, key: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(context.text(key), callback_data=data)


async def choose_outcome(update: Update, context: ClinicContext) -> None:
    if (appointment := await _askable(update, context)) is None:
        return
    rows = [
        [_button(context, "outcome.planned", appointment_data(STAFF_OUTCOME_PLAN, appointment.id))],
        *(
            [_button(context, f"outcome.{outcome}", outcome_set_data(appointment.id, outcome))]
            for outcome in (Outcome.NOT_SUITABLE, Outcome.UNDECIDED)
        ),
    ]
    rows.append([_button(context, "staff.back", appointment_data(STAFF_CARD, appointment.id))])
    await card_with(update, context, appointment, context.text("outcome.which"), rows)


async def choose_laser(update: Update, context: ClinicContext) -> None:
    if (appointment := await _askable(update, context)) is None:
        return
    lasers = [
        InlineKeyboardButton(plan.name, callback_data=outcome_laser_data(appointment.id, laser))
        for laser, plan in context.content.aftercare.plans.items()
    ]
    back = _button(context, "staff.back", appointment_data(STAFF_OUTCOME, appointment.id))
    await card_with(
        update, context, appointment, context.text("outcome.which_laser"), [lasers, [back]]
    )


async def choose_sessions(update: Update, context: ClinicContext) -> None:
    if (appointment := await _askable(update, context)) is None:
        return
    _, laser = parse_outcome_laser(button_data(update))
    most = context.content.schedule.treatments.max_sessions
    sessions = [
        InlineKeyboardButton(
            str(number), callback_data=outcome_sessions_data(appointment.id, laser, number)
        )
        for number in range(1, most + 1)
    ]
    back = _button(context, "staff.back", appointment_data(STAFF_OUTCOME_PLAN, appointment.id))
    question = context.text("outcome.how_many", laser=context.content.aftercare.plans[laser].name)
    await card_with(update, context, appointment, question, [sessions, [back]])


async def _record(
    update: Update,
    context: ClinicContext,
    outcome: Outcome,
    appointment_id: int,
    laser: Laser | None = None,
    sessions: int | None = None,
) -> None:
    result = await treatment.record_outcome(
        context.session,
        actor(update),
        appointment_id=appointment_id,
        outcome=outcome,
        laser=laser,
        sessions=sessions,
        now=context.scope.now,
    )
    done = "outcome.recorded_planned" if outcome is Outcome.PLANNED else "outcome.recorded"
    await show_result(update, context, result, done)


async def record(update: Update, context: ClinicContext) -> None:
    """Not suitable, or the patient to decide."""
    if not staff_press(update, context):
        await not_allowed(update, context)
        return
    appointment_id, outcome = parse_outcome_set(button_data(update))
    await _record(update, context, Outcome(outcome), appointment_id)


async def record_planned(update: Update, context: ClinicContext) -> None:
    """A treatment planned: the laser and sessions; the patient is offered to book it."""
    if not staff_press(update, context):
        await not_allowed(update, context)
        return
    appointment_id, laser, sessions = parse_outcome_sessions(button_data(update))
    if not 1 <= sessions <= context.content.schedule.treatments.max_sessions:
        await show_result(update, context, GONE, "staff.done")
        return
    await _record(update, context, Outcome.PLANNED, appointment_id, laser, sessions)
