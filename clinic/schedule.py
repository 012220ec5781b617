"""The clinic's consultation schedule and which consultation times are free.

Slots are wall-clock times in the clinic's zone (10:00, 10:30, ...) turned into UTC
instants one by one, so a day when daylight saving time starts or ends has the same
local times as any other day, and a wall-clock time that does not exist that night is
skipped rather than shifted.
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from clinic.treatment import Treatments
from clinic.when import local_date


@dataclass(frozen=True)
class Schedule:
    """When consultations can be booked; read from schedule.toml."""

    # weekday (0 = Monday) -> opening periods (from, until) in local wall-clock time
    hours: Mapping[int, tuple[tuple[time, time], ...]]
    closed: frozenset[date]
    length: timedelta = timedelta(minutes=30)
    buffer: timedelta = timedelta(0)
    notice: timedelta = timedelta(hours=12)
    horizon_days: int = 30
    # consultations that can run at the same time (rooms, technicians)
    capacity: int = 1
    # upcoming consultations one patient may hold at once
    per_patient: int = 1
    # treatment sessions: their own length and seats, and their preparation messages
    treatments: Treatments = field(default_factory=Treatments)


@dataclass(frozen=True)
class Booked:
    """Consultations that hold a time, requested or confirmed: `count` of them, each
    from `starts_at` to `ends_at`.

    The database counts them per (start, end) rather than returning one row each, so a
    busy month is a few hundred of these, not thousands of appointments; since whether
    a slot is free depends only on those two instants and how many share them, the
    counts give exactly the answer the single appointments would.
    """

    starts_at: datetime
    ends_at: datetime
    count: int = 1


class Unavailable(enum.Enum):
    """Why a time cannot be booked, for the patient to be told."""

    PAST = "past"
    TOO_SOON = "too_soon"
    TOO_FAR = "too_far"
    CLOSED = "closed"
    TAKEN = "taken"


def is_open(schedule: Schedule, now: datetime, zone: ZoneInfo) -> bool:
    """Whether the clinic is open (someone answers its phone): within the day's hours
    and not a closed date."""
    local = now.astimezone(zone)
    if local.date() in schedule.closed:
        return False
    wall = local.time().replace(tzinfo=None)
    return any(opens <= wall < closes for opens, closes in schedule.hours.get(local.weekday(), ()))


def day_slots(schedule: Schedule, day: date, zone: ZoneInfo) -> Iterator[datetime]:
    """The consultation start instants (UTC) of one local day, ignoring bookings."""
    if day in schedule.closed:
        return
    step = schedule.length + schedule.buffer
    for opens, closes in schedule.hours.get(day.weekday(), ()):
        closing = _instant(datetime.combine(day, closes), zone)
        wall = datetime.combine(day, opens)
        while wall.date() == day and wall.time() < closes:
            start = _instant(wall, zone)
            if start is not None and closing is not None and start + schedule.length <= closing:
                yield start
            wall += step  # naive: steps through the wall clock, not elapsed time


def _instant(wall: datetime, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of a local wall-clock time; None if the clock skips it that night.

    Ambiguous times (the repeated hour in autumn) take their first occurrence.
    """
    local = wall.replace(tzinfo=zone, fold=0)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != wall:
        return None
    return instant


def bookable_days(schedule: Schedule, now: datetime, zone: ZoneInfo) -> tuple[date, date]:
    """The first and last local day that can hold a booking."""
    today = local_date(now, zone)
    return today, today + timedelta(days=schedule.horizon_days)


class _Taken:
    """Bookings sorted by start, for counting those that overlap a slot quickly."""

    def __init__(self, booked: Iterable[Booked], buffer: timedelta) -> None:
        self._booked = sorted(booked, key=lambda b: b.starts_at)
        self._starts = [b.starts_at for b in self._booked]
        self._longest = max((b.ends_at - b.starts_at for b in self._booked), default=timedelta(0))
        self._buffer = buffer

    def overlapping(self, start: datetime, end: datetime) -> int:
        """Bookings that overlap [start, end), the buffer kept on both sides."""
        low = bisect.bisect_left(self._starts, start - self._longest - self._buffer)
        high = bisect.bisect_left(self._starts, end + self._buffer)
        return sum(
            booked.count
            for booked in self._booked[low:high]
            if booked.starts_at < end + self._buffer and booked.ends_at + self._buffer > start
        )


def free_slots(
    schedule: Schedule,
    booked: Sequence[Booked],
    now: datetime,
    zone: ZoneInfo,
    *,
    first_day: date | None = None,
    last_day: date | None = None,
) -> list[datetime]:
    """The start instants (UTC) of free consultations, soonest first.

    Free means: on an open day within the horizon, at least the minimum notice away,
    and with fewer than `capacity` bookings overlapping it (buffer included). `booked`
    may repeat a time or count several consultations in one entry: only the totals
    matter.
    """
    earliest, latest = bookable_days(schedule, now, zone)
    first = max(first_day or earliest, earliest)
    last = min(last_day or latest, latest)
    taken = _Taken(booked, schedule.buffer)
    slots = []
    day = first
    while day <= last:
        for start in day_slots(schedule, day, zone):
            if start < now + schedule.notice:
                continue
            if taken.overlapping(start, start + schedule.length) < schedule.capacity:
                slots.append(start)
        day += timedelta(days=1)
    return slots


def why_unavailable(
    schedule: Schedule, booked: Sequence[Booked], now: datetime, zone: ZoneInfo, start: datetime
) -> Unavailable | None:
    """Whether `start` can be booked now, and if not, the reason to tell the patient."""
    if start <= now:
        return Unavailable.PAST
    if start < now + schedule.notice:
        return Unavailable.TOO_SOON
    day = local_date(start, zone)
    if day > bookable_days(schedule, now, zone)[1]:
        return Unavailable.TOO_FAR
    if start not in set(day_slots(schedule, day, zone)):
        return Unavailable.CLOSED
    taken = _Taken(booked, schedule.buffer)
    if taken.overlapping(start, start + schedule.length) >= schedule.capacity:
        return Unavailable.TAKEN
    return None


def nearest(slots: Sequence[datetime], wanted: datetime, count: int) -> list[datetime]:
    """The `count` free times closest to the one the patient wanted, in time order."""
    return sorted(sorted(slots, key=lambda slot: abs(slot - wanted))[:count])


# Reminders go out this long before a confirmed consultation.
REMINDERS_BEFORE = (timedelta(hours=24), timedelta(hours=2))


def reminder_times(starts_at: datetime, now: datetime) -> list[tuple[int, datetime]]:
    """(hours before, due instant) of each reminder still ahead; past ones are skipped."""
    due = [(int(before.total_seconds() // 3600), starts_at - before) for before in REMINDERS_BEFORE]
    return [(hours, at) for hours, at in due if at > now]


# A reminder still goes out this late, as a share of how long before the consultation it
# was meant for: the day-before one up to 6 hours late, the 2-hour one up to 30 minutes.
# Later than that its words ("tomorrow", "in 2 hours") are wrong, and after the start
# it is useless: it is dropped (the outbox records it as expired), never sent.
REMINDER_GRACE = 0.25


def reminder_expired(starts_at: datetime, hours: int, now: datetime) -> bool:
    """Whether a reminder meant for `hours` before `starts_at` is too late to send at `now`."""
    lead = timedelta(hours=hours)
    return now >= starts_at or now > starts_at - lead + lead * REMINDER_GRACE
