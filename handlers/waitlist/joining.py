"""Joining and leaving the waitlist: until which day, a number if none is saved."""

from __future__ import annotations

from datetime import date

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

from clinic.phone import normalise_phone, shared_phone
from handlers import steps
from handlers.callbacks import parse_until, until_data
from handlers.context import ClinicContext
from handlers.navigation import back_to_menu_button, leave_waitlist_button, menu_keyboard, show_menu
from handlers.replies import answer_button, send, show
from handlers.steps import at, show_step, stale
from services import waitlist

FLOW = "waitlist"
CHOOSE, PHONE = "choose", "phone"


def _patient(context: ClinicContext) -> int:
    patient_id = context.scope.patient_id
    assert patient_id is not None  # the flow is a patient's, in their private chat
    return patient_id


async def _choose(context: ClinicContext) -> steps.Screen:
    found = await waitlist.choices(
        context.session,
        context.services.waitlist,
        patient_id=_patient(context),
        now=context.scope.now,
    )
    text = context.text("waitlist.ask_until")
    if found.entry is not None:
        current = context.text("waitlist.waiting_until", day=context.dates.day(found.entry.until))
        text = f"{current}\n\n{text}"
    rows = [
        [InlineKeyboardButton(context.dates.day(day), callback_data=until_data(day))]
        for day in found.days
    ]
    if found.entry is not None:
        rows.append([leave_waitlist_button(context)])
    rows.append([back_to_menu_button(context)])
    return text, InlineKeyboardMarkup(rows)


def _phone_keyboard(context: ClinicContext) -> ReplyKeyboardMarkup:
    """Telegram's share-contact button only exists on a reply keyboard."""
    return ReplyKeyboardMarkup(
        [
            [KeyboardButton(context.text("booking.share_phone"), request_contact=True)],
            [KeyboardButton(context.text("menu.back_to_menu"))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
        input_field_placeholder="416 555 0123",
    )


async def _ask_phone(context: ClinicContext) -> steps.Screen:
    return context.text("waitlist.ask_phone"), _phone_keyboard(context)


async def _not_a_patient(update: Update, context: ClinicContext) -> bool:
    """A waitlist button pressed outside a patient's private chat does nothing."""
    if context.scope.patient_id is not None:
        return False
    await answer_button(update, context)
    return True


async def start(update: Update, context: ClinicContext) -> None:
    """Asks until which day the patient wants to hear of a freed time."""
    if await _not_a_patient(update, context):
        return
    context.flow.go(FLOW, CHOOSE)
    await show_step(update, context)


async def choose_until(update: Update, context: ClinicContext) -> None:
    """Joins until the day pressed, or asks for a number first."""
    query = update.callback_query
    assert query is not None and query.data is not None
    if await _not_a_patient(update, context):
        return
    until = parse_until(query.data)
    if not at(context, FLOW, CHOOSE) or until is None:
        await stale(update, context)
        return
    await _join(update, context, until, None)


async def _join(update: Update, context: ClinicContext, until: date, phone: str | None) -> None:
    result = await waitlist.join(
        context.session,
        context.services.waitlist,
        patient_id=_patient(context),
        until=until,
        now=context.scope.now,
        phone=phone,
    )
    match result:
        case waitlist.NeedsPhone():
            context.flow.go(FLOW, PHONE, until=until.isoformat())
            await show_step(update, context, edit=False)
        case waitlist.NotADay():
            context.flow.go(FLOW, CHOOSE)
            await stale(update, context)
        case waitlist.Joined(entry=entry, moves=moves):
            context.flow.reset()
            text = context.text("waitlist.joined", day=context.dates.day(entry.until))
            text += "\n\n" + context.text(
                "waitlist.joined_moves" if moves else "waitlist.joined_books"
            )
            keyboard = InlineKeyboardMarkup(
                [[leave_waitlist_button(context)], [back_to_menu_button(context)]]
            )
            if phone is not None:  # the share-contact keyboard goes with a new message
                await send(
                    update, context, context.text("waitlist.phone_ok"), ReplyKeyboardRemove()
                )
                await send(update, context, text, keyboard)
            else:
                await show(update, context, text, keyboard)


def _chosen(context: ClinicContext) -> date | None:
    try:
        return date.fromisoformat(str(context.flow.data.get("until")))
    except ValueError:
        return None


async def typed_phone(update: Update, context: ClinicContext) -> None:
    """A typed number, or the reply keyboard's Main menu."""
    assert update.message is not None and update.message.text is not None
    text = update.message.text.strip()
    if text == context.text("menu.back_to_menu"):
        await send(update, context, "👌", ReplyKeyboardRemove())
        await show_menu(update, context)
        return
    await _take_phone(update, context, normalise_phone(text))


async def shared_contact(update: Update, context: ClinicContext) -> None:
    assert update.message is not None and update.message.contact is not None
    await _take_phone(update, context, shared_phone(update.message.contact.phone_number))


async def _take_phone(update: Update, context: ClinicContext, phone: str | None) -> None:
    until = _chosen(context)
    if until is None:
        context.flow.go(FLOW, CHOOSE)
        await show_step(update, context, edit=False)
        return
    if phone is None:
        await send(update, context, context.text("booking.phone_invalid"), _phone_keyboard(context))
        return
    await _join(update, context, until, phone)


async def leave(update: Update, context: ClinicContext) -> None:
    """Takes the patient off the waitlist."""
    if await _not_a_patient(update, context):
        return
    left = await waitlist.leave(
        context.session, patient_id=_patient(context), now=context.scope.now
    )
    context.flow.reset()
    key = "waitlist.left" if left else "waitlist.not_waiting"
    await show(
        update,
        context,
        f"{context.text(key)}\n\n{context.text('menu.prompt')}",
        menu_keyboard(context),
    )


steps.declare(
    steps.Flow(
        FLOW,
        {
            CHOOSE: steps.Step(_choose),
            PHONE: steps.Step(_ask_phone, text=typed_phone, contact=shared_contact),
        },
        otherwise=_choose,
    )
)
