"""A warning sign after a treatment: who staff hear about, and the patient told so.

Anyone can report a sign (a button, or words the patient typed); the patient always
gets the call-the-clinic answer (handlers.triage). Staff are alerted only about
patients the clinic has treated (they have an aftercare plan, in any state). The
patient hears that the clinic knows once the alert is in the staff group (`heard`),
and who is calling back when a staff member takes it (`take`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from clinic.triage import Finding
from db import aftercare, outbox, patients
from db.aftercare import PlanView
from db.patients import Contact
from services.outbox import queue

ALERT = "triage_alert"  # to the staff group
HEARD = "alert_heard"  # to the patient: the staff group has the alert
ON_IT = "alert_on_it"  # to the patient: who is calling back


@dataclass(frozen=True)
class Reported:
    alerted: bool  # whether staff will hear of it


async def report(
    session: AsyncSession,
    *,
    patient_id: int,
    findings: Sequence[Finding],
    staff_chat_id: int | None,
    now: datetime,
) -> Reported:
    """Queues the staff's alert, at once, if the clinic treated this patient. The alert
    is a row about the patient in the staff's chat: blocking the bot or stopping a plan
    leaves it; deleting their data takes it."""
    treated = await aftercare.newest(session, patient_id=patient_id) is not None
    if not treated or staff_chat_id is None:
        return Reported(alerted=False)
    queue(
        session,
        kind=ALERT,
        chat_id=staff_chat_id,
        patient_id=patient_id,
        payload={
            "signs": [finding.sign for finding in findings],
            "words": [word for finding in findings for word in finding.words],
        },
        due_at=now,
        now=now,
    )
    return Reported(alerted=True)


async def heard(
    session: AsyncSession, *, delivered: Sequence[tuple[int, int]], now: datetime
) -> None:
    """Alerts (patient id, their chat) are in the staff group: each patient is told."""
    await outbox.enqueue_many(
        session,
        rows=[
            {"kind": HEARD, "chat_id": chat_id, "patient_id": patient_id, "due_at": now, "now": now}
            for patient_id, chat_id in delivered
        ],
    )


async def take(session: AsyncSession, *, patient_id: int, staff: str, now: datetime) -> bool:
    """A staff member takes an alert ("I'm on it"): the patient is told who is calling
    back. False if the patient had their data deleted since."""
    chat_id = await patients.find_chat(session, patient_id=patient_id)
    if chat_id is None:
        return False
    queue(
        session,
        kind=ON_IT,
        chat_id=chat_id,
        patient_id=patient_id,
        payload={"staff": staff},
        due_at=now,
        now=now,
    )
    return True


@dataclass(frozen=True)
class AlertView:
    """What the staff's alert shows of the patient: how to reach them, their treatment."""

    contact: Contact
    plan: PlanView | None


async def alert_view(session: AsyncSession, *, patient_id: int) -> AlertView:
    return AlertView(
        contact=await patients.contact(session, patient_id=patient_id),
        plan=await aftercare.newest(session, patient_id=patient_id),
    )
