"""Booking a consultation: the free days and times, the per-patient limit, taking a
time (or losing it to someone faster), and moving an appointment to a new time.

The handlers in handlers/booking/ parse the buttons, call one of these and render
what it returns; the queries are db.appointments', the rules clinic.schedule's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from clinic import schedule as rules
from clinic.booking_days import last_page, page_days
from clinic.schedule import Schedule
from clinic.statuses import AppointmentStatus
from clinic.treatment import Kind
from clinic.when import local_date
from db import appointments, outbox, prescreens
from db.appointments import AppointmentView, TreatmentOrder
from db.patients import save_phone, saved_phone
from services import waitlist

# What a treatment booking carries (the handlers build it; they do not import db/).
__all__ = ["TreatmentOrder"]

# How many free times a patient who lost theirs is offered instead.
NEAREST_TIMES = 6

Reason = rules.Unavailable


@dataclass(frozen=True)
class Calendar:
    """The clinic's schedule and zone, at the moment of the update."""

    schedule: Schedule  # the kind's own: a treatment's length and seats (booking_schedule)
    zone: ZoneInfo
    now: datetime
    kind: Kind = Kind.CONSULTATION
    # Offers the times a move frees to the waitlist; None: not offered (tests of
    # booking alone).
    waitlist: waitlist.Offering | None = None


# -- results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Begun:
    """The patient may book: the number they gave last time, to offer again."""

    phone: str | None


@dataclass(frozen=True)
class LimitReached:
    """The patient already holds as many upcoming consultations as one may."""


@dataclass(frozen=True)
class Booked:
    """The time is the patient's: `appointment` (requested or confirmed).

    `moved`: it replaces one of their appointments. `kept`: the confirmed time that a
    move still waiting for staff leaves in place until they confirm the new one.
    """

    appointment: AppointmentView
    moved: bool = False
    kept: AppointmentView | None = None


@dataclass(frozen=True)
class Taken:
    """Someone else holds the time: the free times nearest to it, in time order.
    `raced`: it was free when read and taken at the insert (the unique index decided)."""

    wanted: datetime
    nearest: list[datetime]
    raced: bool = False


@dataclass(frozen=True)
class Unavailable:
    """The time cannot be booked for another reason than being taken."""

    reason: Reason


@dataclass(frozen=True)
class NotMovable:
    """The appointment to move is no longer the patient's own upcoming one."""


BookResult = Booked | Taken | Unavailable | LimitReached | NotMovable


@dataclass(frozen=True)
class DaysPage:
    """One week of the days with a free time."""

    week: int  # the page shown: the one asked for, within the horizon
    days: list[date]
    has_later: bool
    # No free time at all within the horizon (only said on the first page).
    none_at_all: bool


# -- the rules in one place ------------------------------------------------------------


def new_status(staff_confirm: bool) -> AppointmentStatus:
    """A new booking waits for staff when they confirm each one, else it stands at once."""
    return AppointmentStatus.REQUESTED if staff_confirm else AppointmentStatus.CONFIRMED


# Treatment sessions are booked one at a time: the next once this one is behind.
TREATMENTS_PER_PATIENT = 1


async def at_limit(
    session: AsyncSession,
    *,
    patient_id: int,
    now: datetime,
    per_patient: int,
    kind: Kind = Kind.CONSULTATION,
) -> bool:
    """Whether the patient holds as many upcoming appointments of `kind` as one may."""
    held = await appointments.count_active(session, patient_id=patient_id, now=now, kind=kind)
    limit = per_patient if kind is Kind.CONSULTATION else TREATMENTS_PER_PATIENT
    return held >= limit


# -- reading the schedule --------------------------------------------------------------


async def _holding(session: AsyncSession, calendar: Calendar) -> list[rules.Booked]:
    """What holds times from now to the end of the horizon."""
    now, horizon = calendar.now, calendar.schedule.horizon_days
    return await appointments.booked_between(
        session, start=now, end=now + timedelta(days=horizon + 2), kind=calendar.kind
    )


def _free(
    calendar: Calendar,
    holding: list[rules.Booked],
    first: date | None = None,
    last: date | None = None,
) -> list[datetime]:
    return rules.free_slots(
        calendar.schedule, holding, calendar.now, calendar.zone, first_day=first, last_day=last
    )


async def free_times(session: AsyncSession, calendar: Calendar, *, day: date) -> list[datetime]:
    """The free consultation times of one local day, soonest first."""
    return _free(calendar, await _holding(session, calendar), day, day)


async def days_page(session: AsyncSession, calendar: Calendar, *, week: int) -> DaysPage:
    """The days with a free time in week `week` (0: the one starting today)."""
    first, last = rules.bookable_days(calendar.schedule, calendar.now, calendar.zone)
    week = max(0, min(week, last_page(first, last)))
    start, end = page_days(first, last, week)
    holding = await _holding(session, calendar)
    days = sorted(
        {local_date(slot, calendar.zone) for slot in _free(calendar, holding, start, end)}
    )
    none_at_all = not days and week == 0 and not _free(calendar, holding)
    return DaysPage(
        week=week, days=days, has_later=end < last and not none_at_all, none_at_all=none_at_all
    )


async def why_not(session: AsyncSession, calendar: Calendar, *, start: datetime) -> Reason | None:
    """Whether `start` can be booked now; if not, why."""
    return rules.why_unavailable(
        calendar.schedule, await _holding(session, calendar), calendar.now, calendar.zone, start
    )


# -- the patient ---------------------------------------------------------------------


async def begin(
    session: AsyncSession,
    *,
    patient_id: int,
    now: datetime,
    per_patient: int,
    kind: Kind = Kind.CONSULTATION,
) -> Begun | LimitReached:
    """Whether the patient may start booking, and their number from last time."""
    if await at_limit(session, patient_id=patient_id, now=now, per_patient=per_patient, kind=kind):
        return LimitReached()
    return Begun(phone=await saved_phone(session, patient_id=patient_id))


async def movable(
    session: AsyncSession, *, patient_id: int, appointment_id: int, now: datetime
) -> AppointmentView | None:
    """The patient's own active appointment still ahead (locked); None for anyone else's."""
    appointment = await appointments.find_own(
        session, appointment_id=appointment_id, patient_id=patient_id
    )
    if appointment is None or not appointment.active or appointment.starts_at <= now:
        return None
    return appointment


async def being_moved(
    session: AsyncSession, *, patient_id: int, appointment_id: int
) -> AppointmentView | None:
    """The patient's appointment a move started from, whatever its status now."""
    return await appointments.find_own(
        session, appointment_id=appointment_id, patient_id=patient_id
    )


async def offers_prescreen(session: AsyncSession, *, patient_id: int) -> bool:
    """Whether to offer the pre-screen before the summary: not taken yet."""
    return await prescreens.latest(session, patient_id=patient_id) is None


# -- taking a time ---------------------------------------------------------------------


async def book(
    session: AsyncSession,
    calendar: Calendar,
    *,
    patient_id: int,
    start: datetime,
    name: str,
    phone: str,
    staff_confirm: bool,
    move: int | None = None,
    treatment: TreatmentOrder | None = None,
) -> BookResult:
    """Books `start` for the patient, or, with `move` (an appointment id), moves that
    appointment there; see `appointments.reschedule` for what a move keeps.

    A new booking counts against the per-patient limit; a move does not (it replaces
    one). The number is saved for the next booking, and what a move cancelled loses its
    pending messages (a confirmed time that a pending move leaves keeps its reminders).
    A `treatment` (the calendar's kind is then a treatment's) takes a treatment's seat;
    a moved treatment stays the same treatment.
    """
    schedule, now = calendar.schedule, calendar.now
    old: AppointmentView | None = None
    if move is not None:
        old = await movable(session, patient_id=patient_id, appointment_id=move, now=now)
        if old is None:
            return NotMovable()
    elif await at_limit(
        session,
        patient_id=patient_id,
        now=now,
        per_patient=schedule.per_patient,
        kind=calendar.kind,
    ):
        return LimitReached()
    reason = await why_not(session, calendar, start=start)
    if reason is Reason.TAKEN:
        return await _taken(session, calendar, start, raced=False)
    if reason is not None:
        return Unavailable(reason)
    status = new_status(staff_confirm)
    # The newest finished pre-screen goes with the booking, for staff to see.
    prescreen = await prescreens.latest(session, patient_id=patient_id)
    prescreen_id = prescreen.id if prescreen else None
    booked: AppointmentView | None = None
    cancelled: list[AppointmentView] = []
    if old is not None:
        moved = await appointments.reschedule(
            session,
            old_id=old.id,
            starts_at=start,
            length=schedule.length,
            capacity=schedule.capacity,
            status=status,
            now=now,
            prescreen_id=prescreen_id,
        )
        if moved is not None:
            booked, cancelled = moved.new, moved.cancelled
    else:
        booked = await appointments.book(
            session,
            patient_id=patient_id,
            starts_at=start,
            length=schedule.length,
            capacity=schedule.capacity,
            name=name,
            phone=phone,
            status=status,
            now=now,
            prescreen_id=prescreen_id,
            treatment=treatment,
        )
    if booked is None:
        return await _taken(session, calendar, start, raced=True)
    assert booked.phone is not None
    await save_phone(session, patient_id=patient_id, phone=booked.phone)
    for gone in cancelled:
        await outbox.cancel_pending(session, appointment_id=gone.id)
    # Booking ends the patient's wait; a time now full is gone for those offered it;
    # the times a move gave up go to the others waiting.
    if calendar.kind is Kind.CONSULTATION:  # nobody waits on a treatment's calendar
        free = await why_not(session, calendar, start=start) is None
        await waitlist.booked(
            session, patient_id=patient_id, starts_at=start, still_free=free, now=now
        )
    await waitlist.freed_many(
        session,
        calendar.waitlist,
        gone=cancelled,
        now=now,
        freed_by=patient_id,
    )
    kept = None
    if old is not None:
        kept = await appointments.replaced_by_move(session, appointment=booked)
    return Booked(booked, moved=old is not None, kept=kept)


async def _taken(
    session: AsyncSession, calendar: Calendar, wanted: datetime, *, raced: bool
) -> Taken:
    options = _free(calendar, await _holding(session, calendar))
    return Taken(wanted, rules.nearest(options, wanted, NEAREST_TIMES), raced=raced)
