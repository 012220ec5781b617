"""The booking screens' days: a local day of an instant, and the bookable days in pages
of a week. Pure: `now` and the zone are parameters."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

DAYS_PER_PAGE = 7


def local_day(instant: datetime, zone: ZoneInfo) -> date:
    """The clinic's calendar day that `instant` falls on."""
    return instant.astimezone(zone).date()


def last_page(first: date, last: date, per_page: int = DAYS_PER_PAGE) -> int:
    """The number of the last page (0-based) of the days from `first` to `last`."""
    return (last - first).days // per_page


def page_days(
    first: date, last: date, page: int, per_page: int = DAYS_PER_PAGE
) -> tuple[date, date]:
    """The first and last day shown on page `page` (0: the one with `first`)."""
    start = first + timedelta(days=per_page * page)
    return start, min(start + timedelta(days=per_page - 1), last)
