"""The booking screens' days: local days across the zone's midnight, weeks as pages."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from clinic.booking_days import last_page, page_days
from clinic.when import local_date

TORONTO = ZoneInfo("America/Toronto")


def test_the_local_day_is_the_clinics_not_utcs() -> None:
    late_evening = datetime(2026, 11, 3, 3, 30, tzinfo=UTC)  # 22:30 on the 2nd in Toronto
    assert local_date(late_evening, TORONTO) == date(2026, 11, 2)
    # The night the clocks go back: 01:30 happens twice, both on the 1st.
    assert local_date(datetime(2026, 11, 1, 5, 30, tzinfo=UTC), TORONTO) == date(2026, 11, 1)
    assert local_date(datetime(2026, 11, 1, 6, 30, tzinfo=UTC), TORONTO) == date(2026, 11, 1)


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
