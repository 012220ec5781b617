"""The long-term check-in: months after a treatment, a message asks how the results are
holding and offers a consultation (the clinic's page: results can fade with ageing, and
treatments can be repeated as needed). When it is due, and what a patient can answer."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

# The local time of day the check-in arrives: mid-morning, within the clinic's hours,
# so that a patient who wants a consultation can also call.
SEND_AT = time(10)


class Answer(StrEnum):
    HOLDING = "holding"  # "Holding well"
    CONSULT = "consult"  # "I'd like a consultation": straight into booking


def months_after(day: date, months: int) -> date:
    """The same day of the month `months` later; the month's last day when it has no
    such day (29 Feb plus 12 months is 28 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def checkin_due(treated_on: date, *, months: int, zone: ZoneInfo) -> datetime:
    """The UTC instant of the check-in: `months` after the treatment, at SEND_AT local."""
    local = datetime.combine(months_after(treated_on, months), SEND_AT, tzinfo=zone)
    return local.astimezone(UTC)
