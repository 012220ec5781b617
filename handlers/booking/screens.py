"""The booking flow's screens, and its steps declared to handlers.steps."""

from __future__ import annotations

import html
from datetime import datetime

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from clinic.phone import display_phone
from clinic.treatment import booking_schedule
from handlers import steps
from handlers.booking.state import (
    DAY,
    FLOW,
    NAME,
    NAME_INPUT,
    OFFER,
    PHONE,
    SUMMARY,
    TIME,
    BookingState,
)
from handlers.callbacks import (
    APPOINTMENTS,
    BOOK_AFTERCARE,
    BOOK_BACK,
    BOOK_CONFIRM,
    BOOK_NAME_CHANGE,
    BOOK_NAME_OK,
    BOOK_SKIP,
    day_data,
    slot_data,
    week_data,
)
from handlers.context import ClinicContext
from handlers.navigation import CANDIDACY, back_to_menu_button, join_waitlist_button
from services import booking

Screen = tuple[str, InlineKeyboardMarkup]


# -- the flow's state and the update's values -------------------------------------------


def state_of(context: ClinicContext) -> BookingState:
    """The booking so far; a fresh one outside the flow."""
    if context.flow.name != FLOW:
        return BookingState()
    return BookingState.of(context.flow.data)


def save(context: ClinicContext, step: str, state: BookingState) -> None:
    """Puts the flow at `step` of the booking, holding `state`."""
    context.flow.go(FLOW, step)
    context.flow.data = state.data()


def calendar(context: ClinicContext) -> booking.Calendar:
    """The calendar of what is being booked: a treatment's own length and seats, or a
    consultation's."""
    kind = state_of(context).kind
    return booking.Calendar(
        booking_schedule(context.content.schedule, kind),
        context.services.zone,
        context.scope.now,
        kind,
        waitlist=context.services.waitlist,
    )


def patient(context: ClinicContext) -> int:
    patient_id = context.scope.patient_id
    assert patient_id is not None  # the flow is a patient's, in their private chat
    return patient_id


def _minutes(context: ClinicContext) -> str:
    length = calendar(context).schedule.length
    return str(int(length.total_seconds() // 60))


async def _old_when(context: ClinicContext, state: BookingState) -> str | None:
    """When the appointment being moved is, if this is a move."""
    if state.reschedule is None:
        return None
    old = await booking.being_moved(
        context.session, patient_id=patient(context), appointment_id=state.reschedule
    )
    return context.dates.when(old.starts_at) if old else None


# -- screens ---------------------------------------------------------------------------


async def days_screen(context: ClinicContext, state: BookingState) -> Screen:
    page = await booking.days_page(context.session, calendar(context), week=state.week)
    state.week = page.week
    old_when = await _old_when(context, state)
    if old_when is not None:
        key = (
            "treatment.choose_day_reschedule"
            if state.treatment
            else "booking.choose_day_reschedule"
        )
        text = context.text(key, when=old_when)
    elif state.treatment is not None:
        text = context.text("treatment.choose_day", minutes=_minutes(context))
    else:
        text = context.text("booking.choose_day", minutes=_minutes(context))
    days = page.days
    rows = [
        [
            InlineKeyboardButton(context.dates.day(day), callback_data=day_data(day))
            for day in days[i : i + 2]
        ]
        for i in range(0, len(days), 2)
    ]
    if page.none_at_all:
        text = context.text("booking.no_days_at_all")
    elif not days:
        text += "\n\n" + context.text("booking.no_days_this_week")
    nav = []
    if page.week > 0:
        nav.append(
            InlineKeyboardButton(
                context.text("booking.earlier"), callback_data=week_data(page.week - 1)
            )
        )
    if page.has_later:
        nav.append(
            InlineKeyboardButton(
                context.text("booking.later"), callback_data=week_data(page.week + 1)
            )
        )
    if nav:
        rows.append(nav)
    rows.append([join_waitlist_button(context)])
    rows.append([back_to_menu_button(context)])
    return text, InlineKeyboardMarkup(rows)


def times_keyboard(
    context: ClinicContext, state: BookingState, slots: list[datetime], with_day: bool
) -> InlineKeyboardMarkup:
    per_row = 2 if with_day else 3

    def label(slot: datetime) -> str:
        if with_day:
            return f"{context.dates.local_day(slot)}, {context.dates.time(slot)}"
        return context.dates.time(slot)

    rows = [
        [
            InlineKeyboardButton(label(slot), callback_data=slot_data(slot))
            for slot in slots[i : i + per_row]
        ]
        for i in range(0, len(slots), per_row)
    ]
    rows.append(
        [
            InlineKeyboardButton(
                context.text("booking.other_days"), callback_data=week_data(state.week)
            )
        ]
    )
    rows.append([back_to_menu_button(context)])
    return InlineKeyboardMarkup(rows)


async def times_screen(context: ClinicContext, state: BookingState) -> Screen | None:
    """The free times of the chosen day; None if it has none (any more)."""
    if state.day is None:
        return None
    slots = await booking.free_times(context.session, calendar(context), day=state.day)
    if not slots:
        return None
    text = context.text("booking.choose_time", day=context.dates.day(state.day))
    return text, times_keyboard(context, state, slots, with_day=False)


def back_button(context: ClinicContext) -> InlineKeyboardButton:
    return InlineKeyboardButton(context.text("booking.back"), callback_data=BOOK_BACK)


def name_screen(context: ClinicContext, state: BookingState) -> Screen:
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(context.text("booking.name_ok"), callback_data=BOOK_NAME_OK),
                InlineKeyboardButton(
                    context.text("booking.name_change"), callback_data=BOOK_NAME_CHANGE
                ),
            ],
            [back_button(context), back_to_menu_button(context)],
        ]
    )
    return context.text("booking.confirm_name", name=html.escape(state.name)), keyboard


def name_input_screen(context: ClinicContext) -> Screen:
    return context.text("booking.type_name"), InlineKeyboardMarkup(
        [[back_button(context), back_to_menu_button(context)]]
    )


def phone_keyboard(context: ClinicContext, state: BookingState) -> ReplyKeyboardMarkup:
    """Telegram's share-contact button only exists on a reply keyboard, under the text box."""
    rows = [[KeyboardButton(context.text("booking.share_phone"), request_contact=True)]]
    if state.phone:
        rows.append([KeyboardButton(display_phone(state.phone))])
    rows.append(
        [
            KeyboardButton(context.text("booking.back")),
            KeyboardButton(context.text("menu.back_to_menu")),
        ]
    )
    return ReplyKeyboardMarkup(
        rows, resize_keyboard=True, one_time_keyboard=True, input_field_placeholder="416 555 0123"
    )


async def summary_screen(context: ClinicContext, state: BookingState) -> Screen:
    assert state.start is not None and state.phone is not None
    values = {
        "when": context.dates.when(state.start),
        "minutes": _minutes(context),
        "name": html.escape(state.name),
        "patient_phone": display_phone(state.phone),
    }
    old_when = await _old_when(context, state)
    rows = []
    if old_when is not None:
        text = context.text("booking.summary_reschedule", old_when=old_when, **values)
        confirm = context.text("booking.confirm_reschedule")
    elif state.treatment is not None:
        laser = context.content.aftercare.plans[state.laser].name if state.laser else ""
        text = context.text("treatment.summary", laser=laser, **values)
        confirm = context.text("booking.confirm")
        toggle = "treatment.aftercare_on" if state.aftercare else "treatment.aftercare_off"
        rows.append([InlineKeyboardButton(context.text(toggle), callback_data=BOOK_AFTERCARE)])
    else:
        text = context.text("booking.summary", **values)
        confirm = context.text("booking.confirm")
    keyboard = InlineKeyboardMarkup(
        [
            *rows,
            [InlineKeyboardButton(confirm, callback_data=BOOK_CONFIRM)],
            [back_button(context), back_to_menu_button(context)],
        ]
    )
    return text, keyboard


def offer_keyboard(context: ClinicContext) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(context.text("prescreen.offer_take"), callback_data=CANDIDACY)],
            [InlineKeyboardButton(context.text("prescreen.offer_skip"), callback_data=BOOK_SKIP)],
            [back_button(context), back_to_menu_button(context)],
        ]
    )


def after_keyboard(context: ClinicContext) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(context.text("menu.appointments"), callback_data=APPOINTMENTS)],
            [back_to_menu_button(context)],
        ]
    )


# -- the steps, declared once (handlers.steps shows them again and answers stale input) --


async def _days(context: ClinicContext) -> Screen:
    state = state_of(context)
    screen = await days_screen(context, state)
    save(context, DAY, state)
    return screen


async def _times(context: ClinicContext) -> Screen | None:
    return await times_screen(context, state_of(context))


async def _name(context: ClinicContext) -> Screen:
    return name_screen(context, state_of(context))


async def _name_input(context: ClinicContext) -> Screen:
    return name_input_screen(context)


async def _phone(context: ClinicContext) -> steps.Screen:
    return context.text("booking.ask_phone"), phone_keyboard(context, state_of(context))


async def _offer(context: ClinicContext) -> Screen | None:
    if not state_of(context).phone:
        return None
    return context.text("prescreen.offer"), offer_keyboard(context)


async def _summary(context: ClinicContext) -> Screen | None:
    state = state_of(context)
    if state.start is None or not state.phone:
        return None
    return await summary_screen(context, state)


def _before_phone(context: ClinicContext) -> str:
    """Back from after the phone: a move keeps the name and number of the original
    booking, so it goes back to the time."""
    return TIME if state_of(context).moving else PHONE


def declare(typed_name: steps.Handler, typed_phone: steps.Handler, contact: steps.Handler) -> None:
    """The booking's steps: a step whose answers are missing (or whose day is full now)
    shows the days."""
    steps.declare(
        steps.Flow(
            FLOW,
            {
                DAY: steps.Step(_days),
                TIME: steps.Step(_times, back=DAY),
                NAME: steps.Step(_name, back=TIME),
                NAME_INPUT: steps.Step(_name_input, back=NAME, text=typed_name),
                PHONE: steps.Step(_phone, back=NAME, text=typed_phone, contact=contact),
                OFFER: steps.Step(_offer, back=_before_phone),
                SUMMARY: steps.Step(_summary, back=_before_phone),
            },
            otherwise=_days,
        )
    )
