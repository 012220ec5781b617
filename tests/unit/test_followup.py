"""When the long-term check-in is due: months later, at 10:00 local, month ends clamped."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from clinic.followup import checkin_due, months_after

ZONE = ZoneInfo("America/Toronto")


def test_months_after_keeps_the_day_or_takes_the_months_last() -> None:
    assert months_after(date(2026, 11, 24), 12) == date(2027, 11, 24)
    assert months_after(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert months_after(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert months_after(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert months_after(date(2026, 12, 15), 1) == date(2027, 1, 15)


def test_the_check_in_is_due_at_ten_in_the_clinics_zone_in_either_season() -> None:
    assert checkin_due(date(2026, 11, 24), months=12, zone=ZONE) == datetime(
        2027, 11, 24, 15, tzinfo=UTC
    )
    assert checkin_due(date(2026, 7, 2), months=12, zone=ZONE) == datetime(
        2027, 7, 2, 14, tzinfo=UTC
    )
