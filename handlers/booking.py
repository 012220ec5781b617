"""Booking a free consultation: day, time, name, phone, check, confirm; and moving one."""

from __future__ import annotations

import html
import logging
import re
from datetime import date, datetime, timedelta

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from clinic.phone import display_phone, normalise_phone
from clinic.schedule import (
    Booked,
    Unavailable,
    bookable_days,
    free_slots,
    nearest,
    why_unavailable,
)
from clinic.when import day_label, time_label, when_label
from db import appointments, outbox, prescreens
from db.appointments import AppointmentView
from db.patients import save_phone, saved_phone
from handlers import my_appointments
from handlers.callbacks import (
    APPOINTMENTS,
    BOOK_BACK,
    BOOK_CONFIRM,
    BOOK_DAY,
    BOOK_NAME_CHANGE,
    BOOK_NAME_OK,
    BOOK_SKIP,
    BOOK_TIME,
    BOOK_WEEK,
    RESCHEDULE,
    day_data,
    parse_day,
    parse_slot,
    pattern,
    slot_data,
    trailing_id,
)
from handlers.context import ClinicApp, ClinicContext
from handlers.navigation import (
    BOOK,
    CANDIDACY,
    AtStep,
    back_to_menu_button,
    menu_keyboard,
    reshows,
    show_menu,
)
from handlers.notices import after_confirmation, to_staff
from handlers.replies import answer_button, send, show

log = logging.getLogger(__name__)

FLOW = "booking"
DAY, TIME, NAME, NAME_INPUT, PHONE, SUMMARY = (
    "day",
    "time",
    "name",
    "name_input",
    "phone",
    "summary",
)
# Where Back leads from each step.
OFFER = "prescreen_offer"
_BACK = {TIME: DAY, NAME: TIME, NAME_INPUT: NAME, PHONE: NAME, OFFER: PHONE, SUMMARY: PHONE}
DAYS_PER_PAGE = 7
NEAREST_TIMES = 6
_NAME = re.compile(r"[^\W\d_][\w'\u2019 .-]{0,62}[\w.]")

PRIVATE = filters.ChatType.PRIVATE


# -- reading the schedule -------------------------------------------------------------


async def _holding_times(context: ClinicContext) -> list[Booked]:
    """What holds times from now to the end of the horizon."""
    now, horizon = context.scope.now, context.content.schedule.horizon_days
    return await appointments.booked_between(
        context.session, start=now, end=now + timedelta(days=horizon + 2)
    )


async def _free(
    context: ClinicContext, first: date | None = None, last: date | None = None
) -> list[datetime]:
    return free_slots(
        context.content.schedule,
        await _holding_times(context),
        context.scope.now,
        context.services.zone,
        first_day=first,
        last_day=last,
    )


async def _why_not(context: ClinicContext, start: datetime) -> Unavailable | None:
    return why_unavailable(
        context.content.schedule,
        await _holding_times(context),
        context.scope.now,
        context.services.zone,
        start,
    )


def _local_day(context: ClinicContext, instant: datetime) -> date:
    return instant.astimezone(context.services.zone).date()


def _start(context: ClinicContext) -> datetime | None:
    return parse_slot(BOOK_TIME + context.flow.data.get("start", ""))


def _minutes(context: ClinicContext) -> str:
    return str(int(context.content.schedule.length.total_seconds() // 60))


# -- screens ---------------------------------------------------------------------------


async def _old_when(context: ClinicContext) -> str | None:
    old_id = context.flow.data.get("reschedule")
    if old_id is None:
        return None
    assert context.scope.patient_id is not None  # the flow is a patient's
    old = await appointments.find_own(
        context.session, appointment_id=old_id, patient_id=context.scope.patient_id
    )
    return when_label(old.starts_at, context.services.zone) if old else None


async def _days_screen(context: ClinicContext) -> tuple[str, InlineKeyboardMarkup]:
    first, last = bookable_days(context.content.schedule, context.scope.now, context.services.zone)
    week = int(context.flow.data.get("week", 0))
    start = first + timedelta(days=DAYS_PER_PAGE * week)
    end = min(start + timedelta(days=DAYS_PER_PAGE - 1), last)
    days = sorted({_local_day(context, slot) for slot in await _free(context, start, end)})
    old_when = await _old_when(context)
    if old_when is not None:
        text = context.text("booking.choose_day_reschedule", when=old_when)
    else:
        text = context.text("booking.choose_day", minutes=_minutes(context))
    has_later = end < last
    rows = [
        [
            InlineKeyboardButton(day_label(day), callback_data=day_data(day))
            for day in days[i : i + 2]
        ]
        for i in range(0, len(days), 2)
    ]
    if not days:
        if week == 0 and not await _free(context):
            text = context.text("booking.no_days_at_all")
            has_later = False
        else:
            text += "\n\n" + context.text("booking.no_days_this_week")
    nav = []
    if week > 0:
        nav.append(
            InlineKeyboardButton(
                context.text("booking.earlier"), callback_data=f"{BOOK_WEEK}{week - 1}"
            )
        )
    if has_later:
        nav.append(
            InlineKeyboardButton(
                context.text("booking.later"), callback_data=f"{BOOK_WEEK}{week + 1}"
            )
        )
    if nav:
        rows.append(nav)
    rows.append([back_to_menu_button(context)])
    return text, InlineKeyboardMarkup(rows)


def _times_keyboard(
    context: ClinicContext, slots: list[datetime], with_day: bool
) -> InlineKeyboardMarkup:
    zone = context.services.zone
    per_row = 2 if with_day else 3

    def label(slot: datetime) -> str:
        if with_day:
            return f"{day_label(_local_day(context, slot))}, {time_label(slot, zone)}"
        return time_label(slot, zone)

    rows = [
        [
            InlineKeyboardButton(label(slot), callback_data=slot_data(slot))
            for slot in slots[i : i + per_row]
        ]
        for i in range(0, len(slots), per_row)
    ]
    week = int(context.flow.data.get("week", 0))
    rows.append(
        [
            InlineKeyboardButton(
                context.text("booking.other_days"), callback_data=f"{BOOK_WEEK}{week}"
            )
        ]
    )
    rows.append([back_to_menu_button(context)])
    return InlineKeyboardMarkup(rows)


async def _times_screen(context: ClinicContext) -> tuple[str, InlineKeyboardMarkup] | None:
    day = parse_day(BOOK_DAY + context.flow.data.get("day", ""))
    if day is None:
        return None
    slots = await _free(context, day, day)
    if not slots:
        return None
    text = context.text("booking.choose_time", day=day_label(day))
    return text, _times_keyboard(context, slots, with_day=False)


def _back_button(context: ClinicContext) -> InlineKeyboardButton:
    return InlineKeyboardButton(context.text("booking.back"), callback_data=BOOK_BACK)


def _name_screen(context: ClinicContext) -> tuple[str, InlineKeyboardMarkup]:
    name = html.escape(context.flow.data.get("name", ""))
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(context.text("booking.name_ok"), callback_data=BOOK_NAME_OK),
                InlineKeyboardButton(
                    context.text("booking.name_change"), callback_data=BOOK_NAME_CHANGE
                ),
            ],
            [_back_button(context), back_to_menu_button(context)],
        ]
    )
    return context.text("booking.confirm_name", name=name), keyboard


def _name_input_screen(context: ClinicContext) -> tuple[str, InlineKeyboardMarkup]:
    return context.text("booking.type_name"), InlineKeyboardMarkup(
        [[_back_button(context), back_to_menu_button(context)]]
    )


def _phone_keyboard(context: ClinicContext) -> ReplyKeyboardMarkup:
    """Telegram's share-contact button only exists on a reply keyboard, under the text box."""
    rows = [[KeyboardButton(context.text("booking.share_phone"), request_contact=True)]]
    if saved := context.flow.data.get("phone"):
        rows.append([KeyboardButton(display_phone(saved))])
    rows.append(
        [
            KeyboardButton(context.text("booking.back")),
            KeyboardButton(context.text("menu.back_to_menu")),
        ]
    )
    return ReplyKeyboardMarkup(
        rows, resize_keyboard=True, one_time_keyboard=True, input_field_placeholder="416 555 0123"
    )


async def _summary_screen(context: ClinicContext) -> tuple[str, InlineKeyboardMarkup]:
    data, zone = context.flow.data, context.services.zone
    start = _start(context)
    assert start is not None
    values = {
        "when": when_label(start, zone),
        "minutes": _minutes(context),
        "name": html.escape(data.get("name", "")),
        "patient_phone": display_phone(data["phone"]),
    }
    old_when = await _old_when(context)
    if old_when is not None:
        text = context.text("booking.summary_reschedule", old_when=old_when, **values)
        confirm = context.text("booking.confirm_reschedule")
    else:
        text = context.text("booking.summary", **values)
        confirm = context.text("booking.confirm")
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(confirm, callback_data=BOOK_CONFIRM)],
            [_back_button(context), back_to_menu_button(context)],
        ]
    )
    return text, keyboard


async def _show_step(update: Update, context: ClinicContext, *, edit: bool = True) -> None:
    """Shows the step the flow is at: in place after a button, as a new message otherwise."""
    reply = show if edit else send
    step = context.flow.step
    if step == TIME and (times := await _times_screen(context)) is not None:
        await reply(update, context, *times)
    elif step in (NAME, NAME_INPUT):
        await reply(
            update,
            context,
            *(_name_screen(context) if step == NAME else _name_input_screen(context)),
        )
    elif step == PHONE:
        await send(update, context, context.text("booking.ask_phone"), _phone_keyboard(context))
    elif step == OFFER and context.flow.data.get("phone"):
        await reply(update, context, context.text("prescreen.offer"), _offer_keyboard(context))
    elif step == SUMMARY and _start(context) is not None and context.flow.data.get("phone"):
        await reply(update, context, *await _summary_screen(context))
    else:
        context.flow.go(FLOW, DAY)
        await reply(update, context, *await _days_screen(context))


def _offer_keyboard(context: ClinicContext) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(context.text("prescreen.offer_take"), callback_data=CANDIDACY)],
            [InlineKeyboardButton(context.text("prescreen.offer_skip"), callback_data=BOOK_SKIP)],
            [_back_button(context), back_to_menu_button(context)],
        ]
    )


async def skip_prescreen(update: Update, context: ClinicContext) -> None:
    """Goes on to the summary without the pre-screen."""
    if context.flow.name != FLOW or context.flow.step != OFFER:
        await _stale(update, context)
        return
    context.flow.step = SUMMARY
    await _show_step(update, context)


@reshows(FLOW)
async def reshow(update: Update, context: ClinicContext) -> None:
    await _show_step(update, context, edit=False)


# -- entering the flow ---------------------------------------------------------------


async def _begin(update: Update, context: ClinicContext) -> bool:
    """Starts a booking, unless the patient already holds as many as allowed."""
    patient_id = context.scope.patient_id
    assert patient_id is not None
    held = await appointments.count_active(
        context.session, patient_id=patient_id, now=context.scope.now
    )
    if held >= context.content.schedule.per_patient:
        await my_appointments.show_list(update, context, notice=context.text("booking.limit"))
        return False
    user = update.effective_user
    assert user is not None
    context.flow.go(
        FLOW,
        DAY,
        week=0,
        name=user.full_name[:64],
        phone=await saved_phone(context.session, patient_id=patient_id),
    )
    return True


async def start(update: Update, context: ClinicContext) -> None:
    """Shows the days with free consultation times."""
    if await _begin(update, context):
        await _show_step(update, context)


async def reschedule(update: Update, context: ClinicContext) -> None:
    """Starts choosing a new time for one of the patient's own appointments."""
    query = update.callback_query
    assert query is not None and query.data is not None
    old = await my_appointments.own_upcoming(context, trailing_id(query.data))
    if old is None:
        await my_appointments.show_list(
            update, context, notice=context.text("appointments.not_available")
        )
        return
    context.flow.go(FLOW, DAY, week=0, reschedule=old.id, name=old.name, phone=old.phone)
    await _show_step(update, context)


async def _ensure_flow(update: Update, context: ClinicContext) -> bool:
    """A day or time button pressed outside the flow (an older message) starts it anew."""
    if context.flow.name == FLOW:
        return True
    return await _begin(update, context)


# -- choosing ---------------------------------------------------------------------------


async def week(update: Update, context: ClinicContext) -> None:
    """Pages through the days a week at a time."""
    query = update.callback_query
    assert query is not None and query.data is not None
    if not await _ensure_flow(update, context):
        return
    first, last = bookable_days(context.content.schedule, context.scope.now, context.services.zone)
    pages = (last - first).days // DAYS_PER_PAGE
    context.flow.go(FLOW, DAY, week=max(0, min(int(query.data.removeprefix(BOOK_WEEK)), pages)))
    await _show_step(update, context)


async def choose_day(update: Update, context: ClinicContext) -> None:
    """Shows the free times of the chosen day."""
    query = update.callback_query
    assert query is not None and query.data is not None
    if not await _ensure_flow(update, context):
        return
    day = parse_day(query.data)
    context.flow.go(FLOW, TIME, day=day.isoformat() if day else "")
    times = await _times_screen(context)
    if times is None:
        await answer_button(update, context, context.text("booking.taken"))
        await _show_step(update, context)  # back to the days
        return
    await show(update, context, *times)


async def choose_time(update: Update, context: ClinicContext) -> None:
    """Holds the chosen time in the flow (not yet in the calendar) and asks for the name."""
    query = update.callback_query
    assert query is not None and query.data is not None
    if not await _ensure_flow(update, context):
        return
    start = parse_slot(query.data)
    reason = Unavailable.CLOSED if start is None else await _why_not(context, start)
    if start is None or reason is not None:
        await answer_button(
            update, context, context.text(f"booking.{reason.value if reason else 'closed'}")
        )
        if start is not None:
            context.flow.go(FLOW, TIME, day=_local_day(context, start).isoformat())
        await _show_step(update, context)
        return
    context.flow.go(
        FLOW,
        TIME,
        day=_local_day(context, start).isoformat(),
        start=slot_data(start).removeprefix(BOOK_TIME),
    )
    context.flow.step = SUMMARY if context.flow.data.get("reschedule") else NAME
    await _show_step(update, context)


async def name_ok(update: Update, context: ClinicContext) -> None:
    """Keeps the name and asks for the phone number."""
    if context.flow.name != FLOW or context.flow.step != NAME:
        await _stale(update, context)
        return
    # The name stays on screen without its buttons; the question comes as a new message
    # because only a new message can carry the share-contact keyboard.
    await show(update, context, _name_screen(context)[0])
    context.flow.step = PHONE
    await _show_step(update, context)


async def name_change(update: Update, context: ClinicContext) -> None:
    """Asks the patient to type the name."""
    if context.flow.name != FLOW or context.flow.step not in (NAME, NAME_INPUT):
        await _stale(update, context)
        return
    context.flow.step = NAME_INPUT
    await _show_step(update, context)


async def typed_name(update: Update, context: ClinicContext) -> None:
    """Stores a typed name, or asks again."""
    assert update.message is not None and update.message.text is not None
    name = " ".join(update.message.text.split())
    if not _NAME.fullmatch(name):
        await send(
            update, context, context.text("booking.name_invalid"), _name_input_screen(context)[1]
        )
        return
    context.flow.go(FLOW, PHONE, name=name)
    await _show_step(update, context, edit=False)


async def typed_phone(update: Update, context: ClinicContext) -> None:
    """Reads a typed number, or the reply keyboard's Back and Main menu."""
    assert update.message is not None and update.message.text is not None
    text = update.message.text.strip()
    if text == context.text("booking.back"):
        await _leave_phone_step(update, context)
        context.flow.step = NAME
        await _show_step(update, context, edit=False)
        return
    if text == context.text("menu.back_to_menu"):
        await _leave_phone_step(update, context)
        await show_menu(update, context)
        return
    await _take_phone(update, context, normalise_phone(text))


async def shared_contact(update: Update, context: ClinicContext) -> None:
    """Reads the number from Telegram's share-contact button."""
    assert update.message is not None and update.message.contact is not None
    digits = update.message.contact.phone_number.strip()
    # Telegram sends the number in international form, sometimes without the plus.
    await _take_phone(
        update, context, normalise_phone(digits if digits.startswith("+") else f"+{digits}")
    )


async def _take_phone(update: Update, context: ClinicContext, phone: str | None) -> None:
    if phone is None:
        await send(update, context, context.text("booking.phone_invalid"), _phone_keyboard(context))
        return
    patient_id = context.scope.patient_id
    assert patient_id is not None
    # Patients who have not taken the pre-screen are offered it before the summary.
    taken = await prescreens.latest(context.session, patient_id=patient_id)
    context.flow.go(FLOW, SUMMARY if taken else OFFER, phone=phone)
    await _leave_phone_step(
        update, context, context.text("booking.phone_ok", patient_phone=display_phone(phone))
    )
    await _show_step(update, context, edit=False)


async def _leave_phone_step(
    update: Update, context: ClinicContext, text: str | None = None
) -> None:
    """Takes the share-contact keyboard away; only a message can carry that instruction."""
    await send(update, context, text or "👌", ReplyKeyboardRemove())


async def back(update: Update, context: ClinicContext) -> None:
    """Goes one step back."""
    if context.flow.name != FLOW or context.flow.step not in _BACK:
        await _stale(update, context)
        return
    step = _BACK[context.flow.step]
    if step == PHONE and context.flow.data.get("reschedule"):
        step = TIME  # a move keeps the name and number of the original booking
    context.flow.step = step
    await _show_step(update, context)


async def _stale(update: Update, context: ClinicContext) -> None:
    notice = context.text("fallback.old_button")
    await answer_button(update, context, notice)
    if context.flow.name == FLOW:
        await _show_step(update, context, edit=False)
    else:
        await show_menu(update, context)


# -- confirming ---------------------------------------------------------------------------


async def confirm(update: Update, context: ClinicContext) -> None:
    """Books the time, or offers the nearest free ones if it was taken meanwhile."""
    flow = context.flow
    start = _start(context)
    if flow.name != FLOW or flow.step != SUMMARY or start is None or not flow.data.get("phone"):
        await _stale(update, context)
        return
    patient_id = context.scope.patient_id
    assert patient_id is not None
    schedule, now, session = context.content.schedule, context.scope.now, context.session
    old: AppointmentView | None = None
    if (old_id := flow.data.get("reschedule")) is not None:
        old = await my_appointments.own_upcoming(context, old_id)
        if old is None:
            flow.reset()
            await my_appointments.show_list(
                update, context, notice=context.text("appointments.not_available")
            )
            return
    elif (
        await appointments.count_active(session, patient_id=patient_id, now=now)
        >= schedule.per_patient
    ):
        flow.reset()
        await my_appointments.show_list(update, context, notice=context.text("booking.limit"))
        return
    reason = await _why_not(context, start)
    if reason is not None and reason is not Unavailable.TAKEN:
        await answer_button(update, context, context.text(f"booking.{reason.value}"))
        flow.go(FLOW, DAY, week=0)
        await _show_step(update, context)
        return
    status = "requested" if context.services.staff_confirm else "confirmed"
    # The newest finished pre-screen goes with the booking, for staff to see.
    prescreen = await prescreens.latest(session, patient_id=patient_id)
    prescreen_id = prescreen.id if prescreen else None
    booked: AppointmentView | None = None
    cancelled: list[AppointmentView] = []
    if reason is None and old is not None:
        moved = await appointments.reschedule(
            session,
            old_id=old.id,
            starts_at=start,
            length=schedule.length,
            capacity=schedule.capacity,
            status=status,
            now=now,
            prescreen_id=prescreen_id,
        )
        if moved is not None:
            booked, cancelled = moved.new, moved.cancelled
    elif reason is None:
        booked = await appointments.book(
            session,
            patient_id=patient_id,
            starts_at=start,
            length=schedule.length,
            capacity=schedule.capacity,
            name=flow.data["name"],
            phone=flow.data["phone"],
            status=status,
            now=now,
            prescreen_id=prescreen_id,
        )
    if booked is None:
        if reason is None:
            # Free when read, taken at insert: the unique index decided a race.
            log.info("booking lost a race for its time update_id=%s", update.update_id)
        await _just_taken(update, context, start)
        return
    await _tell_booked(update, context, booked, old, cancelled)


async def _tell_booked(
    update: Update,
    context: ClinicContext,
    booked: AppointmentView,
    old: AppointmentView | None,
    cancelled: list[AppointmentView],
) -> None:
    assert context.scope.patient_id is not None and booked.phone is not None
    session = context.session
    await save_phone(session, patient_id=context.scope.patient_id, phone=booked.phone)
    # What the move cancelled loses its pending messages; a confirmed time that a pending
    # move leaves in place keeps its reminders.
    for gone in cancelled:
        await outbox.cancel_pending(session, appointment_id=gone.id)
    to_staff(context, "staff_card", booked)
    zone = context.services.zone
    when = when_label(booked.starts_at, zone)
    if booked.status == "confirmed":
        await after_confirmation(context, booked)
        text = context.text("booking.booked", when=when)
    elif old is None:
        text = context.text("booking.requested", when=when)
    elif (kept := await appointments.replaced_by_move(session, appointment=booked)) is not None:
        old_when = when_label(kept.starts_at, zone)
        text = context.text("booking.move_requested", when=when, old_when=old_when)
    else:
        text = context.text("booking.rescheduled_requested", when=when)
    context.flow.reset()
    await show(update, context, text, _after_keyboard(context))


def _after_keyboard(context: ClinicContext) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(context.text("menu.appointments"), callback_data=APPOINTMENTS)],
            [back_to_menu_button(context)],
        ]
    )


async def _just_taken(update: Update, context: ClinicContext, wanted: datetime) -> None:
    """Tells the loser of a race, and offers the free times nearest to the one wanted."""
    zone = context.services.zone
    when = when_label(wanted, zone)
    await answer_button(update, context, context.text("booking.taken"))
    options = nearest(await _free(context), wanted, NEAREST_TIMES)
    context.flow.go(FLOW, TIME, day=_local_day(context, wanted).isoformat())
    if not options:
        await show(
            update, context, context.text("booking.none_near", when=when), menu_keyboard(context)
        )
        context.flow.reset()
        return
    await show(
        update,
        context,
        context.text("booking.just_taken", when=when),
        _times_keyboard(context, options, with_day=True),
    )


def register(application: ClinicApp) -> None:
    patient_text = PRIVATE & filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
    application.add_handlers(
        [
            CommandHandler("book", start, filters=PRIVATE),
            CallbackQueryHandler(start, pattern=f"^{BOOK}$"),
            CallbackQueryHandler(week, pattern=pattern(BOOK_WEEK, r"\d{1,2}")),
            CallbackQueryHandler(choose_day, pattern=pattern(BOOK_DAY, r"[0-9-]{10}")),
            CallbackQueryHandler(choose_time, pattern=pattern(BOOK_TIME, r"\d{12}")),
            CallbackQueryHandler(name_ok, pattern=f"^{BOOK_NAME_OK}$"),
            CallbackQueryHandler(name_change, pattern=f"^{BOOK_NAME_CHANGE}$"),
            CallbackQueryHandler(back, pattern=f"^{BOOK_BACK}$"),
            CallbackQueryHandler(confirm, pattern=f"^{BOOK_CONFIRM}$"),
            CallbackQueryHandler(skip_prescreen, pattern=f"^{BOOK_SKIP}$"),
            CallbackQueryHandler(reschedule, pattern=pattern(RESCHEDULE, r"\d{1,18}")),
            MessageHandler(patient_text & AtStep(FLOW, NAME_INPUT), typed_name),
            MessageHandler(patient_text & AtStep(FLOW, PHONE), typed_phone),
            MessageHandler(PRIVATE & filters.CONTACT & AtStep(FLOW, PHONE), shared_contact),
        ]
    )
