"""The booking flow's steps up to the summary: day, time, name, phone, the pre-screen
offer; Back; and starting a booking or a move."""

from __future__ import annotations

import re

from telegram import ReplyKeyboardRemove, Update

from clinic.phone import display_phone, normalise_phone, shared_phone
from clinic.when import local_date
from handlers import my_appointments
from handlers.booking.screens import (
    calendar,
    declare,
    name_input_screen,
    name_screen,
    patient,
    phone_keyboard,
    save,
    state_of,
    times_screen,
)
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
from handlers.callbacks import parse_day, parse_slot, parse_week, trailing_id
from handlers.context import ClinicContext
from handlers.navigation import show_menu
from handlers.replies import answer_button, send, show
from handlers.steps import at, show_step, stale
from services import booking

_NAME = re.compile(r"[^\W\d_][\w'\u2019 .-]{0,62}[\w.]")


def _data(update: Update) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    return query.data


# -- entering the flow ---------------------------------------------------------------


async def _begin(update: Update, context: ClinicContext) -> bool:
    """Starts a booking, unless the patient already holds as many as allowed."""
    begun = await booking.begin(
        context.session,
        patient_id=patient(context),
        now=context.scope.now,
        per_patient=context.content.schedule.per_patient,
    )
    if isinstance(begun, booking.LimitReached):
        await my_appointments.show_list(update, context, notice=context.text("booking.limit"))
        return False
    user = update.effective_user
    assert user is not None
    # Within the flow, what was chosen so far stays (as a move stays a move).
    state = state_of(context)
    state.week, state.name, state.phone = 0, user.full_name[:64], begun.phone
    save(context, DAY, state)
    return True


async def start(update: Update, context: ClinicContext) -> None:
    """Shows the days with free consultation times."""
    if await _begin(update, context):
        await show_step(update, context)


async def reschedule(update: Update, context: ClinicContext) -> None:
    """Starts choosing a new time for one of the patient's own appointments."""
    appointment_id = trailing_id(_data(update))
    old = None
    if context.scope.patient_id is not None:
        old = await booking.movable(
            context.session,
            patient_id=context.scope.patient_id,
            appointment_id=appointment_id,
            now=context.scope.now,
        )
    if old is None:
        await my_appointments.show_list(
            update, context, notice=context.text("appointments.not_available")
        )
        return
    state = state_of(context)
    state.week, state.reschedule = 0, old.id
    state.name, state.phone = old.name or "", old.phone
    # A treatment moves on a treatment's calendar, and stays the same treatment.
    state.treatment, state.laser = old.consultation_id, old.laser
    state.aftercare = old.aftercare_agreed
    save(context, DAY, state)
    await show_step(update, context)


async def _ensure_flow(update: Update, context: ClinicContext) -> bool:
    """A day or time button pressed outside the flow (an older message) starts it anew."""
    if context.flow.name == FLOW:
        return True
    return await _begin(update, context)


# -- choosing ---------------------------------------------------------------------------


async def week(update: Update, context: ClinicContext) -> None:
    """Pages through the days a week at a time."""
    if not await _ensure_flow(update, context):
        return
    state = state_of(context)
    state.week = parse_week(_data(update)) or 0  # the days screen keeps it within the horizon
    save(context, DAY, state)
    await show_step(update, context)


async def choose_day(update: Update, context: ClinicContext) -> None:
    """Shows the free times of the chosen day."""
    if not await _ensure_flow(update, context):
        return
    state = state_of(context)
    state.day = parse_day(_data(update))
    save(context, TIME, state)
    times = await times_screen(context, state)
    if times is None:
        await answer_button(update, context, context.text("booking.taken"))
        await show_step(update, context)  # back to the days
        return
    await show(update, context, *times)


async def choose_time(update: Update, context: ClinicContext) -> None:
    """Holds the chosen time in the flow (not yet in the calendar) and asks for the name."""
    if not await _ensure_flow(update, context):
        return
    state = state_of(context)
    start = parse_slot(_data(update))
    if start is None:
        reason: booking.Reason | None = booking.Reason.CLOSED
    else:
        reason = await booking.why_not(context.session, calendar(context), start=start)
    if start is None or reason is not None:
        await answer_button(
            update, context, context.text(f"booking.{reason.value if reason else 'closed'}")
        )
        if start is not None:
            state.day = local_date(start, context.services.zone)
            save(context, TIME, state)
        await show_step(update, context)
        return
    state.day, state.start = local_date(start, context.services.zone), start
    save(context, SUMMARY if state.moving else NAME, state)
    await show_step(update, context)


async def name_ok(update: Update, context: ClinicContext) -> None:
    """Keeps the name and asks for the phone number."""
    if not at(context, FLOW, NAME):
        await stale(update, context)
        return
    # The name stays on screen without its buttons; the question comes as a new message
    # because only a new message can carry the share-contact keyboard.
    await show(update, context, name_screen(context, state_of(context))[0])
    context.flow.step = PHONE
    await show_step(update, context)


async def name_change(update: Update, context: ClinicContext) -> None:
    """Asks the patient to type the name."""
    if not at(context, FLOW, NAME, NAME_INPUT):
        await stale(update, context)
        return
    context.flow.step = NAME_INPUT
    await show_step(update, context)


async def typed_name(update: Update, context: ClinicContext) -> None:
    """Stores a typed name, or asks again."""
    assert update.message is not None and update.message.text is not None
    name = " ".join(update.message.text.split())
    if not _NAME.fullmatch(name):
        await send(
            update, context, context.text("booking.name_invalid"), name_input_screen(context)[1]
        )
        return
    state = state_of(context)
    state.name = name
    save(context, PHONE, state)
    await show_step(update, context, edit=False)


async def typed_phone(update: Update, context: ClinicContext) -> None:
    """Reads a typed number, or the reply keyboard's Back and Main menu."""
    assert update.message is not None and update.message.text is not None
    text = update.message.text.strip()
    if text == context.text("booking.back"):
        await _leave_phone_step(update, context)
        context.flow.step = NAME
        await show_step(update, context, edit=False)
        return
    if text == context.text("menu.back_to_menu"):
        await _leave_phone_step(update, context)
        await show_menu(update, context)
        return
    await _take_phone(update, context, normalise_phone(text))


async def shared_contact(update: Update, context: ClinicContext) -> None:
    """Reads the number from Telegram's share-contact button."""
    assert update.message is not None and update.message.contact is not None
    await _take_phone(update, context, shared_phone(update.message.contact.phone_number))


async def _take_phone(update: Update, context: ClinicContext, phone: str | None) -> None:
    state = state_of(context)
    if phone is None:
        await send(
            update, context, context.text("booking.phone_invalid"), phone_keyboard(context, state)
        )
        return
    # Patients who have not taken the pre-screen are offered it before the summary.
    offer = state.treatment is None and await booking.offers_prescreen(
        context.session, patient_id=patient(context)
    )
    state.phone = phone
    save(context, OFFER if offer else SUMMARY, state)
    await _leave_phone_step(
        update, context, context.text("booking.phone_ok", patient_phone=display_phone(phone))
    )
    await show_step(update, context, edit=False)


async def _leave_phone_step(
    update: Update, context: ClinicContext, text: str | None = None
) -> None:
    """Takes the share-contact keyboard away; only a message can carry that instruction."""
    await send(update, context, text or "👌", ReplyKeyboardRemove())


async def skip_prescreen(update: Update, context: ClinicContext) -> None:
    """Goes on to the summary without the pre-screen."""
    if not at(context, FLOW, OFFER):
        await stale(update, context)
        return
    context.flow.step = SUMMARY
    await show_step(update, context)


async def toggle_aftercare(update: Update, context: ClinicContext) -> None:
    """A treatment's summary: aftercare messages from the treatment day, on or off."""
    state = state_of(context)
    if not at(context, FLOW, SUMMARY) or state.treatment is None:
        await stale(update, context)
        return
    state.aftercare = not state.aftercare
    save(context, SUMMARY, state)
    await show_step(update, context)


declare(typed_name, typed_phone, shared_contact)
