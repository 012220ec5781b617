"""The patient's own data: all of it as one document (/mydata), or none of it (/forget)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from db import privacy
from services import waitlist
from services.outbox import queue

# To the staff group: an upcoming consultation went with a patient's data.
STAFF_FORGOTTEN = "staff_forgotten"


async def export(
    session: AsyncSession, *, patient_id: int, clinic_name: str, now: datetime
) -> bytes:
    """Everything stored about the patient, as a JSON document (UTF-8)."""
    document = {
        "clinic": clinic_name,
        "exported_at": now.isoformat(),
        **await privacy.everything(session, patient_id=patient_id),
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


@dataclass(frozen=True)
class Forgotten:
    cancelled: int  # upcoming consultations that went with the data


async def forget(
    session: AsyncSession,
    *,
    patient_id: int,
    staff_chat_id: int | None,
    now: datetime,
    offering: waitlist.Offering | None = None,
) -> Forgotten:
    """Deletes the patient and everything about them (their waitlist entry too); staff
    hear of each upcoming consultation that goes with it (its time only: the name and
    phone are gone), and the waitlist is offered its time."""
    cancelled = await privacy.forget(session, patient_id=patient_id, now=now)
    await waitlist.freed_many(session, offering, gone=cancelled, now=now)
    if staff_chat_id is not None:
        for appointment in cancelled:
            queue(
                session,
                kind=STAFF_FORGOTTEN,
                chat_id=staff_chat_id,
                payload={"starts_at": appointment.starts_at.isoformat()},
                due_at=now,
                now=now,
            )
    return Forgotten(cancelled=len(cancelled))
