"""Queueing from a handler: the update's session and time, handed to services.notify.

Thin on purpose: the rules of what is queued live in services.notify; these spare a
handler from spelling out the update's session, time and staff group.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from handlers.context import ClinicContext
from services import notify
from services.notify import AppointmentView
from services.outbox import queue


def send_after_commit(context: ClinicContext, kind: str, chat_id: int, **row: Any) -> None:
    """Queues a message due now and has the dispatcher send it as soon as the update commits."""
    scope = context.scope
    queue(scope.session, kind=kind, chat_id=chat_id, due_at=scope.now, now=scope.now, **row)


def to_staff(context: ClinicContext, kind: str, appointment: AppointmentView) -> None:
    """Posts to the staff group as soon as the update commits (if a group is set)."""
    notify.to_staff(
        context.session,
        kind=kind,
        appointment_id=appointment.id,
        staff_chat_id=context.services.staff_chat_id,
        now=context.scope.now,
    )


async def to_patient(
    context: ClinicContext,
    kind: str,
    appointment: AppointmentView,
    due_at: datetime | None = None,
    **payload: str | int,
) -> None:
    """Sends to the patient's chat when due (now, by default)."""
    await notify.to_patient(
        context.session,
        kind=kind,
        appointment=appointment,
        now=context.scope.now,
        due_at=due_at,
        **payload,
    )


async def after_confirmation(context: ClinicContext, appointment: AppointmentView) -> None:
    """The confirmation, its calendar file, and the reminders still ahead."""
    await notify.after_confirmation(
        context.session,
        appointment=appointment,
        now=context.scope.now,
        preparation=preparation(context),
    )


def preparation(context: ClinicContext) -> notify.Preparation:
    """When a treatment's preparation messages go, in the clinic's zone."""
    return notify.Preparation(context.content.schedule.treatments, context.services.zone)


async def queue_reminders(context: ClinicContext, appointment: AppointmentView) -> None:
    """The appointment's reminders still ahead."""
    await notify.queue_reminders(context.session, appointment=appointment, now=context.scope.now)
