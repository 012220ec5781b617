"""My appointments: the patient's upcoming consultations, to cancel or attend."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from handlers import steps
from handlers.callbacks import (
    APPOINTMENTS,
    CANCEL,
    CANCEL_REASON,
    RESCHEDULE,
    THERE,
    appointment_data,
    parse_appointment,
    parse_reason,
    pattern,
    reason_data,
)
from handlers.context import ClinicApp, ClinicContext
from handlers.navigation import (
    BOOK,
    back_to_menu,
    back_to_menu_button,
    join_waitlist_button,
    leave_waitlist_button,
)
from handlers.replies import answer_button, send, show
from services import appointments, waitlist
from services.appointments import AppointmentView, Cancelled, Done

FLOW = "appointments"
LIST, CANCELLING = "list", "cancel"
# Reasons offered as buttons, by number in the callback data; 0 is "just cancel".
REASONS = ("reason_cant_make_it", "reason_unwell", "reason_changed_mind")
MAX_REASON = 300

PRIVATE = filters.ChatType.PRIVATE


@dataclass(frozen=True)
class Cancelling:
    """The flow's state while the patient says why they cancel: which appointment (0 if
    a state saved by an older version had none, which then matches no appointment)."""

    appointment_id: int

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Cancelling:
        return cls(int(data.get("appointment", 0)))

    def data(self) -> dict[str, Any]:
        return {"appointment": self.appointment_id}


async def _list_screen(context: ClinicContext) -> tuple[str, InlineKeyboardMarkup]:
    assert context.scope.patient_id is not None
    upcoming = await appointments.upcoming(
        context.session, patient_id=context.scope.patient_id, now=context.scope.now
    )
    waiting = await waitlist.entry_of(
        context.session,
        patient_id=context.scope.patient_id,
        now=context.scope.now,
        zone=context.services.zone,
    )
    if not upcoming:
        book = InlineKeyboardButton(context.text("appointments.book"), callback_data=BOOK)
        text, rows = context.text("appointments.none"), [[book]]
        if waiting is not None:
            text += "\n\n" + context.text(
                "waitlist.appointments_waiting", day=context.dates.day(waiting.until)
            )
            rows.append([leave_waitlist_button(context)])
        return text, InlineKeyboardMarkup([*rows, [back_to_menu_button(context)]])
    lines = [context.text("appointments.title")]
    rows = []
    for line in upcoming:
        appointment = line.appointment
        status = context.text(f"appointments.{appointment.status}")
        if line.moving_from is not None:
            old_when = context.dates.when(line.moving_from.starts_at)
            status = context.text("appointments.move_pending", old_when=old_when)
        elif line.being_moved:
            status = context.text("appointments.confirmed_moving")
        lines.append(f"📅 {context.dates.when(appointment.starts_at)}\n{status}")
        day = context.dates.local_day(appointment.starts_at)
        rows.append(
            [
                InlineKeyboardButton(
                    context.text("appointments.reschedule", day=day),
                    callback_data=appointment_data(RESCHEDULE, appointment.id),
                ),
                InlineKeyboardButton(
                    context.text("appointments.cancel", day=day),
                    callback_data=appointment_data(CANCEL, appointment.id),
                ),
            ]
        )
    # Someone holding a consultation may wait for an earlier time (taking one moves it).
    if waiting is not None:
        lines.append(
            context.text("waitlist.appointments_waiting", day=context.dates.day(waiting.until))
        )
        rows.append([leave_waitlist_button(context)])
    else:
        rows.append([join_waitlist_button(context)])
    rows.append([back_to_menu_button(context)])
    return "\n\n".join(lines), InlineKeyboardMarkup(rows)


async def show_list(update: Update, context: ClinicContext, notice: str | None = None) -> None:
    """Lists the upcoming consultations, each with Move and Cancel."""
    context.flow.go(FLOW, LIST)
    text, keyboard = await _list_screen(context)
    if notice:
        await answer_button(update, context, notice[:200])
        text = f"{notice}\n\n{text}"
    await show(update, context, text, keyboard)


async def list_appointments(update: Update, context: ClinicContext) -> None:
    """Lists the upcoming consultations."""
    await show_list(update, context)


async def own_upcoming(context: ClinicContext, appointment_id: int) -> AppointmentView | None:
    """The patient's own active appointment still ahead; None for anyone else's."""
    return await appointments.own_upcoming(
        context.session,
        patient_id=context.scope.patient_id,
        appointment_id=appointment_id,
        now=context.scope.now,
    )


def _reason_screen(
    context: ClinicContext, appointment: AppointmentView
) -> tuple[str, InlineKeyboardMarkup]:
    rows = [
        [
            InlineKeyboardButton(
                context.text(f"appointments.{key}"),
                callback_data=reason_data(CANCEL_REASON, appointment.id, number),
            )
        ]
        for number, key in enumerate(REASONS, start=1)
    ]
    rows.append(
        [
            InlineKeyboardButton(
                context.text("appointments.no_reason"),
                callback_data=reason_data(CANCEL_REASON, appointment.id, 0),
            )
        ]
    )
    rows.append(
        [InlineKeyboardButton(context.text("appointments.keep"), callback_data=APPOINTMENTS)]
    )
    when = context.dates.when(appointment.starts_at)
    return context.text("appointments.ask_reason", when=when), InlineKeyboardMarkup(rows)


async def ask_cancel(update: Update, context: ClinicContext) -> None:
    """Asks for an optional reason before cancelling."""
    query = update.callback_query
    assert query is not None and query.data is not None
    appointment = await own_upcoming(context, parse_appointment(query.data, CANCEL))
    if appointment is None:
        await show_list(update, context, context.text("appointments.not_available"))
        return
    context.flow.go(FLOW, CANCELLING, **Cancelling(appointment.id).data())
    await show(update, context, *_reason_screen(context, appointment))


async def cancel_with_button(update: Update, context: ClinicContext) -> None:
    """Cancels with the reason on the button (or none)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    appointment_id, number = parse_reason(query.data, CANCEL_REASON)
    reason = None
    if 1 <= number <= len(REASONS):
        reason = context.text(f"appointments.{REASONS[number - 1]}")
    await _cancel(update, context, appointment_id, reason)


async def cancel_with_text(update: Update, context: ClinicContext) -> None:
    """Cancels with the reason the patient typed."""
    assert update.message is not None and update.message.text is not None
    reason = " ".join(update.message.text.split())[:MAX_REASON]
    await _cancel(update, context, Cancelling.of(context.flow.data).appointment_id, reason)


async def _cancel(
    update: Update, context: ClinicContext, appointment_id: int, reason: str | None
) -> None:
    result = await appointments.cancel_by_patient(
        context.session,
        patient_id=context.scope.patient_id,
        appointment_id=appointment_id,
        reason=reason,
        now=context.scope.now,
        staff_chat_id=context.services.staff_chat_id,
        offering=context.services.waitlist,
    )
    if not isinstance(result, Cancelled):
        await show_list(update, context, context.text("appointments.not_available"))
        return
    appointment, kept = result.appointment, result.kept
    context.flow.reset()
    when = context.dates.when(appointment.starts_at)
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(context.text("appointments.book_again"), callback_data=BOOK)],
            [back_to_menu_button(context)],
        ]
    )
    if kept is not None:
        old_when = context.dates.when(kept.starts_at)
        text = context.text("appointments.move_withdrawn", when=when, old_when=old_when)
        appointments_button = InlineKeyboardButton(
            context.text("menu.appointments"), callback_data=APPOINTMENTS
        )
        keyboard = InlineKeyboardMarkup([[appointments_button], [back_to_menu_button(context)]])
    else:
        text = context.text("appointments.cancelled", when=when)
    await show(update, context, text, keyboard)


async def there(update: Update, context: ClinicContext) -> None:
    """Records "I'll be there" from a reminder."""
    query = update.callback_query
    assert query is not None and query.data is not None
    result = await appointments.will_attend(
        context.session,
        patient_id=context.scope.patient_id,
        appointment_id=parse_appointment(query.data, THERE),
        now=context.scope.now,
    )
    if not isinstance(result, Done):
        await show_list(update, context, context.text("appointments.not_available"))
        return
    appointment = result.appointment
    when = context.dates.when(appointment.starts_at)
    await send(
        update, context, context.text("appointments.see_you", when=when), back_to_menu(context)
    )


# -- the steps, declared once (handlers.steps shows them again and answers stale input) --


async def _listed(context: ClinicContext) -> tuple[str, InlineKeyboardMarkup]:
    context.flow.go(FLOW, LIST)
    return await _list_screen(context)


async def _reason(context: ClinicContext) -> tuple[str, InlineKeyboardMarkup] | None:
    appointment = await own_upcoming(context, Cancelling.of(context.flow.data).appointment_id)
    return None if appointment is None else _reason_screen(context, appointment)


steps.declare(
    steps.Flow(
        FLOW,
        {LIST: steps.Step(_listed), CANCELLING: steps.Step(_reason, text=cancel_with_text)},
        otherwise=_listed,
    )
)


def register(application: ClinicApp) -> None:
    application.add_handlers(
        [
            CommandHandler("appointments", list_appointments, filters=PRIVATE),
            CallbackQueryHandler(list_appointments, pattern=f"^{APPOINTMENTS}$"),
            CallbackQueryHandler(ask_cancel, pattern=pattern(CANCEL, r"\d{1,18}")),
            CallbackQueryHandler(
                cancel_with_button, pattern=pattern(CANCEL_REASON, r"\d{1,18}:\d")
            ),
            CallbackQueryHandler(there, pattern=pattern(THERE, r"\d{1,18}")),
        ]
    )
