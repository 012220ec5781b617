"""Appointment rules that need no database: what a staff card offers, when a recorded
treatment completes the appointment. Pure functions; `now` is a parameter."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from clinic.statuses import TREATABLE, AppointmentStatus
from clinic.treatment import Kind


class CardAction(StrEnum):
    """A button on the staff card of an appointment."""

    CONFIRM = "confirm"
    DECLINE = "decline"
    CAME = "came"
    NO_SHOW = "no_show"
    RECORD = "record"  # record a treatment
    CANCEL = "cancel"
    OUTCOME = "outcome"  # what the consultation concluded


def outcome_open(status: AppointmentStatus, *, starts_at: datetime, now: datetime) -> bool:
    """A consultation's outcome can be recorded once it has started (confirmed), or
    once the patient came (completed)."""
    return status == AppointmentStatus.COMPLETED or (
        status == AppointmentStatus.CONFIRMED and now >= starts_at
    )


def card_actions(
    status: AppointmentStatus,
    *,
    starts_at: datetime,
    now: datetime,
    has_patient: bool,
    kind: Kind = Kind.CONSULTATION,
    has_outcome: bool = False,
) -> tuple[tuple[CardAction, ...], ...]:
    """The card's rows of buttons. Requested: confirm or decline. Confirmed: cancel while
    ahead; came or no-show once started. A confirmed or completed consultation (with a
    patient whose data is still here): its outcome, until recorded, and record a
    treatment. A treatment session records itself when marked came. Otherwise nothing
    is left to do."""
    started = now >= starts_at
    rows: list[tuple[CardAction, ...]] = []
    if status == AppointmentStatus.REQUESTED:
        rows.append((CardAction.CONFIRM, CardAction.DECLINE))
    if status == AppointmentStatus.CONFIRMED and started:
        rows.append((CardAction.CAME, CardAction.NO_SHOW))
    consultation = kind is Kind.CONSULTATION
    # Shown from the confirmation on, as a card stays in the group for hours: pressed
    # before the consultation has started, it answers "not yet".
    if consultation and has_patient and not has_outcome and status in TREATABLE:
        rows.append((CardAction.OUTCOME,))
    if status in TREATABLE and has_patient and consultation:
        rows.append((CardAction.RECORD,))
    if status == AppointmentStatus.CONFIRMED and not started:
        rows.append((CardAction.CANCEL,))
    return tuple(rows)


def treatment_completes(status: AppointmentStatus, *, starts_at: datetime, now: datetime) -> bool:
    """A treatment recorded on a confirmed appointment after its start time says the
    patient came: the appointment is completed."""
    return status == AppointmentStatus.CONFIRMED and now >= starts_at


def attendance_open(status: AppointmentStatus, *, starts_at: datetime, now: datetime) -> bool:
    """Came or no-show can be marked on a confirmed appointment once it has started."""
    return status == AppointmentStatus.CONFIRMED and now >= starts_at
