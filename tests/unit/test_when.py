"""Instants as the clinic's days (clinic/when.py, the agenda's days, the closed dates'
warning): the local date turns at the zone's midnight, not UTC's, and DST changes move
neither days nor "yesterday"."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from clinic.agenda import WEEK, agenda_days
from clinic.closures import warning_due
from clinic.when import Dates, days_before, local_date

TORONTO = ZoneInfo("America/Toronto")
TOKYO = ZoneInfo("Asia/Tokyo")


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 11, 24, 4, 59), date(2026, 11, 23)),  # 11:59 p.m. in Toronto (EST)
        (utc(2026, 11, 24, 5, 0), date(2026, 11, 24)),  # midnight
        (utc(2026, 3, 8, 3, 59), date(2026, 3, 7)),  # 10:59 p.m. EST, the spring change
        (utc(2026, 3, 9, 3, 59), date(2026, 3, 8)),  # 11:59 p.m. EDT, the day after
        (utc(2026, 11, 1, 6, 30), date(2026, 11, 1)),  # 1:30 a.m., the hour that repeats
    ],
)
def test_local_date_is_the_day_in_the_zone(now: datetime, expected: date) -> None:
    assert local_date(now, TORONTO) == expected


def test_the_local_day_is_the_clinics_not_utcs() -> None:
    late_evening = datetime(2026, 11, 3, 3, 30, tzinfo=UTC)  # 22:30 on the 2nd in Toronto
    assert local_date(late_evening, TORONTO) == date(2026, 11, 2)
    # The night the clocks go back: 01:30 happens twice, both on the 1st.
    assert local_date(datetime(2026, 11, 1, 5, 30, tzinfo=UTC), TORONTO) == date(2026, 11, 1)
    assert local_date(datetime(2026, 11, 1, 6, 30, tzinfo=UTC), TORONTO) == date(2026, 11, 1)


def test_the_zone_of_the_instant_does_not_matter_only_the_clinics() -> None:
    now = utc(2026, 11, 24, 2, 0)  # 9 p.m. on the 23rd in Toronto, 11 a.m. on the 24th in Tokyo
    assert local_date(now.astimezone(TOKYO), TORONTO) == date(2026, 11, 23)
    assert local_date(now, TOKYO) == date(2026, 11, 24)


def test_local_day_label_reads_the_local_day() -> None:
    dates = Dates(TORONTO, "en_CA")
    assert dates.local_day(utc(2026, 11, 25, 4, 30)) == "Tue 24 Nov"
    assert dates.local_day(utc(2026, 11, 25, 5, 0)) == "Wed 25 Nov"
    assert Dates(TORONTO, "fr_CA").local_day(utc(2026, 11, 25, 4, 30)) == "mar. 24 nov."


@pytest.mark.parametrize(
    ("now", "days", "expected"),
    [
        (utc(2026, 11, 24, 4, 59), 0, date(2026, 11, 23)),  # just before midnight: today
        (utc(2026, 11, 24, 4, 59), 1, date(2026, 11, 22)),
        (utc(2026, 11, 24, 5, 0), 1, date(2026, 11, 23)),  # at midnight: a new yesterday
        # 00:30 EDT on the 9th: yesterday is the 23-hour day of the spring change.
        (utc(2026, 3, 9, 4, 30), 1, date(2026, 3, 8)),
        # 00:30 EST on the 2nd: yesterday is the 25-hour day the clocks went back.
        (utc(2026, 11, 2, 5, 30), 1, date(2026, 11, 1)),
        (utc(2026, 3, 9, 4, 30), 14, date(2026, 2, 23)),
    ],
)
def test_days_before_counts_local_days(now: datetime, days: int, expected: date) -> None:
    assert days_before(now, TORONTO, days) == expected


def test_agenda_days_today_tomorrow_and_the_week() -> None:
    late = utc(2026, 3, 8, 3, 30)  # 10:30 p.m. on the 7th, the night before the spring change
    assert agenda_days(late, TORONTO) == (date(2026, 3, 7), date(2026, 3, 7))
    assert agenda_days(late, TORONTO, after=1) == (date(2026, 3, 8), date(2026, 3, 8))
    assert agenda_days(late, TORONTO, count=WEEK) == (date(2026, 3, 7), date(2026, 3, 13))
    midnight = utc(2026, 3, 8, 5, 0)  # 00:00 EST on the 8th
    assert agenda_days(midnight, TORONTO) == (date(2026, 3, 8), date(2026, 3, 8))
    first, last = agenda_days(midnight, TORONTO, count=WEEK)
    assert last - first == timedelta(days=WEEK - 1)


def test_the_closed_dates_warning_is_due_on_local_days() -> None:
    closed = frozenset({date(2027, 7, 1)})
    # 11 p.m. on May 31st in Toronto is June 1st in UTC: not yet a month ahead.
    assert warning_due(closed, 30, local_date(utc(2027, 6, 1, 3, 0), TORONTO)) is None
    assert warning_due(closed, 30, local_date(utc(2027, 6, 1, 4, 0), TORONTO)) == date(2027, 7, 1)
