"""How each scheduled message about an appointment reads when it is due: the staff
group's posts and the patient's confirmation, calendar file, decline, cancellation and
reminders. Rendered from what the database holds then: a message whose appointment
changed meanwhile renders to nothing (None) or is EXPIRED."""

from __future__ import annotations

import html
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from clinic.calendar_file import consultation_ics
from clinic.content import Content
from clinic.schedule import reminder_expired
from clinic.statuses import AppointmentStatus
from clinic.treatment import Kind
from handlers.callbacks import BOOK_WEEK, CANCEL, RESCHEDULE, THERE, TREAT_BOOK, appointment_data
from handlers.notices.card import patient_name, patient_phone, staff_card
from handlers.notices.registry import EXPIRED, Expired, renders
from handlers.outgoing import Outgoing
from services import appointments, notify
from services.appointments import AppointmentView
from services.context import Services
from services.notify import Due

CONFIRMED = AppointmentStatus.CONFIRMED


def _about(appointment: AppointmentView) -> str:
    """The texts.toml section of a message about this appointment: a treatment session's
    own words, or a consultation's."""
    return "treatment" if appointment.kind is Kind.TREATMENT else "notices"


async def _appointment(session: AsyncSession, due: Due) -> AppointmentView | None:
    if due.appointment_id is None:
        return None
    return await appointments.find(session, appointment_id=due.appointment_id)


@renders(notify.STAFF_CARD)
async def render_staff_card(
    session: AsyncSession, services: Services, due: Due, now: datetime, content: Content
) -> Outgoing | None:
    appointment = await _appointment(session, due)
    if appointment is None:
        return None
    text, keyboard = await staff_card(session, services, appointment, now)
    return Outgoing(text, keyboard)


@renders(notify.STAFF_CANCELLED)
async def render_staff_cancelled(
    session: AsyncSession, services: Services, due: Due, now: datetime, content: Content
) -> Outgoing | None:
    appointment = await _appointment(session, due)
    if appointment is None:
        return None
    texts = content.texts
    if appointment.rescheduled_from_id is not None and appointment.decided_by is None:
        kept = await appointments.find(session, appointment_id=appointment.rescheduled_from_id)
        if kept is not None and kept.status == CONFIRMED:
            # The patient withdrew a move before staff decided: their time stays.
            return Outgoing(
                texts(
                    "staff.move_withdrawn",
                    name=patient_name(services, appointment),
                    when=content.dates(services.zone).when(appointment.starts_at),
                    old_when=content.dates(services.zone).when(kept.starts_at),
                )
            )
    return Outgoing(
        texts(
            "staff.cancelled",
            name=patient_name(services, appointment),
            patient_phone=patient_phone(appointment),
            when=content.dates(services.zone).when(appointment.starts_at),
            reason=html.escape(_reason(services, content, appointment)),
        )
    )


def _reason(services: Services, content: Content, appointment: AppointmentView) -> str:
    """Why it was cancelled, in the reader's words: picked from a list in the language of
    whoever cancelled."""
    if appointment.cancel_reason is None:
        return content.texts("staff.no_reason")
    return services.content.reword(appointment.cancel_reason, content)


def _confirmed_text(services: Services, content: Content, appointment: AppointmentView) -> str:
    about = _about(appointment)
    key = f"{about}.confirmed_with_address" if content.clinic.address else f"{about}.confirmed"
    minutes = int((appointment.ends_at - appointment.starts_at).total_seconds() // 60)
    return content.texts(
        key, when=content.dates(services.zone).when(appointment.starts_at), minutes=str(minutes)
    )


def _change_buttons(content: Content, appointment: AppointmentView) -> list[InlineKeyboardButton]:
    """Reschedule and Cancel, for messages about a confirmed appointment."""
    texts = content.texts
    return [
        InlineKeyboardButton(
            texts("notices.reschedule"), callback_data=appointment_data(RESCHEDULE, appointment.id)
        ),
        InlineKeyboardButton(
            texts("notices.cancel"), callback_data=appointment_data(CANCEL, appointment.id)
        ),
    ]


@renders(notify.CONFIRMED)
async def render_confirmed(
    session: AsyncSession, services: Services, due: Due, now: datetime, content: Content
) -> Outgoing | Expired | None:
    appointment = await _appointment(session, due)
    if appointment is None or appointment.status != CONFIRMED:
        return None
    if now >= appointment.starts_at:
        return EXPIRED  # a confirmation of a consultation already under way or over
    keyboard = InlineKeyboardMarkup([_change_buttons(content, appointment)])
    text = _confirmed_text(services, content, appointment)
    if appointment.rescheduled_from_id is not None:
        old = await appointments.find(session, appointment_id=appointment.rescheduled_from_id)
        if old is not None and old.status == AppointmentStatus.CANCELLED and old.starts_at > now:
            old_when = content.dates(services.zone).when(old.starts_at)
            text += "\n\n" + content.texts("notices.moved_from", old_when=old_when)
    return Outgoing(text, keyboard)


@renders(notify.ICS)
async def render_ics(
    session: AsyncSession, services: Services, due: Due, now: datetime, content: Content
) -> Outgoing | Expired | None:
    appointment = await _appointment(session, due)
    if appointment is None or appointment.status != CONFIRMED:
        return None
    if now >= appointment.starts_at:
        return EXPIRED
    texts, clinic = content.texts, content.clinic
    data = consultation_ics(
        uid=f"appointment-{appointment.id}@clinic-bot",
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        summary=texts(f"{_about(appointment)}.ics_summary"),
        description=texts(f"{_about(appointment)}.ics_description"),
        location=clinic.address,
        now=now,
    )
    name = "treatment.ics" if appointment.kind is Kind.TREATMENT else "consultation.ics"
    return Outgoing(texts(f"{_about(appointment)}.ics_caption"), document=(name, data))


@renders(notify.DECLINED)
async def render_declined(
    session: AsyncSession, services: Services, due: Due, now: datetime, content: Content
) -> Outgoing | None:
    appointment = await _appointment(session, due)
    if appointment is None or appointment.status != AppointmentStatus.DECLINED:
        return None
    texts, zone = content.texts, services.zone
    when = content.dates(zone).when(appointment.starts_at)
    if appointment.rescheduled_from_id is not None:
        # A declined move: the time it would have replaced still stands, if it does.
        kept = await appointments.find(session, appointment_id=appointment.rescheduled_from_id)
        if kept is not None and kept.status == CONFIRMED and kept.starts_at > now:
            text = texts(
                "notices.move_declined",
                when=when,
                old_when=content.dates(zone).when(kept.starts_at),
            )
            return Outgoing(text, InlineKeyboardMarkup([_change_buttons(content, kept)]))
    return Outgoing(texts("notices.declined", when=when), _book_again(content, appointment))


@renders(notify.CANCELLED_BY_CLINIC)
async def render_cancelled_by_clinic(
    session: AsyncSession, services: Services, due: Due, now: datetime, content: Content
) -> Outgoing | None:
    appointment = await _appointment(session, due)
    if appointment is None or appointment.cancelled_by != "staff":
        return None
    texts = content.texts
    when = content.dates(services.zone).when(appointment.starts_at)
    reason = html.escape(_reason(services, content, appointment))
    text = texts(f"{_about(appointment)}.cancelled_by_clinic", when=when, reason=reason)
    return Outgoing(text, _book_again(content, appointment))


def _book_again(content: Content, appointment: AppointmentView) -> InlineKeyboardMarkup:
    """The "Choose another time" button, for a patient whose time the clinic could not
    keep: a treatment's calendar for a treatment session."""
    label = content.texts("notices.choose_another")
    data = f"{BOOK_WEEK}0"
    if appointment.kind is Kind.TREATMENT and appointment.consultation_id is not None:
        data = appointment_data(TREAT_BOOK, appointment.consultation_id)
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data)]])


@renders(notify.REMINDER)
async def render_reminder(
    session: AsyncSession, services: Services, due: Due, now: datetime, content: Content
) -> Outgoing | Expired | None:
    appointment = await _appointment(session, due)
    if (
        appointment is None
        or appointment.status != CONFIRMED
        or due.payload.get("starts_at") != appointment.starts_at.isoformat()
    ):
        return None
    hours = int(due.payload.get("hours", 24))
    if reminder_expired(appointment.starts_at, hours, now):
        # After an outage, say: "in 2 hours" at 1 p.m. for a 10 a.m. visit helps nobody.
        return EXPIRED
    texts = content.texts
    when = content.dates(services.zone).when(appointment.starts_at)
    about = _about(appointment)
    text = (
        texts(f"{about}.reminder_day", when=when)
        if hours >= 24
        else texts(f"{about}.reminder_hours", when=when, hours=str(hours))
    )
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts("notices.there"), callback_data=appointment_data(THERE, appointment.id)
                )
            ],
            _change_buttons(content, appointment),
        ]
    )
    return Outgoing(text, keyboard)
