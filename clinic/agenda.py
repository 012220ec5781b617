"""The staff's view of days: local days as UTC ranges, export ranges, the CSV file."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from clinic.when import local_date

# An export longer than this is refused: a year at a time keeps the file readable
# and the query cheap.
MAX_EXPORT_DAYS = 366
# /export without dates: the last 30 days and the next 30.
DEFAULT_EXPORT_SPAN = timedelta(days=30)
# /week: today and the six days after it.
WEEK = 7


def agenda_days(
    now: datetime, zone: ZoneInfo, *, after: int = 0, count: int = 1
) -> tuple[date, date]:
    """The first and last local day of an agenda of `count` days that starts `after`
    days after today (/today: 0, /tomorrow: 1, /week: 0 and WEEK days)."""
    first = local_date(now, zone) + timedelta(days=after)
    return first, first + timedelta(days=count - 1)


def local_days(first: date, count: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) in UTC of `count` local days from `first`; DST days are 23 or 25 h."""
    start = datetime.combine(first, time(), zone)
    end = datetime.combine(first + timedelta(days=count), time(), zone)
    return start.astimezone(UTC), end.astimezone(UTC)


class RangeProblem(ValueError):
    """The dates of an /export are malformed ("usage"), "reversed", or span "too_long"."""

    def __init__(self, reason: str, first: date | None = None, last: date | None = None) -> None:
        super().__init__(reason)
        self.reason, self.first, self.last = reason, first, last

    @property
    def days(self) -> int:
        """How many days the range spans, both ends included."""
        if self.first is None or self.last is None:
            return 0
        return abs((self.last - self.first).days) + 1


def export_range(arguments: Sequence[str], today: date) -> tuple[date, date]:
    """(first, last) day, both included, from `/export [from] [to]` (YYYY-MM-DD)."""
    if len(arguments) > 2:
        raise RangeProblem("usage")
    try:
        days = [date.fromisoformat(argument) for argument in arguments]
    except ValueError:
        raise RangeProblem("usage") from None
    if not days:
        return today - DEFAULT_EXPORT_SPAN, today + DEFAULT_EXPORT_SPAN
    first = days[0]
    last = days[1] if len(days) == 2 else first + DEFAULT_EXPORT_SPAN
    if last < first:
        raise RangeProblem("reversed", first, last)
    if (last - first).days + 1 > MAX_EXPORT_DAYS:
        raise RangeProblem("too_long", first, last)
    return first, last


@dataclass(frozen=True)
class ExportRow:
    """One appointment as the clinic's spreadsheet shows it."""

    id: int
    starts_at: datetime
    ends_at: datetime
    status: str
    name: str | None
    phone: str | None
    prescreen: str
    confirmed_by: str | None
    cancelled_by: str | None
    cancel_reason: str | None
    booked_at: datetime


COLUMNS = (
    "appointment_id",
    "date",
    "start",
    "end",
    "status",
    "name",
    "phone",
    "prescreen",
    "decided_by",
    "cancelled_by",
    "cancel_reason",
    "booked_at",
)


def _cell(value: str | None) -> str:
    """Text as a spreadsheet shows it, never as a formula (CSV injection)."""
    if not value:
        return ""
    return "'" + value if value[0] in "=+-@\t\r" else value


def appointments_csv(rows: Iterable[ExportRow], zone: ZoneInfo) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens names with accents correctly."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        start, end = row.starts_at.astimezone(zone), row.ends_at.astimezone(zone)
        writer.writerow(
            [
                row.id,
                start.date().isoformat(),
                start.strftime("%H:%M"),
                end.strftime("%H:%M"),
                row.status,
                _cell(row.name),
                row.phone or "",  # E.164, checked at booking
                _cell(row.prescreen),
                _cell(row.confirmed_by),
                row.cancelled_by or "",
                _cell(row.cancel_reason),
                row.booked_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            ]
        )
    return out.getvalue().encode("utf-8-sig")


@dataclass(frozen=True)
class AuditRow:
    """One staff action (db.audit stores them): who, when, what, on which id."""

    at: datetime
    user_id: int
    user_name: str
    action: str
    target_id: int | None = None
    detail: str | None = None


AUDIT_COLUMNS = ("date", "time", "user_id", "user_name", "action", "target_id", "detail")


def audit_csv(rows: Iterable[AuditRow], zone: ZoneInfo) -> bytes:
    """The audit as a spreadsheet, in the clinic's time, like the appointments file."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(AUDIT_COLUMNS)
    for row in rows:
        at = row.at.astimezone(zone)
        writer.writerow(
            [
                at.date().isoformat(),
                at.strftime("%H:%M:%S"),
                row.user_id,
                _cell(row.user_name),
                row.action,
                "" if row.target_id is None else row.target_id,
                _cell(row.detail),
            ]
        )
    return out.getvalue().encode("utf-8-sig")
