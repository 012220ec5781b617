"""The .ics file that puts a consultation in the patient's calendar."""

from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar, Event


def consultation_ics(
    *,
    uid: str,
    starts_at: datetime,
    ends_at: datetime,
    summary: str,
    description: str,
    location: str,
    now: datetime,
) -> bytes:
    """One VEVENT with UTC times, which every calendar app places in its own zone."""
    calendar = Calendar()
    calendar.add("prodid", "-//clinic-bot//consultation//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", starts_at.astimezone(UTC))
    event.add("dtend", ends_at.astimezone(UTC))
    event.add("summary", summary)
    event.add("description", description)
    if location:
        event.add("location", location)
    calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical
