"""The waitlist's rules: until when a patient may ask to hear of a freed time, whom a
freed time is offered to, and what taking it does. Pure: `now`, the zone and the
schedule come as parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

# The "until" choices a patient is offered, in weeks from today (within the horizon).
UNTIL_WEEKS = (1, 2, 4)


class EntryEnd(StrEnum):
    """Why a waitlist entry ended."""

    BOOKED = "booked"  # the patient booked or moved a consultation, any way
    LEFT = "left"  # the patient left the list
    PASSED = "passed"  # the last day they wanted to hear about went by


class OfferStatus(StrEnum):
    OPEN = "open"  # sent, may be taken until its hold ends
    TAKEN = "taken"  # this patient booked the time with it
    GONE = "gone"  # someone else took the time first (the patient is told)
    LOST = "lost"  # the patient pressed Book it and lost the race (told in the reply)
    ENDED = "ended"  # the patient's entry ended before they took it


def until_choices(today: date, last_bookable: date) -> list[date]:
    """The last days a patient may choose to hear until: 1, 2 and 4 weeks ahead, cut
    at the last bookable day (never twice the same day)."""
    days: list[date] = []
    for weeks in UNTIL_WEEKS:
        day = min(today + timedelta(weeks=weeks), last_bookable)
        if day > today and day not in days:
            days.append(day)
    return days


def valid_until(until: date, today: date, last_bookable: date) -> bool:
    """Whether `until` is a day a patient may choose (a forged button is not)."""
    return until in until_choices(today, last_bookable)


def covers(until: date, day: date, today: date) -> bool:
    """Whether an entry waiting until `until` wants to hear of a time on `day`."""
    return today <= day <= until


@dataclass(frozen=True)
class NewBooking:
    """Taking the time books a new consultation (the patient is under the limit)."""


@dataclass(frozen=True)
class Move:
    """Taking the time moves this consultation of the patient's (it keeps them within
    the per-patient limit): the one starting last, which is later than the freed time."""

    appointment_id: int


Taking = NewBooking | Move


@dataclass(frozen=True)
class Held:
    """A consultation the patient holds: its id and start."""

    id: int
    starts_at: datetime


def what_taking_does(start: datetime, held: Sequence[Held], per_patient: int) -> Taking | None:
    """What taking `start` would do for a patient holding `held`: a new booking under
    the limit, else moving their latest consultation if it is later than `start`;
    None when it would give them nothing (every consultation they hold is earlier)."""
    if len(held) < per_patient:
        return NewBooking()
    latest = max(held, key=lambda one: (one.starts_at, one.id), default=None)
    if latest is None or latest.starts_at <= start:
        return None
    return Move(latest.id)


def hold_ends(now: datetime, hold: timedelta) -> datetime:
    """When an offer sent at `now` can no longer be taken."""
    return now + hold
