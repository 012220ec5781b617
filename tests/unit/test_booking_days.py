"""The booking screens' days: weeks as pages (local days: tests/unit/test_when.py)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from clinic.booking_days import last_page, page_days

TORONTO = ZoneInfo("America/Toronto")


def test_thirty_one_days_make_five_pages_of_a_week() -> None:
    first, last = date(2026, 3, 1), date(2026, 3, 31)
    assert last_page(first, last) == 4
    assert page_days(first, last, 0) == (date(2026, 3, 1), date(2026, 3, 7))
    assert page_days(first, last, 1) == (date(2026, 3, 8), date(2026, 3, 14))
    assert page_days(first, last, 4) == (date(2026, 3, 29), date(2026, 3, 31))


def test_a_horizon_shorter_than_a_week_is_one_page() -> None:
    first, last = date(2026, 3, 1), date(2026, 3, 3)
    assert last_page(first, last) == 0
    assert page_days(first, last, 0) == (first, last)
