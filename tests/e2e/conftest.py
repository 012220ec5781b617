"""Fixtures of the end-to-end tests that work with the staff group."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.botapi.server import StandIn
from tests.conftest import FakeClock, RunningBot, start_bot
from tests.e2e.test_booking import MONDAY_10AM, STAFF


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY_10AM)


@pytest.fixture
async def clinic(
    standin: StandIn, database_url: str, clock: FakeClock
) -> AsyncIterator[RunningBot]:
    """The bot with a staff group whose staff confirm each booking."""
    running, stop = await start_bot(standin, database_url, clock=clock, staff_chat_id=STAFF)
    yield running
    await stop()
