"""The booking screens' days: the bookable days in pages of a week (the local day of
an instant is clinic.when.local_date)."""

from __future__ import annotations

from datetime import date, timedelta

DAYS_PER_PAGE = 7


def last_page(first: date, last: date, per_page: int = DAYS_PER_PAGE) -> int:
    """The number of the last page (0-based) of the days from `first` to `last`."""
    return (last - first).days // per_page


def page_days(
    first: date, last: date, page: int, per_page: int = DAYS_PER_PAGE
) -> tuple[date, date]:
    """The first and last day shown on page `page` (0: the one with `first`)."""
    start = first + timedelta(days=per_page * page)
    return start, min(start + timedelta(days=per_page - 1), last)
