"""Preparation messages: at the local time of day, counted in calendar days, across a
daylight-saving change; the treatment's own length and seats."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from clinic.content import load_content
from clinic.treatment import (
    Kind,
    Treatments,
    booking_schedule,
    preparation_expired,
    preparation_times,
)

TORONTO = ZoneInfo("America/Toronto")
# Tue 10 Nov 2026, 10:00 a.m. EST; clocks went back on Sun 1 Nov.
TREATMENT = datetime(2026, 11, 10, 15, tzinfo=UTC)


def test_each_message_is_at_ten_local_on_its_day_across_the_change() -> None:
    before = datetime(2026, 10, 20, tzinfo=UTC)
    due = preparation_times(Treatments(), starts_at=TREATMENT, zone=TORONTO, now=before)
    assert due == [
        ("two_weeks", datetime(2026, 10, 27, 14, tzinfo=UTC)),  # EDT
        ("one_week", datetime(2026, 11, 3, 15, tzinfo=UTC)),  # EST
        ("day_before", datetime(2026, 11, 9, 15, tzinfo=UTC)),
    ]
    assert {at.astimezone(TORONTO).time() for _, at in due} == {time(10)}


def test_a_treatment_booked_ten_days_ahead_gets_only_what_is_still_ahead() -> None:
    now = TREATMENT - timedelta(days=10)
    due = preparation_times(Treatments(), starts_at=TREATMENT, zone=TORONTO, now=now)
    assert [stage for stage, _ in due] == ["one_week", "day_before"]


def test_a_preparation_message_expires_a_day_late_or_at_the_treatment() -> None:
    due = datetime(2026, 11, 3, 15, tzinfo=UTC)
    assert not preparation_expired(due, TREATMENT, due + timedelta(hours=23))
    assert preparation_expired(due, TREATMENT, due + timedelta(days=1, minutes=1))
    assert preparation_expired(TREATMENT - timedelta(hours=1), TREATMENT, TREATMENT)


def test_a_treatment_books_its_own_length_and_seats_in_the_same_hours() -> None:
    schedule = load_content().schedule
    treatment = booking_schedule(schedule, Kind.TREATMENT)
    assert (treatment.length, treatment.capacity) == (timedelta(minutes=90), 1)
    assert treatment.hours == schedule.hours and treatment.notice == schedule.notice
    assert booking_schedule(schedule, Kind.CONSULTATION) is schedule
