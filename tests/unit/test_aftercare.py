"""Aftercare plans: due times at the chosen local time, across DST; treatment dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from clinic.aftercare import (
    CarePlan,
    DateProblem,
    Laser,
    check_treatment_date,
    next_nudge,
    parse_date,
    remaining,
)

TORONTO = ZoneInfo("America/Toronto")
PLAN = CarePlan(Laser.CO2, "CO2 laser", 3, {0: "a", 1: "b", 2: "b", 3: "b", 10: "c"})


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_each_day_comes_at_nine_local_time_on_both_sides_of_the_autumn_change() -> None:
    # Treated Saturday 31 Oct 2026; clocks go back at 2:00 a.m. on Sunday 1 Nov.
    treated, at, now = date(2026, 10, 31), time(9), utc(2026, 10, 31, 12)
    due = []
    after = None
    while upcoming := next_nudge(
        PLAN, treated_on=treated, at=at, zone=TORONTO, now=now, after_day=after
    ):
        after, when = upcoming
        due.append((after, when))
    assert due == [
        (0, utc(2026, 10, 31, 13)),  # 9:00 EDT, an hour after `now`
        (1, utc(2026, 11, 1, 14)),  # 9:00 EST, the first day after the change
        (2, utc(2026, 11, 2, 14)),
        (3, utc(2026, 11, 3, 14)),
        (10, utc(2026, 11, 10, 14)),
    ]


def test_the_spring_change_keeps_the_local_time_too() -> None:
    # Clocks go forward at 2:00 a.m. on Sunday 8 Mar 2026.
    first = next_nudge(
        PLAN, treated_on=date(2026, 3, 7), at=time(7), zone=TORONTO, now=utc(2026, 3, 7, 11)
    )
    second = next_nudge(
        PLAN,
        treated_on=date(2026, 3, 7),
        at=time(7),
        zone=TORONTO,
        now=utc(2026, 3, 7, 11),
        after_day=0,
    )
    assert first == (0, utc(2026, 3, 7, 12))  # 7:00 EST
    assert second == (1, utc(2026, 3, 8, 11))  # 7:00 EDT


def test_a_plan_that_is_over_has_nothing_left() -> None:
    treated = date(2026, 11, 1)
    late = utc(2026, 11, 11, 15)  # day 10, after 9:00
    assert next_nudge(PLAN, treated_on=treated, at=time(9), zone=TORONTO, now=late) is None
    assert remaining(PLAN, treated_on=treated, at=time(9), zone=TORONTO, now=late) == 0
    early = late - timedelta(days=8)
    assert remaining(PLAN, treated_on=treated, at=time(9), zone=TORONTO, now=early) == 2


@pytest.mark.parametrize(
    ("treated", "problem"),
    [
        (date(2026, 11, 24), None),
        (date(2026, 11, 25), DateProblem.FUTURE),
        (date(2026, 9, 25), None),  # 60 days ago
        (date(2026, 9, 24), DateProblem.TOO_OLD),
    ],
)
def test_treatment_dates_ahead_or_over_60_days_ago_are_refused(
    treated: date, problem: DateProblem | None
) -> None:
    assert check_treatment_date(treated, today=date(2026, 11, 24), max_days_ago=60) is problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20", date(2026, 11, 20)),
        ("20 Nov", date(2026, 11, 20)),
        ("Nov 20", date(2026, 11, 20)),
        ("november 20th, 2026", date(2026, 11, 20)),
        ("  Yesterday ", date(2026, 11, 23)),
        ("Dec 1", date(2026, 12, 1)),  # ahead: refused later as in the future
        ("Dec 28", date(2025, 12, 28)),  # over a month ahead: last year's
        ("20/11", None),  # day/month or month/day: ambiguous in Canada
        ("31 Feb", None),
        ("next week", None),
        ("x" * 4096, None),
    ],
)
def test_typed_dates(text: str, expected: date | None) -> None:
    assert parse_date(text, today=date(2026, 11, 24)) == expected
