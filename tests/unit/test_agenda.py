"""Staff agenda days, /export ranges and the CSV file, without Telegram or a database."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from clinic.agenda import ExportRow, RangeProblem, appointments_csv, export_range, local_days

TORONTO = ZoneInfo("America/Toronto")
TODAY = date(2026, 11, 23)


def test_a_local_day_is_23_or_25_hours_on_the_dst_days() -> None:
    start, end = local_days(date(2026, 3, 8), 1, TORONTO)
    assert start.astimezone(UTC) == datetime(2026, 3, 8, 5, tzinfo=UTC)
    assert (end - start).total_seconds() == 23 * 3600
    start, end = local_days(date(2026, 11, 1), 1, TORONTO)
    assert (end - start).total_seconds() == 25 * 3600
    start, end = local_days(TODAY, 7, TORONTO)
    assert start.astimezone(UTC) == datetime(2026, 11, 23, 5, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2026, 11, 30, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ([], (date(2026, 10, 24), date(2026, 12, 23))),
        (["2026-11-01"], (date(2026, 11, 1), date(2026, 12, 1))),
        (["2026-11-01", "2026-11-01"], (date(2026, 11, 1), date(2026, 11, 1))),
        (["2026-01-01", "2026-12-31"], (date(2026, 1, 1), date(2026, 12, 31))),
    ],
)
def test_export_ranges(arguments: list[str], expected: tuple[date, date]) -> None:
    assert export_range(arguments, TODAY) == expected


@pytest.mark.parametrize(
    ("arguments", "reason", "days"),
    [
        (["tomorrow"], "usage", 0),
        (["2026-11-01", "2026-11-02", "2026-11-03"], "usage", 0),
        (["2026-11-30", "2026-11-01"], "reversed", 30),
        (["2026-01-01", "2027-01-02"], "too_long", 367),
    ],
)
def test_bad_export_ranges_say_why(arguments: list[str], reason: str, days: int) -> None:
    with pytest.raises(RangeProblem) as problem:
        export_range(arguments, TODAY)
    assert (problem.value.reason, problem.value.days) == (reason, days)


def test_csv_has_local_times_and_never_a_formula() -> None:
    row = ExportRow(
        id=7,
        starts_at=datetime(2026, 11, 24, 15, tzinfo=UTC),
        ends_at=datetime(2026, 11, 24, 15, 30, tzinfo=UTC),
        status="confirmed",
        name='=HYPERLINK("http://evil","Ana")',
        phone="+14165550123",
        prescreen="discuss: cold sores",
        confirmed_by="@Maria",
        cancelled_by=None,
        cancel_reason=None,
        booked_at=datetime(2026, 11, 23, 15, tzinfo=UTC),
    )
    data = appointments_csv([row], TORONTO)
    assert data.startswith("\ufeff".encode())
    [parsed] = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert (parsed["date"], parsed["start"], parsed["end"]) == ("2026-11-24", "10:00", "10:30")
    assert parsed["name"] == '\'=HYPERLINK("http://evil","Ana")'
    assert parsed["decided_by"] == "'@Maria" and parsed["phone"] == "+14165550123"
    assert parsed["booked_at"] == "2026-11-23 10:00"
