"""The booking flow's steps and its state: a typed copy of `Flow.data`.

The state is stored in the flow row as plain JSON with the keys and formats it has
always had (`start` as YYYYMMDDHHMM in UTC, `day` as an ISO date), so a patient in the
middle of a booking when a new version starts continues where they were.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from clinic.aftercare import Laser
from clinic.treatment import Kind

FLOW = "booking"
DAY, TIME, NAME, NAME_INPUT, PHONE, SUMMARY = (
    "day",
    "time",
    "name",
    "name_input",
    "phone",
    "summary",
)
OFFER = "prescreen_offer"

_UTC_MINUTE = "%Y%m%d%H%M"


@dataclass
class BookingState:
    """What the patient chose so far."""

    week: int = 0  # the page of days shown
    day: date | None = None
    start: datetime | None = None  # the time chosen, not yet in the calendar
    name: str = ""
    phone: str | None = None
    # The appointment being moved; None for a new booking.
    reschedule: int | None = None
    # A treatment session: the consultation that planned it; None for a consultation.
    treatment: int | None = None
    # A treatment: its laser, and whether the aftercare messages start on the day
    # without asking.
    laser: Laser | None = None
    aftercare: bool = False

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> BookingState:
        return cls(
            week=_int(data.get("week")) or 0,
            day=_day(data.get("day")),
            start=_minute(data.get("start")),
            name=str(data.get("name") or ""),
            phone=str(data["phone"]) if data.get("phone") else None,
            reschedule=_int(data.get("reschedule")),
            treatment=_int(data.get("treatment")),
            laser=Laser(data["laser"]) if data.get("laser") in set(Laser) else None,
            aftercare=bool(data.get("aftercare")),
        )

    def data(self) -> dict[str, Any]:
        """The state as Flow.data holds it."""
        data: dict[str, Any] = {
            "week": self.week,
            "day": self.day.isoformat() if self.day else "",
            "name": self.name,
            "phone": self.phone,
        }
        if self.start is not None:
            data["start"] = self.start.astimezone(UTC).strftime(_UTC_MINUTE)
        if self.reschedule is not None:
            data["reschedule"] = self.reschedule
        if self.treatment is not None:
            data["treatment"], data["aftercare"] = self.treatment, self.aftercare
            data["laser"] = self.laser.value if self.laser else None
        return data

    @property
    def kind(self) -> Kind:
        return Kind.CONSULTATION if self.treatment is None else Kind.TREATMENT

    @property
    def moving(self) -> bool:
        return self.reschedule is not None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def _minute(value: Any) -> datetime | None:
    try:
        return datetime.strptime(value, _UTC_MINUTE).replace(tzinfo=UTC)
    except (TypeError, ValueError):
        return None
