"""The clinic's closed dates running out: the staff group is warned once, a month ahead."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from types import SimpleNamespace

from bot.housekeeping import housekeeping
from bot.playground.botapi import StandIn
from clinic.closures import warning_due
from clinic.content import load_content
from tests.conftest import FakeClock, RunningBot, start_bot
from tests.e2e.test_booking import STAFF

LAST_CLOSED = max(load_content().schedule.closed)


async def clean_up(running: RunningBot) -> None:
    await housekeeping(SimpleNamespace(bot_data=running.application.bot_data))  # type: ignore[arg-type]


def warnings(standin: StandIn) -> list[str]:
    return [
        m.text or ""
        for m in standin.bot_messages(STAFF)
        if "closed dates run out" in (m.text or "")
    ]


def test_the_warning_is_due_a_month_before_the_last_closed_date() -> None:
    closed = frozenset({date(2027, 5, 24), date(2027, 7, 1)})
    assert warning_due(closed, 30, date(2027, 5, 31)) is None
    assert warning_due(closed, 30, date(2027, 6, 1)) == date(2027, 7, 1)
    assert warning_due(closed, 30, date(2027, 8, 1)) == date(2027, 7, 1)
    # Bookings reaching 60 days ahead: warned 60 days before.
    assert warning_due(closed, 60, date(2027, 5, 2)) == date(2027, 7, 1)
    assert warning_due(frozenset(), 30, date(2027, 6, 1)) is None


async def test_staff_are_warned_once_a_month_before_the_closed_dates_run_out(
    standin: StandIn, database_url: str
) -> None:
    assert date(2027, 7, 1) == LAST_CLOSED  # the shipped list; this test follows it
    clock = FakeClock(datetime(2027, 5, 31, 16, tzinfo=UTC))  # noon in Toronto
    running, stop = await start_bot(standin, database_url, clock=clock, staff_chat_id=STAFF)
    await clean_up(running)
    await asyncio.sleep(0.3)
    assert warnings(standin) == []

    clock.advance(days=1)  # Tue 1 Jun 2027: a month before Thu 1 Jul
    await clean_up(running)
    await standin.wait_for(lambda: len(warnings(standin)) == 1, what="the warning")
    [warning] = warnings(standin)
    assert "run out on Thu 1 Jul 2027" in warning and "schedule.toml" in warning

    # The hourly clean-up runs again, the next day, after a restart: no second warning.
    await clean_up(running)
    clock.advance(days=1)
    await stop()
    running, stop = await start_bot(standin, database_url, clock=clock, staff_chat_id=STAFF)
    await clean_up(running)
    clock.advance(days=40)
    await clean_up(running)
    await asyncio.sleep(0.3)
    assert len(warnings(standin)) == 1
    await stop()
