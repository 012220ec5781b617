"""Aftercare plans: which day gets which care, and when each day's message is due.

Day 0 is the treatment day. A plan has a message on each day it has care for (every
day while the skin heals, then a few milestones), at one local time the patient
chooses; each due time is computed from the local date and time, so it stays at that
wall-clock time across a daylight saving change.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


class Laser(enum.StrEnum):
    CO2 = "co2"
    ERBIUM = "erbium"


@dataclass(frozen=True)
class CarePlan:
    laser: Laser
    name: str  # "CO2 laser"
    # Messages come every day from day 0 through this day, then on the milestone days.
    healing_days: int
    care: Mapping[int, str]  # plan day -> that day's care

    @property
    def days(self) -> tuple[int, ...]:
        return tuple(sorted(self.care))

    @property
    def last_day(self) -> int:
        return max(self.care)

    @property
    def milestones(self) -> tuple[int, ...]:
        return tuple(day for day in self.days if day > self.healing_days)


@dataclass(frozen=True)
class Sign:
    """A warning sign the patient can report: call the clinic now.

    `words` are what a patient might type for it (clinic.triage reads free text with
    them): phrases, case and accents aside; a trailing `*` stands for any ending.
    """

    key: str
    button: str
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Aftercare:
    plans: Mapping[Laser, CarePlan]
    signs: tuple[Sign, ...]
    times: tuple[time, ...]  # the times of day a patient can choose, local
    default_time: time
    max_days_ago: int  # treatments longer ago than this are refused

    def sign(self, key: str) -> Sign | None:
        return next((sign for sign in self.signs if sign.key == key), None)


def plan_day(treated_on: date, today: date) -> int:
    """Days since the treatment: 0 on the day itself."""
    return (today - treated_on).days


def due_at(treated_on: date, day: int, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a plan day's message: that local date at that local time."""
    local = datetime.combine(treated_on + timedelta(days=day), at, tzinfo=zone)
    return local.astimezone(UTC)


def next_nudge(
    plan: CarePlan,
    *,
    treated_on: date,
    at: time,
    zone: ZoneInfo,
    now: datetime,
    after_day: int | None = None,
) -> tuple[int, datetime] | None:
    """The next plan day (after `after_day`) whose message is still ahead, and its time."""
    for day in plan.days:
        if after_day is not None and day <= after_day:
            continue
        when = due_at(treated_on, day, at, zone)
        if when > now:
            return day, when
    return None


def remaining(plan: CarePlan, *, treated_on: date, at: time, zone: ZoneInfo, now: datetime) -> int:
    """How many messages are still ahead if the plan starts now."""
    return sum(due_at(treated_on, day, at, zone) > now for day in plan.days)


class DateProblem(enum.Enum):
    FUTURE = "future"
    TOO_OLD = "too_old"


def check_treatment_date(treated_on: date, *, today: date, max_days_ago: int) -> DateProblem | None:
    if treated_on > today:
        return DateProblem.FUTURE
    if plan_day(treated_on, today) > max_days_ago:
        return DateProblem.TOO_OLD
    return None


# English month names, always understood; a language adds its own (clinic.when).
ENGLISH_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
# A word typed for a day -> how many days ago it is.
ENGLISH_DAYS = {"today": 0, "yesterday": 1}
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DAY_MONTH = re.compile(r"(\d{1,2})(?:er)?\s+([a-z]+)\.?(?:\s+(\d{4}))?")
_MONTH_DAY = re.compile(r"([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?(?:\s+(\d{4}))?")


def plain(text: str) -> str:
    """Lower case, without accents or apostrophe variants: "Déc." reads as "dec."."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("\u2019", "'"))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def parse_date(
    text: str,
    *,
    today: date,
    months: Mapping[str, int] = ENGLISH_MONTHS,
    days: Mapping[str, int] = ENGLISH_DAYS,
) -> date | None:
    """Reads a typed treatment date: 2026-11-20, 20 Nov, Nov 20, November 20 2026, and
    in any language whose month names and words for days are in `months` and `days`
    (20 nov., le 1er décembre, hier), accents aside.

    Numeric day/month forms are not accepted: 03/04 means March in Canada to some and
    April to others. Without a year the date is this year's, unless that is more than
    a month ahead: "Dec 28" typed in January means the one just past.
    """
    words = " ".join(plain(text).replace(",", " ").split()).removeprefix("le ")
    if words in days:
        return today - timedelta(days=days[words])
    try:
        if match := _ISO.fullmatch(words):
            return date(*(int(part) for part in match.groups()))
        if match := _DAY_MONTH.fullmatch(words):
            day, month, year = match.groups()
        elif match := _MONTH_DAY.fullmatch(words):
            month, day, year = match.groups()
        else:
            return None
        if month not in months:
            return None
        if year is not None:
            return date(int(year), months[month], int(day))
        guess = date(today.year, months[month], int(day))
        if guess > today + timedelta(days=31):
            return date(today.year - 1, months[month], int(day))
        return guess
    except ValueError:  # 31 Feb, say
        return None
