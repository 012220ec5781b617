"""Appointment rules that need no database: what a staff card offers, when a recorded
treatment completes the appointment. Pure functions; `now` is a parameter."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from clinic.statuses import TREATABLE, AppointmentStatus


class CardAction(StrEnum):
    """A button on the staff card of an appointment."""

    CONFIRM = "confirm"
    DECLINE = "decline"
    CAME = "came"
    NO_SHOW = "no_show"
    RECORD = "record"  # record a treatment
    CANCEL = "cancel"


def card_actions(
    status: AppointmentStatus, *, starts_at: datetime, now: datetime, has_patient: bool
) -> tuple[tuple[CardAction, ...], ...]:
    """The card's rows of buttons. Requested: confirm or decline. Confirmed: cancel while
    ahead; came or no-show once started. Confirmed or completed (with a patient whose data
    is still here): record a treatment. Otherwise nothing is left to do."""
    started = now >= starts_at
    rows: list[tuple[CardAction, ...]] = []
    if status == AppointmentStatus.REQUESTED:
        rows.append((CardAction.CONFIRM, CardAction.DECLINE))
    if status == AppointmentStatus.CONFIRMED and started:
        rows.append((CardAction.CAME, CardAction.NO_SHOW))
    if status in TREATABLE and has_patient:
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
