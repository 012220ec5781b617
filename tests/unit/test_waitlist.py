"""The waitlist's rules: the days one may wait until, whom a freed time suits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from clinic.waitlist import Held, Move, NewBooking, covers, until_choices, what_taking_does

TODAY = date(2026, 11, 23)
TUESDAY_10AM = datetime(2026, 11, 24, 15, tzinfo=UTC)


def test_until_choices_are_one_two_and_four_weeks_within_the_horizon() -> None:
    assert until_choices(TODAY, TODAY + timedelta(days=30)) == [
        date(2026, 11, 30),
        date(2026, 12, 7),
        date(2026, 12, 21),
    ]
    # A short horizon cuts them at its last day, once.
    assert until_choices(TODAY, TODAY + timedelta(days=10)) == [
        date(2026, 11, 30),
        date(2026, 12, 3),
    ]
    assert until_choices(TODAY, TODAY) == []


def test_an_entry_covers_the_days_from_today_to_its_last() -> None:
    until = date(2026, 11, 30)
    assert covers(until, date(2026, 11, 30), TODAY)
    assert not covers(until, date(2026, 12, 1), TODAY)
    assert not covers(until, date(2026, 11, 22), TODAY)


def test_under_the_limit_a_freed_time_is_a_new_booking() -> None:
    assert what_taking_does(TUESDAY_10AM, [], per_patient=1) == NewBooking()
    later = Held(7, TUESDAY_10AM + timedelta(days=2))
    assert what_taking_does(TUESDAY_10AM, [later], per_patient=2) == NewBooking()


def test_at_the_limit_only_an_earlier_time_is_worth_it_and_moves_the_latest() -> None:
    sooner = Held(3, TUESDAY_10AM - timedelta(hours=1))
    later = Held(4, TUESDAY_10AM + timedelta(days=1))
    latest = Held(5, TUESDAY_10AM + timedelta(days=3))
    assert what_taking_does(TUESDAY_10AM, [sooner], per_patient=1) is None
    assert what_taking_does(TUESDAY_10AM, [later], per_patient=1) == Move(4)
    assert what_taking_does(TUESDAY_10AM, [later, latest], per_patient=2) == Move(5)
    assert what_taking_does(TUESDAY_10AM, [Held(6, TUESDAY_10AM)], per_patient=1) is None
