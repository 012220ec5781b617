"""Fixtures of the end-to-end tests: the bot with a staff group, the bot as a process."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.playground.botapi import TOKEN, StandIn
from db.engine import Database
from db.schema import upgrade_to_head
from tests.conftest import PROCESS_LOGS, FakeClock, RunningBot, start_bot
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


Launch = Callable[..., Awaitable[asyncio.subprocess.Process]]


@pytest.fixture
async def launch(standin: StandIn, database_url: str, tmp_path: Path) -> AsyncIterator[Launch]:
    """Starts `python -m bot run` as a separate process against the stand-in."""
    database = Database(database_url)
    await upgrade_to_head(database.engine)  # PostgreSQL is never migrated by `run`
    await database.dispose()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "DATABASE_", "STAFF_", "CLINIC_"))
    }
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=standin.base_url,
        DATABASE_URL=database_url,
        LOG_LEVEL="INFO",
    )
    processes: list[asyncio.subprocess.Process] = []

    async def start(**settings: str) -> asyncio.subprocess.Process:
        """Starts one more bot process; keyword arguments are extra settings."""
        path = tmp_path / f"bot-{len(processes)}.log"
        PROCESS_LOGS.append(path)  # checked for the conversation when the test ends
        log = path.open("wb")
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=tmp_path,
            env={**env, **settings},
            stdout=log,
            stderr=log,
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.returncode is None:
            process.kill()
            await process.wait()
