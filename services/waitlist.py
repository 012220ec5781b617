"""The waitlist: a patient asks to hear of an earlier free consultation time until a
day of their choosing; a time that frees up is offered to everyone waiting whose day
covers it, in the order they joined, and the first to take it books it like anyone
(services.waitlist_take, through services.booking.book).

The rules are clinic.waitlist's, the queries db.waitlist's. `freed` is called by every
use case that frees a time ahead (a cancellation, a declined request, a move away,
/forget), `booked` by every booking.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from clinic import schedule as rules
from clinic import waitlist as policy
from clinic.schedule import Schedule
from clinic.treatment import Kind
from clinic.waitlist import EntryEnd, Held, OfferStatus
from clinic.when import local_date
from db import appointments, waitlist
from db.patients import chat_of, save_phone, saved_phone
from db.waitlist import EntryView, OfferView, Waiting
from services.outbox import queue

__all__ = ["EntryView", "OfferView", "Waiting"]

# Outbox kinds, rendered by handlers.waitlist.
OFFER = "waitlist_offer"  # a freed time, with "Book it"
GONE = "waitlist_gone"  # someone else took a time this patient was offered


@dataclass(frozen=True)
class Offering:
    """What offering a freed time needs: the schedule's rules, the clinic's zone, and
    how long each offer can be taken (WAITLIST_HOLD_MINUTES)."""

    schedule: Schedule
    zone: ZoneInfo
    hold: timedelta


# -- the patient's side -----------------------------------------------------------------


@dataclass(frozen=True)
class Choices:
    """The days the patient may wait until; `entry` if they already wait."""

    days: list[date]
    entry: EntryView | None
    # Whether a number is saved: taking an offer books with it in one tap.
    has_phone: bool


@dataclass(frozen=True)
class Joined:
    entry: EntryView
    # Whether taking an offer will move the patient's consultation (at their limit).
    moves: bool


@dataclass(frozen=True)
class NotADay:
    """The day chosen is not one offered (an old or forged button)."""


@dataclass(frozen=True)
class NeedsPhone:
    """No number is saved: taking an offer in one tap needs one."""


def _days(offering: Offering, now: datetime) -> tuple[date, list[date]]:
    today, last = rules.bookable_days(offering.schedule, now, offering.zone)
    return today, policy.until_choices(today, last)


async def choices(
    session: AsyncSession, offering: Offering, *, patient_id: int, now: datetime
) -> Choices:
    today, days = _days(offering, now)
    entry = await waitlist.open_entry(session, patient_id=patient_id, today=today)
    phone = await saved_phone(session, patient_id=patient_id)
    return Choices(days, entry, phone is not None)


async def join(
    session: AsyncSession,
    offering: Offering,
    *,
    patient_id: int,
    until: date,
    now: datetime,
    phone: str | None = None,
) -> Joined | NotADay | NeedsPhone:
    """Puts the patient on the waitlist until `until` (or changes their day). Taking an
    offer books in one tap, so a number is needed: `phone`, or the one saved."""
    today, days = _days(offering, now)
    if until not in days:
        return NotADay()
    if phone is not None:
        await save_phone(session, patient_id=patient_id, phone=phone)
    elif await saved_phone(session, patient_id=patient_id) is None:
        return NeedsPhone()
    entry = await waitlist.join(session, patient_id=patient_id, until=until, today=today, now=now)
    held = await appointments.count_active(session, patient_id=patient_id, now=now)
    return Joined(entry, moves=held >= offering.schedule.per_patient)


async def leave(session: AsyncSession, *, patient_id: int, now: datetime) -> bool:
    """Takes the patient off the waitlist; whether they were on it."""
    return (
        await waitlist.end(session, patient_id=patient_id, reason=EntryEnd.LEFT, now=now)
        is not None
    )


async def entry_of(
    session: AsyncSession, *, patient_id: int, now: datetime, zone: ZoneInfo
) -> EntryView | None:
    """The patient's open entry (its day not passed), if any."""
    return await waitlist.open_entry(session, patient_id=patient_id, today=local_date(now, zone))


# -- a time frees up ------------------------------------------------------------------------


async def consultations(
    session: AsyncSession, *, patient_id: int, now: datetime
) -> list[appointments.AppointmentView]:
    """The consultations the patient holds ahead: what the per-patient limit counts and
    what taking a freed time may move. A treatment session is neither (it has its own
    calendar and limit): it must never be moved to a consultation's time."""
    return await appointments.upcoming_for_patient(
        session, patient_id=patient_id, now=now, kind=Kind.CONSULTATION
    )


async def freed(
    session: AsyncSession,
    offering: Offering | None,
    *,
    starts_at: datetime,
    now: datetime,
    freed_by: int | None = None,
) -> int:
    """Offers a time that just freed up to each waiting patient whose day covers it, in
    the order they joined; returns how many were offered it.

    Only a time anyone could book now (open, the minimum notice away, within the
    horizon, not taken again) is offered, and only to a patient for whom taking it
    works within the per-patient limit: under it, or holding a later consultation to
    move. The patient who freed it is not offered it back. None: no offering (a use
    case called without the waitlist, in tests of other things).
    """
    if offering is None:
        return 0
    schedule, zone = offering.schedule, offering.zone
    holding = await appointments.booked_between(
        session, start=now, end=now + timedelta(days=schedule.horizon_days + 2)
    )
    if rules.why_unavailable(schedule, holding, now, zone, starts_at) is not None:
        return 0
    today = local_date(now, zone)
    count = 0
    expires_at = policy.hold_ends(now, offering.hold)
    for entry in await waitlist.covering(session, day=local_date(starts_at, zone), today=today):
        if entry.patient_id == freed_by:
            continue
        if await waitlist.offered(session, entry_id=entry.id, starts_at=starts_at):
            continue
        held = await consultations(session, patient_id=entry.patient_id, now=now)
        taking = policy.what_taking_does(
            starts_at, [Held(one.id, one.starts_at) for one in held], schedule.per_patient
        )
        if taking is None:
            continue
        offer_id = await waitlist.add_offer(
            session, entry_id=entry.id, starts_at=starts_at, now=now, expires_at=expires_at
        )
        queue(
            session,
            kind=OFFER,
            chat_id=await chat_of(session, patient_id=entry.patient_id),
            due_at=now,
            now=now,
            patient_id=entry.patient_id,
            payload={"offer": offer_id},
        )
        count += 1
    return count


class Freed(Protocol):
    """An appointment that gave up its time (cancelled, declined, moved away)."""

    @property
    def starts_at(self) -> datetime: ...

    @property
    def kind(self) -> Kind: ...


async def freed_many(
    session: AsyncSession,
    offering: Offering | None,
    *,
    gone: Sequence[Freed],
    now: datetime,
    freed_by: int | None = None,
) -> None:
    """The times these appointments gave up, offered to the waitlist. Only a
    consultation's: a treatment session's time is of its own calendar, which nobody
    waits on."""
    times = {one.starts_at for one in gone if one.kind is Kind.CONSULTATION}
    for starts_at in sorted(times):
        if starts_at > now:
            await freed(session, offering, starts_at=starts_at, now=now, freed_by=freed_by)


# -- a time is booked ----------------------------------------------------------------------


async def booked(
    session: AsyncSession, *, patient_id: int, starts_at: datetime, still_free: bool, now: datetime
) -> None:
    """A patient booked (or moved to) `starts_at`: their entry ends, and if the time is
    no longer free, everyone still holding an offer of it is told it has gone."""
    await waitlist.end(session, patient_id=patient_id, reason=EntryEnd.BOOKED, now=now)
    if still_free:
        return
    for offer_id, other in await waitlist.withdraw(session, starts_at=starts_at, now=now):
        queue(
            session,
            kind=GONE,
            chat_id=await chat_of(session, patient_id=other),
            due_at=now,
            now=now,
            patient_id=other,
            payload={"offer": offer_id},
        )


# -- reading an offer (its message, when due) ------------------------------------------------


async def offer(session: AsyncSession, *, offer_id: int) -> OfferView | None:
    return await waitlist.find_offer(session, offer_id=offer_id)


async def still_free(
    session: AsyncSession, offering: Offering, *, starts_at: datetime, now: datetime
) -> bool:
    """Whether `starts_at` can still be booked by anyone now."""
    schedule = offering.schedule
    holding = await appointments.booked_between(
        session, start=now, end=now + timedelta(days=schedule.horizon_days + 2)
    )
    return rules.why_unavailable(schedule, holding, now, offering.zone, starts_at) is None


async def moving(
    session: AsyncSession, offering: Offering, *, offer: OfferView, now: datetime
) -> datetime | None:
    """When the consultation that taking `offer` would move starts; None for a new
    booking."""
    held = await consultations(session, patient_id=offer.patient_id, now=now)
    taking = policy.what_taking_does(
        offer.starts_at,
        [Held(one.id, one.starts_at) for one in held],
        offering.schedule.per_patient,
    )
    if not isinstance(taking, policy.Move):
        return None
    return next(one.starts_at for one in held if one.id == taking.appointment_id)


def offer_open(found: OfferView, now: datetime) -> bool:
    """Whether the offer can still be taken: open, its entry waiting, within its hold."""
    return found.status == OfferStatus.OPEN and found.entry_open and now < found.expires_at


# -- staff and housekeeping -------------------------------------------------------------------


async def everyone_waiting(
    session: AsyncSession, *, now: datetime, zone: ZoneInfo
) -> list[Waiting]:
    return await waitlist.waiting(session, today=local_date(now, zone))


async def end_passed(session: AsyncSession, *, now: datetime, zone: ZoneInfo) -> int:
    """Ends the entries whose last day is behind (the hourly housekeeping)."""
    return await waitlist.end_passed(session, today=local_date(now, zone), now=now)
