"""Instants as the clinic's days, and how they read to a person: local time, short and
unambiguous, in the reader's language. The one place that tells the local date of an
instant: `now` and the zone are parameters, never the machine's clock or zone.

Day and month names, the order of the parts and the way a time is written come from
CLDR through Babel ("Tue 24 Nov", "10:30 a.m." in en_CA; "mar. 24 nov.", "10 h 30" in
fr_CA), never from strftime, which would follow the machine's locale."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

# A short weekday, the day and a short month: "Tue 24 Nov", "mar. 24 nov.".
_DAY = "EEE d MMM"
_WEEKDAY = "EEE"


def local_date(instant: datetime, zone: ZoneInfo) -> date:
    """The clinic's calendar day that `instant` falls on ("today" for `now`)."""
    return instant.astimezone(zone).date()


def days_before(now: datetime, zone: ZoneInfo, days: int) -> date:
    """The local date `days` days before today (0: today, 1: yesterday)."""
    return local_date(now, zone) - timedelta(days=days)


@dataclass(frozen=True)
class Dates:
    """Dates and times as one language writes them, in the clinic's zone.

    `when` and `day_year` are the language's own phrases around the parts
    (texts.toml [dates]): "{day} {year} at {time}", "{day} {year} à {time}".
    """

    zone: ZoneInfo
    locale: str
    when_phrase: str = "{day} {year} at {time}"
    day_year_phrase: str = "{day} {year}"

    def day(self, day: date) -> str:
        """'Tue 24 Nov'"""
        return format_date(day, _DAY, locale=self.locale)

    def weekday(self, day: date) -> str:
        """'Tue'"""
        return format_date(day, _WEEKDAY, locale=self.locale)

    def day_year(self, day: date) -> str:
        """'Tue 24 Nov 2026'"""
        return self.day_year_phrase.format(day=self.day(day), year=day.year)

    def local_day(self, instant: datetime) -> str:
        """'Tue 24 Nov': the local day `instant` falls on."""
        return self.day(local_date(instant, self.zone))

    def clock(self, at: time) -> str:
        """'10:30 a.m.', '10 h 30'"""
        return format_time(at, "short", locale=self.locale)

    def time(self, instant: datetime) -> str:
        """'10:30 a.m.' in the clinic's zone."""
        return self.clock(instant.astimezone(self.zone).time())

    def when(self, instant: datetime) -> str:
        """'Tue 24 Nov 2026 at 10:30 a.m.', 'mar. 24 nov. 2026 à 10 h 30'"""
        local = instant.astimezone(self.zone)
        return self.when_phrase.format(
            day=self.day(local.date()), year=local.year, time=self.clock(local.time())
        )
