"""Taking a freed time offered from the waitlist ("Book it"): booked like any time,
through services.booking.book, so the appointment's seat index decides who is first.

A patient under the per-patient limit gets a new booking, with the name and number of
their newest booking (else Telegram's name and their saved number); a patient at the
limit has their latest consultation moved there (the reschedule path: with staff
confirmation the confirmed time stands until staff confirm the new one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from clinic import waitlist as policy
from clinic.waitlist import Held, OfferStatus
from db import waitlist
from db.patients import contact
from services import booking
from services.waitlist import consultations, offer_open


@dataclass(frozen=True)
class Lapsed:
    """The offer's hold ended before the patient took it."""

    starts_at: datetime
    expired_at: datetime


@dataclass(frozen=True)
class Gone:
    """Someone else took the time first (or it can no longer be booked)."""

    starts_at: datetime


@dataclass(frozen=True)
class NotOffered:
    """Not an offer this patient can take: not theirs, already taken, or their wait
    ended (they booked meanwhile, or left the list)."""


TakeResult = booking.Booked | Lapsed | Gone | NotOffered


async def take(
    session: AsyncSession,
    calendar: booking.Calendar,
    *,
    patient_id: int,
    offer_id: int,
    staff_confirm: bool,
) -> TakeResult:
    now = calendar.now
    found = await waitlist.find_offer(session, offer_id=offer_id, patient_id=patient_id)
    if found is None or not found.entry_open:
        return NotOffered()  # their wait ended: every answer saying it goes on is false
    if found.status in (OfferStatus.TAKEN, OfferStatus.ENDED):
        return NotOffered()
    # The hold passed: that is the answer, whoever took the time since (not "just before
    # you" an hour later).
    if now >= found.expires_at:
        return Lapsed(found.starts_at, found.expires_at)
    if found.status in (OfferStatus.GONE, OfferStatus.LOST):
        return Gone(found.starts_at)
    if not offer_open(found, now):
        return NotOffered()
    held = await consultations(session, patient_id=patient_id, now=now)
    taking = policy.what_taking_does(
        found.starts_at,
        [Held(one.id, one.starts_at) for one in held],
        calendar.schedule.per_patient,
    )
    if taking is None:
        return NotOffered()
    who = await contact(session, patient_id=patient_id)
    if who.phone is None:  # joining asked for one; a number is never deleted alone
        return NotOffered()
    result = await booking.book(
        session,
        calendar,
        patient_id=patient_id,
        start=found.starts_at,
        name=who.name[:128],
        phone=who.phone,
        staff_confirm=staff_confirm,
        move=taking.appointment_id if isinstance(taking, policy.Move) else None,
    )
    if isinstance(result, booking.Booked):
        await waitlist.set_offer(session, offer_id=found.id, status=OfferStatus.TAKEN)
        return result
    # Lost to someone faster (the seat index decided), or no longer bookable: the
    # patient is answered here, so no "it has gone" message follows.
    await waitlist.set_offer(session, offer_id=found.id, status=OfferStatus.LOST)
    return Gone(found.starts_at)
