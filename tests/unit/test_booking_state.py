"""The booking flow's typed state and its buttons' data: what is stored reads back, in
the formats stored before (a flow in progress survives a new version)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from handlers.booking.state import BookingState
from handlers.callbacks import (
    BOOK_WEEK,
    day_data,
    day_pattern,
    parse_day,
    parse_slot,
    parse_week,
    slot_data,
    slot_pattern,
    week_data,
    week_pattern,
)

START = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)


def test_the_state_reads_back_what_it_stored() -> None:
    state = BookingState(
        week=1, day=date(2026, 3, 3), start=START, name="Ana", phone="+14165550123", reschedule=7
    )
    assert state.data() == {
        "week": 1,
        "day": "2026-03-03",
        "start": "202603031500",
        "name": "Ana",
        "phone": "+14165550123",
        "reschedule": 7,
    }
    assert BookingState.of(state.data()) == state
    assert state.moving


def test_a_state_stored_by_an_older_version_reads() -> None:
    stored = {"week": 0, "name": "Ana", "phone": None, "day": "", "start": "202603031500"}
    assert BookingState.of(stored) == BookingState(name="Ana", start=START)
    assert BookingState.of({}) == BookingState()
    assert BookingState.of({"week": "x", "day": "nonsense", "start": "1"}) == BookingState()


def test_button_data_round_trips() -> None:
    assert parse_slot(slot_data(START)) == START
    assert re.match(slot_pattern(), slot_data(START))
    assert parse_day(day_data(date(2026, 3, 3))) == date(2026, 3, 3)
    assert re.match(day_pattern(), day_data(date(2026, 3, 3)))
    assert week_data(3) == f"{BOOK_WEEK}3" == "book:w:3"
    assert parse_week(week_data(3)) == 3 and re.match(week_pattern(), week_data(3))
    assert parse_week("book:w:x") is None
