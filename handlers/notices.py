"""Messages sent outside the patient's own turn: staff cards, decisions, reminders.

Handlers queue them in the outbox inside the update's transaction; the dispatcher
renders each one here when it is due, from what the database holds then, so a
reminder for an appointment cancelled in the meantime renders to nothing.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from clinic.calendar_file import consultation_ics
from clinic.phone import display_phone
from clinic.schedule import reminder_expired, reminder_times
from clinic.when import day_label, when_label
from db import aftercare, appointments, prescreens
from db.appointments import AppointmentView
from db.outbox import Due
from db.patients import chat_of
from handlers.callbacks import (
    BOOK_WEEK,
    CANCEL,
    RESCHEDULE,
    STAFF_CAME,
    STAFF_CANCEL,
    STAFF_CONFIRM,
    STAFF_DECLINE,
    STAFF_NO_SHOW,
    STAFF_TREATMENT,
    THERE,
)
from handlers.context import ClinicContext
from handlers.outgoing import Outgoing, Settle
from services.context import Services
from services.outbox import queue


@dataclass(frozen=True)
class Expired:
    """A renderer's answer for a message whose moment has passed (a reminder after the
    consultation, after an outage say): the outbox records it as expired, never sends it.

    `settle`: what it settles all the same, in the transaction that records it expired
    (an aftercare day skipped still moves its plan on to the next day).
    """

    settle: Settle | None = None

    def __repr__(self) -> str:
        return "EXPIRED"


EXPIRED = Expired()

Render = Callable[[AsyncSession, Services, Due, datetime], Awaitable[Outgoing | Expired | None]]
# outbox kind -> how to render it; None means the message is no longer wanted, EXPIRED
# that it came too late to be of use.
RENDERERS: dict[str, Render] = {}


def renders(kind: str) -> Callable[[Render], Render]:
    def register(function: Render) -> Render:
        RENDERERS[kind] = function
        return function

    return register


# -- queueing, inside the update's transaction -----------------------------------------


def send_after_commit(context: ClinicContext, kind: str, chat_id: int, **row: Any) -> None:
    """Queues a message due now and has the dispatcher send it as soon as the update commits."""
    scope = context.scope
    queue(scope.session, kind=kind, chat_id=chat_id, due_at=scope.now, now=scope.now, **row)


def to_staff(context: ClinicContext, kind: str, appointment: AppointmentView) -> None:
    """Posts to the staff group as soon as the update commits (if a group is set)."""
    staff_chat_id = context.services.staff_chat_id
    if staff_chat_id is not None:
        send_after_commit(context, kind, staff_chat_id, appointment_id=appointment.id)


async def to_patient(
    context: ClinicContext,
    kind: str,
    appointment: AppointmentView,
    due_at: datetime | None = None,
    **payload: str | int,
) -> None:
    """Sends to the patient's chat when due (now, by default)."""
    scope = context.scope
    assert appointment.patient_id is not None, "the patient had their data deleted"
    queue(
        scope.session,
        kind=kind,
        chat_id=await chat_of(scope.session, patient_id=appointment.patient_id),
        patient_id=appointment.patient_id,
        appointment_id=appointment.id,
        payload=dict(payload),
        due_at=due_at or scope.now,
        now=scope.now,
    )


async def after_confirmation(context: ClinicContext, appointment: AppointmentView) -> None:
    """The confirmation, its calendar file, and the reminders still ahead."""
    await to_patient(context, "confirmed", appointment)
    await to_patient(context, "ics", appointment)
    await queue_reminders(context, appointment)


async def queue_reminders(context: ClinicContext, appointment: AppointmentView) -> None:
    """The appointment's reminders still ahead."""
    for hours, due_at in reminder_times(appointment.starts_at, context.scope.now):
        await to_patient(
            context,
            "reminder",
            appointment,
            due_at=due_at,
            hours=hours,
            starts_at=appointment.starts_at.isoformat(),
        )


# -- the staff card ---------------------------------------------------------------------


async def staff_card(
    session: AsyncSession, services: Services, appointment: AppointmentView
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The card staff see for an appointment, with the actions its status allows now."""
    texts, zone = services.content.texts, services.zone
    if appointment.rescheduled_from_id is not None:
        old = await appointments.find(session, appointment_id=appointment.rescheduled_from_id)
        old_when = when_label(old.starts_at, zone) if old else "?"
        # A request (or a declined one) is a move that has not happened: the patient
        # keeps the old time until staff confirm the new one.
        key = "staff.rescheduled" if appointment.status == "confirmed" else "staff.move_request"
        header = texts(key, old_when=old_when)
    elif appointment.status == "requested" or appointment.decided_by is not None:
        header = texts("staff.request")
    else:
        header = texts("staff.booked")
    body = texts(
        "staff.card",
        name=patient_name(services, appointment),
        patient_phone=patient_phone(appointment),
        when=when_label(appointment.starts_at, zone),
        prescreen=await prescreen_line(session, services, appointment.prescreen_id),
    )
    parts = [header, body]
    if appointment.decided_by is not None and appointment.decided_at is not None:
        key = "staff.declined_by" if appointment.status == "declined" else "staff.confirmed_by"
        by = html.escape(appointment.decided_by)
        parts.append(texts(key, staff=by, when=when_label(appointment.decided_at, zone)))
    if (status_line := _status_line(services, appointment)) is not None:
        parts.append(status_line)
    if (line := await _treatment_line(session, services, appointment)) is not None:
        parts.append(line)
    return "\n\n".join(parts), _card_keyboard(services, appointment)


def patient_name(services: Services, appointment: AppointmentView) -> str:
    """The name as booked, HTML-escaped, or a mark that the patient had it deleted."""
    if appointment.name is None:
        return services.content.texts("staff.forgotten")
    return html.escape(appointment.name)


def patient_phone(appointment: AppointmentView) -> str:
    return "—" if appointment.phone is None else display_phone(appointment.phone)


def _status_line(services: Services, appointment: AppointmentView) -> str | None:
    texts = services.content.texts
    if appointment.status == "cancelled" and appointment.cancelled_by == "staff":
        reason = html.escape(appointment.cancel_reason or texts("staff.no_reason"))
        return texts("staff.cancelled_by_clinic_note", reason=reason)
    notes = {
        "cancelled": "staff.cancelled_note",
        "completed": "staff.came_note",
        "no_show": "staff.no_show_note",
    }
    return texts(notes[appointment.status]) if appointment.status in notes else None


def _card_keyboard(services: Services, appointment: AppointmentView) -> InlineKeyboardMarkup | None:
    """Requested: confirm or decline. Confirmed: cancel while ahead; came or no-show once
    started. Confirmed or completed: record a treatment. Otherwise nothing is left to do."""
    texts, id_ = services.content.texts, appointment.id

    def button(key: str, prefix: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(texts(key), callback_data=f"{prefix}{id_}")

    rows: list[list[InlineKeyboardButton]] = []
    if appointment.status == "requested":
        rows.append(
            [button("staff.confirm", STAFF_CONFIRM), button("staff.decline", STAFF_DECLINE)]
        )
    started = services.clock() >= appointment.starts_at
    if appointment.status == "confirmed" and started:
        rows.append([button("staff.came", STAFF_CAME), button("staff.no_show", STAFF_NO_SHOW)])
    if appointment.status in TREATABLE and appointment.patient_id is not None:
        rows.append([button("staff.record", STAFF_TREATMENT)])
    if appointment.status == "confirmed" and not started:
        rows.append([button("staff.cancel", STAFF_CANCEL)])
    return InlineKeyboardMarkup(rows) if rows else None


# Statuses whose card offers "Record treatment": the patient has been seen, or will be.
TREATABLE = ("confirmed", "completed")


async def _treatment_line(
    session: AsyncSession, services: Services, appointment: AppointmentView
) -> str | None:
    """The newest treatment recorded on this card, and where its aftercare stands."""
    plan = await aftercare.of_appointment(session, appointment_id=appointment.id)
    if plan is None:
        return None
    texts = services.content.texts
    return texts(
        "staff.treatment",
        laser=services.content.aftercare.plans[plan.laser].name,
        day=day_label(plan.treated_on),
        staff=html.escape(plan.recorded_by or ""),
        text=texts(f"staff.aftercare_{plan.status}"),
    )


async def prescreen_line(
    session: AsyncSession, services: Services, prescreen_id: int | None
) -> str:
    """The outcome and its reasons in the questionnaire's words; never the answers."""
    texts = services.content.texts
    summary = None
    if prescreen_id is not None:
        summary = await prescreens.summary(session, prescreen_id=prescreen_id)
    if summary is None:
        return texts("staff.no_prescreen")
    if summary.outcome == "not_now":
        line = texts("prescreen.staff_not_now", reason="; ".join(summary.not_now))
        if summary.flags:
            line += "; " + texts("prescreen.staff_discuss", reason="; ".join(summary.flags))
    elif summary.outcome == "discuss":
        line = texts("prescreen.staff_discuss", reason="; ".join(summary.flags))
    else:
        line = texts("prescreen.staff_no_concerns")
    if summary.skin_type:
        line += "; " + texts("prescreen.staff_skin_type", skin_type=summary.skin_type)
    return html.escape(line)


# -- renderers ----------------------------------------------------------------------------


async def _appointment(session: AsyncSession, due: Due) -> AppointmentView | None:
    if due.appointment_id is None:
        return None
    return await appointments.find(session, appointment_id=due.appointment_id)


@renders("staff_card")
async def render_staff_card(
    session: AsyncSession, services: Services, due: Due, now: datetime
) -> Outgoing | None:
    appointment = await _appointment(session, due)
    if appointment is None:
        return None
    text, keyboard = await staff_card(session, services, appointment)
    return Outgoing(text, keyboard)


@renders("staff_cancelled")
async def render_staff_cancelled(
    session: AsyncSession, services: Services, due: Due, now: datetime
) -> Outgoing | None:
    appointment = await _appointment(session, due)
    if appointment is None:
        return None
    texts = services.content.texts
    if appointment.rescheduled_from_id is not None and appointment.decided_by is None:
        kept = await appointments.find(session, appointment_id=appointment.rescheduled_from_id)
        if kept is not None and kept.status == "confirmed":
            # The patient withdrew a move before staff decided: their time stays.
            return Outgoing(
                texts(
                    "staff.move_withdrawn",
                    name=patient_name(services, appointment),
                    when=when_label(appointment.starts_at, services.zone),
                    old_when=when_label(kept.starts_at, services.zone),
                )
            )
    return Outgoing(
        texts(
            "staff.cancelled",
            name=patient_name(services, appointment),
            patient_phone=patient_phone(appointment),
            when=when_label(appointment.starts_at, services.zone),
            reason=html.escape(appointment.cancel_reason or texts("staff.no_reason")),
        )
    )


def _confirmed_text(services: Services, appointment: AppointmentView) -> str:
    key = (
        "notices.confirmed_with_address" if services.content.clinic.address else "notices.confirmed"
    )
    minutes = int((appointment.ends_at - appointment.starts_at).total_seconds() // 60)
    return services.content.texts(
        key, when=when_label(appointment.starts_at, services.zone), minutes=str(minutes)
    )


def _change_buttons(services: Services, appointment: AppointmentView) -> list[InlineKeyboardButton]:
    """Reschedule and Cancel, for messages about a confirmed appointment."""
    texts = services.content.texts
    return [
        InlineKeyboardButton(
            texts("notices.reschedule"), callback_data=f"{RESCHEDULE}{appointment.id}"
        ),
        InlineKeyboardButton(texts("notices.cancel"), callback_data=f"{CANCEL}{appointment.id}"),
    ]


@renders("confirmed")
async def render_confirmed(
    session: AsyncSession, services: Services, due: Due, now: datetime
) -> Outgoing | Expired | None:
    appointment = await _appointment(session, due)
    if appointment is None or appointment.status != "confirmed":
        return None
    if now >= appointment.starts_at:
        return EXPIRED  # a confirmation of a consultation already under way or over
    keyboard = InlineKeyboardMarkup([_change_buttons(services, appointment)])
    text = _confirmed_text(services, appointment)
    if appointment.rescheduled_from_id is not None:
        old = await appointments.find(session, appointment_id=appointment.rescheduled_from_id)
        if old is not None and old.status == "cancelled" and old.starts_at > now:
            old_when = when_label(old.starts_at, services.zone)
            text += "\n\n" + services.content.texts("notices.moved_from", old_when=old_when)
    return Outgoing(text, keyboard)


@renders("ics")
async def render_ics(
    session: AsyncSession, services: Services, due: Due, now: datetime
) -> Outgoing | Expired | None:
    appointment = await _appointment(session, due)
    if appointment is None or appointment.status != "confirmed":
        return None
    if now >= appointment.starts_at:
        return EXPIRED
    texts, clinic = services.content.texts, services.content.clinic
    data = consultation_ics(
        uid=f"appointment-{appointment.id}@clinic-bot",
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        summary=texts("notices.ics_summary"),
        description=texts("notices.ics_description"),
        location=clinic.address,
        now=now,
    )
    return Outgoing(texts("notices.ics_caption"), document=("consultation.ics", data))


@renders("declined")
async def render_declined(
    session: AsyncSession, services: Services, due: Due, now: datetime
) -> Outgoing | None:
    appointment = await _appointment(session, due)
    if appointment is None or appointment.status != "declined":
        return None
    texts, zone = services.content.texts, services.zone
    when = when_label(appointment.starts_at, zone)
    if appointment.rescheduled_from_id is not None:
        # A declined move: the time it would have replaced still stands, if it does.
        kept = await appointments.find(session, appointment_id=appointment.rescheduled_from_id)
        if kept is not None and kept.status == "confirmed" and kept.starts_at > now:
            text = texts(
                "notices.move_declined", when=when, old_when=when_label(kept.starts_at, zone)
            )
            return Outgoing(text, InlineKeyboardMarkup([_change_buttons(services, kept)]))
    return Outgoing(texts("notices.declined", when=when), _book_again(services))


@renders("cancelled_by_clinic")
async def render_cancelled_by_clinic(
    session: AsyncSession, services: Services, due: Due, now: datetime
) -> Outgoing | None:
    appointment = await _appointment(session, due)
    if appointment is None or appointment.cancelled_by != "staff":
        return None
    texts = services.content.texts
    when = when_label(appointment.starts_at, services.zone)
    reason = html.escape(appointment.cancel_reason or texts("staff.no_reason"))
    text = texts("notices.cancelled_by_clinic", when=when, reason=reason)
    return Outgoing(text, _book_again(services))


def _book_again(services: Services) -> InlineKeyboardMarkup:
    """The "Choose another time" button, for a patient whose time the clinic could not keep."""
    label = services.content.texts("notices.choose_another")
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=f"{BOOK_WEEK}0")]])


@renders("reminder")
async def render_reminder(
    session: AsyncSession, services: Services, due: Due, now: datetime
) -> Outgoing | Expired | None:
    appointment = await _appointment(session, due)
    if (
        appointment is None
        or appointment.status != "confirmed"
        or due.payload.get("starts_at") != appointment.starts_at.isoformat()
    ):
        return None
    hours = int(due.payload.get("hours", 24))
    if reminder_expired(appointment.starts_at, hours, now):
        # After an outage, say: "in 2 hours" at 1 p.m. for a 10 a.m. visit helps nobody.
        return EXPIRED
    texts = services.content.texts
    when = when_label(appointment.starts_at, services.zone)
    text = (
        texts("notices.reminder_day", when=when)
        if hours >= 24
        else texts("notices.reminder_hours", when=when, hours=str(hours))
    )
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts("notices.there"), callback_data=f"{THERE}{appointment.id}"
                )
            ],
            _change_buttons(services, appointment),
        ]
    )
    return Outgoing(text, keyboard)
