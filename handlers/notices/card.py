"""The staff card of an appointment: its text and the buttons its status allows."""

from __future__ import annotations

import html
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from clinic.appointments import CardAction
from clinic.phone import display_phone
from clinic.statuses import AppointmentStatus
from clinic.treatment import Kind, Outcome
from handlers.callbacks import (
    STAFF_CAME,
    STAFF_CANCEL,
    STAFF_CONFIRM,
    STAFF_DECLINE,
    STAFF_NO_SHOW,
    STAFF_OUTCOME,
    STAFF_OUTCOME_NOTE,
    STAFF_TREATMENT,
    appointment_data,
)
from services import staff
from services.context import Services
from services.staff import AppointmentView, Card, OutcomeView, Summary

# Each action's button: its text and its data's prefix.
_BUTTONS = {
    CardAction.CONFIRM: ("staff.confirm", STAFF_CONFIRM),
    CardAction.DECLINE: ("staff.decline", STAFF_DECLINE),
    CardAction.CAME: ("staff.came", STAFF_CAME),
    CardAction.NO_SHOW: ("staff.no_show", STAFF_NO_SHOW),
    CardAction.RECORD: ("staff.record", STAFF_TREATMENT),
    CardAction.CANCEL: ("staff.cancel", STAFF_CANCEL),
    CardAction.OUTCOME: ("outcome.button", STAFF_OUTCOME),
}


async def staff_card(
    session: AsyncSession, services: Services, appointment: AppointmentView, now: datetime
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The card staff see for an appointment, with the actions its status allows at `now`."""
    return render_card(services, await staff.card(session, appointment, now=now))


def render_card(services: Services, card: Card) -> tuple[str, InlineKeyboardMarkup | None]:
    staff_reads, appointment = services.for_staff, card.appointment
    texts, dates = staff_reads.texts, staff_reads.dates(services.zone)
    if appointment.rescheduled_from_id is not None:
        old_when = dates.when(card.moved_from.starts_at) if card.moved_from else "?"
        # A request (or a declined one) is a move that has not happened: the patient
        # keeps the old time until staff confirm the new one.
        key = (
            "staff.rescheduled"
            if appointment.status == AppointmentStatus.CONFIRMED
            else "staff.move_request"
        )
        header = texts(key, old_when=old_when)
    elif appointment.kind is Kind.TREATMENT:
        requested = (
            appointment.status == AppointmentStatus.REQUESTED or appointment.decided_by is not None
        )
        header = texts("treatment.staff_request" if requested else "treatment.staff_booked")
    elif appointment.status == AppointmentStatus.REQUESTED or appointment.decided_by is not None:
        header = texts("staff.request")
    else:
        header = texts("staff.booked")
    body = texts(
        "staff.card",
        name=patient_name(services, appointment),
        patient_phone=patient_phone(appointment),
        when=dates.when(appointment.starts_at),
        prescreen=prescreen_line(services, card.prescreen),
        language=_language(services, card),
    )
    parts = [header, body]
    if appointment.kind is Kind.TREATMENT and appointment.laser is not None:
        parts.append(
            texts(
                "treatment.staff_session",
                laser=staff_reads.aftercare.plans[appointment.laser].name,
                text=texts(
                    "treatment.staff_agreed"
                    if appointment.aftercare_agreed
                    else "treatment.staff_ask"
                ),
            )
        )
    if (outcome := card.outcome) is not None:
        parts.append(_outcome_line(services, outcome))
    if appointment.decided_by is not None and appointment.decided_at is not None:
        key = (
            "staff.declined_by"
            if appointment.status == AppointmentStatus.DECLINED
            else "staff.confirmed_by"
        )
        by = html.escape(appointment.decided_by)
        parts.append(texts(key, staff=by, when=dates.when(appointment.decided_at)))
    if (status_line := _status_line(services, appointment)) is not None:
        parts.append(status_line)
    if (plan := card.treatment) is not None:
        parts.append(
            texts(
                "staff.treatment",
                laser=services.for_staff.aftercare.plans[plan.laser].name,
                day=dates.day(plan.treated_on),
                staff=html.escape(plan.recorded_by or ""),
                text=texts(f"staff.aftercare_{plan.status}"),
            )
        )
    rows = [
        [
            InlineKeyboardButton(
                texts(_BUTTONS[action][0]),
                callback_data=appointment_data(_BUTTONS[action][1], appointment.id),
            )
            for action in row
        ]
        for row in card.actions
    ]
    if (outcome := card.outcome) is not None and outcome.outcome is Outcome.PLANNED:
        # The clinician's note for the patient: asked for in a message staff reply to.
        key = "outcome.note_change" if outcome.note else "outcome.note_add"
        data = appointment_data(STAFF_OUTCOME_NOTE, appointment.id)
        rows.append([InlineKeyboardButton(texts(key), callback_data=data)])
    return "\n\n".join(parts), InlineKeyboardMarkup(rows) if rows else None


def _outcome_line(services: Services, outcome: OutcomeView) -> str:
    """What the consultation concluded, and who recorded it (HTML)."""
    staff_reads = services.for_staff
    texts = staff_reads.texts
    by = html.escape(outcome.recorded_by)
    if outcome.outcome is Outcome.PLANNED and outcome.laser is not None:
        line = texts(
            "outcome.card_planned",
            laser=staff_reads.aftercare.plans[outcome.laser].name,
            number=str(outcome.sessions or 1),
            staff=by,
        )
    else:
        line = texts("outcome.card", text=texts(f"outcome.{outcome.outcome}"), staff=by)
    if outcome.note:
        line += "\n" + texts("outcome.card_note", note=html.escape(outcome.note))
    return line


def _language(services: Services, card: Card) -> str:
    """The patient's language, as staff name it ("French", "anglais")."""
    if card.appointment.patient_id is None:
        return "—"
    return services.for_staff.name_of(services.speaking(*card.language).language)


def patient_name(services: Services, appointment: AppointmentView) -> str:
    """The name as booked, HTML-escaped, or a mark that the patient had it deleted."""
    if appointment.name is None:
        return services.for_staff.texts("staff.forgotten")
    return html.escape(appointment.name)


def patient_phone(appointment: AppointmentView) -> str:
    return "—" if appointment.phone is None else display_phone(appointment.phone)


def _status_line(services: Services, appointment: AppointmentView) -> str | None:
    texts = services.for_staff.texts
    if appointment.status == AppointmentStatus.CANCELLED and appointment.cancelled_by == "staff":
        said = appointment.cancel_reason
        reason = html.escape(
            services.content.reword(said, services.for_staff) if said else texts("staff.no_reason")
        )
        return texts("staff.cancelled_by_clinic_note", reason=reason)
    notes = {
        AppointmentStatus.CANCELLED: "staff.cancelled_note",
        AppointmentStatus.COMPLETED: "staff.came_note",
        AppointmentStatus.NO_SHOW: "staff.no_show_note",
    }
    note = notes.get(appointment.status)
    return None if note is None else texts(note)


def prescreen_line(services: Services, summary: Summary | None) -> str:
    """The outcome and its reasons in the questionnaire's words; never the answers (HTML)."""
    staff_reads = services.for_staff
    texts = staff_reads.texts
    if summary is None:
        return texts("staff.no_prescreen")
    # Stored in the patient's language; staff read them in theirs.
    not_now = "; ".join(services.content.reword(said, staff_reads) for said in summary.not_now)
    flags = "; ".join(services.content.reword(said, staff_reads) for said in summary.flags)
    if summary.outcome == "not_now":
        line = texts("prescreen.staff_not_now", reason=not_now)
        if summary.flags:
            line += "; " + texts("prescreen.staff_discuss", reason=flags)
    elif summary.outcome == "discuss":
        line = texts("prescreen.staff_discuss", reason=flags)
    else:
        line = texts("prescreen.staff_no_concerns")
    if summary.skin_type:
        line += "; " + texts("prescreen.staff_skin_type", skin_type=summary.skin_type)
    return html.escape(line)
