"""Treatment sessions: what an appointment is (a consultation or a treatment), what a
consultation concluded, how long a session is, and when its preparation messages go.

Pure: the zone and `now` are parameters. The numbers come from schedule.toml's
[treatment] table (the clinic's protocol wins over any default here).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from clinic.when import local_date

if TYPE_CHECKING:
    from clinic.schedule import Schedule


class Kind(StrEnum):
    """What an appointment is for; each kind has its own seats."""

    CONSULTATION = "consultation"
    TREATMENT = "treatment"


class Outcome(StrEnum):
    """What staff recorded at the end of a consultation."""

    PLANNED = "planned"  # a treatment: laser and number of sessions
    NOT_SUITABLE = "not_suitable"
    UNDECIDED = "undecided"  # the patient will decide


# The clinician's note on a planned treatment, at most this long once trimmed: the
# column is unbounded text, but the patient reads it inside the week-before message,
# which must stay within Telegram's 4,096 characters.
NOTE_LENGTH = 1000


# The preparation messages, in the order they go, by their key in texts.toml [preparation].
PREPARATION_STAGES = ("two_weeks", "one_week", "day_before")


@dataclass(frozen=True)
class Treatments:
    """schedule.toml [treatment]: a session's length, sessions at once, and when each
    preparation message goes (days before the treatment day, at a local time of day)."""

    length: timedelta = timedelta(minutes=90)
    capacity: int = 1
    preparation: tuple[tuple[str, int], ...] = (
        ("two_weeks", 14),
        ("one_week", 7),
        ("day_before", 1),
    )
    preparation_at: time = time(10)
    # Sessions staff can choose from when planning a treatment.
    max_sessions: int = 3


def booking_schedule(schedule: Schedule, kind: Kind) -> Schedule:
    """The schedule a booking of `kind` follows: a treatment has its own length and seats,
    within the same opening hours, notice and horizon."""
    if kind is Kind.CONSULTATION:
        return schedule
    return replace(
        schedule, length=schedule.treatments.length, capacity=schedule.treatments.capacity
    )


def preparation_times(
    treatments: Treatments, *, starts_at: datetime, zone: ZoneInfo, now: datetime
) -> list[tuple[str, datetime]]:
    """(stage, due instant) of each preparation message still ahead of `now`.

    Each is due at the local time of day on its local day, counted in calendar days
    from the treatment's local day: a daylight-saving change in between moves the UTC
    instant, never the wall-clock time. A stage whose moment has passed (a treatment
    booked 10 days ahead gets no two-week message) is left out.
    """
    treated_on = local_date(starts_at, zone)
    due = []
    for stage, days in treatments.preparation:
        wall = datetime.combine(treated_on - timedelta(days=days), treatments.preparation_at)
        at = wall.replace(tzinfo=zone).astimezone(starts_at.tzinfo or zone)
        if now < at < starts_at:
            due.append((stage, at))
    return due


def preparation_expired(stage_due: datetime, starts_at: datetime, now: datetime) -> bool:
    """A preparation message is worth sending until a day after it was due, and never
    once the treatment has begun (its advice would come too late)."""
    return now >= starts_at or now > stage_due + timedelta(days=1)
