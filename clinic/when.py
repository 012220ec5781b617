"""Instants as the clinic's days, and how they read to a person: local time, short and
unambiguous. The one place that tells the local date of an instant: `now` and the
zone are parameters, never the machine's clock or zone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# English names regardless of the machine's locale, which strftime would follow.
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def local_date(instant: datetime, zone: ZoneInfo) -> date:
    """The clinic's calendar day that `instant` falls on ("today" for `now`)."""
    return instant.astimezone(zone).date()


def local_day_label(instant: datetime, zone: ZoneInfo) -> str:
    """'Tue 24 Nov': the local day `instant` falls on."""
    return day_label(local_date(instant, zone))


def days_before(now: datetime, zone: ZoneInfo, days: int) -> date:
    """The local date `days` days before today (0: today, 1: yesterday)."""
    return local_date(now, zone) - timedelta(days=days)


def day_label(day: date) -> str:
    """'Tue 24 Nov'"""
    return f"{_DAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]}"


def clock_label(at: time) -> str:
    """'10:30 a.m.' (Canadian style)"""
    hour = at.hour % 12 or 12
    suffix = "a.m." if at.hour < 12 else "p.m."
    return f"{hour}:{at.minute:02d} {suffix}"


def time_label(instant: datetime, zone: ZoneInfo) -> str:
    """'10:30 a.m.' in the clinic's zone."""
    return clock_label(instant.astimezone(zone).time())


def when_label(instant: datetime, zone: ZoneInfo) -> str:
    """'Tue 24 Nov 2026 at 10:30 a.m.'"""
    local = instant.astimezone(zone)
    return f"{day_label(local.date())} {local.year} at {time_label(instant, zone)}"
