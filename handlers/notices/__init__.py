"""Messages sent outside the patient's own turn: staff cards, decisions, reminders.

Use cases queue them in the outbox inside the update's transaction (services.notify);
the dispatcher renders each one when it is due, from what the database holds then, so
a reminder for an appointment cancelled in the meantime renders to nothing.

- registry: the renderers by outbox kind (`renders`, `RENDERERS`, `EXPIRED`);
- queueing: a handler's shortcuts to services.notify with the update's session and time;
- card: the staff card of an appointment;
- renderers: the appointment messages, registered on import.
"""

from __future__ import annotations

from handlers.notices import renderers as _renderers  # noqa: F401  (registers them)
from handlers.notices.card import patient_name, patient_phone, prescreen_line, staff_card
from handlers.notices.queueing import (
    after_confirmation,
    queue_reminders,
    send_after_commit,
    to_patient,
    to_staff,
)
from handlers.notices.registry import EXPIRED, RENDERERS, Expired, Render, renders

__all__ = [
    "EXPIRED",
    "RENDERERS",
    "Expired",
    "Render",
    "after_confirmation",
    "patient_name",
    "patient_phone",
    "prescreen_line",
    "queue_reminders",
    "renders",
    "send_after_commit",
    "staff_card",
    "to_patient",
    "to_staff",
]
