"""`clinic-bot playground`: the bot in a browser, with no token and no network.

Starts, on this machine only, a stand-in Telegram Bot API server (botapi.py, the one
the end-to-end tests use, which checks every request against the Bot API
specification), the real bot on it with its own SQLite file and a staff group, and a
web page (web.py) showing a patient's chat and the staff group side by side.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import SecretStr

from bot.app import build_application, start_application, stop_application
from bot.playground.botapi import TOKEN, StandIn
from bot.playground.page import make_app
from bot.playground.session import (
    DATABASE_FILE,
    STAFF_CHAT_ID,
    STAFF_MEMBER,
    STATE_FILE,
    Playground,
    ShiftedClock,
    load_state,
)
from bot.poller import Poller
from bot.settings import ClinicSettings, Settings, TelegramSettings
from db.schema import upgrade_to_head
from db.settings import DatabaseSettings

log = logging.getLogger(__name__)

# Due messages are looked for every second, so a move of the clock shows at once.
OUTBOX_TICK = timedelta(seconds=1)


def playground_settings(standin: StandIn, data_dir: Path) -> Settings:
    """The settings `clinic-bot run` would read, fixed here: nothing comes from `.env`."""
    alone: dict[str, Any] = {"_env_file": None}  # no .env: the playground is its own
    return Settings(
        telegram=TelegramSettings(
            telegram_bot_token=SecretStr(TOKEN), telegram_api_base_url=standin.base_url, **alone
        ),
        database=DatabaseSettings(
            database_url=f"sqlite+aiosqlite:///{data_dir / DATABASE_FILE}", **alone
        ),
        clinic=ClinicSettings(staff_chat_id=STAFF_CHAT_ID, log_level="WARNING", **alone),
    )


def prepare(data_dir: Path, reset: bool) -> None:
    """The folder kept between runs; `reset` empties it of the bot's database and state."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if reset:
        for name in (DATABASE_FILE, STATE_FILE):
            (data_dir / name).unlink(missing_ok=True)


async def run_playground(host: str, port: int, data_dir: Path) -> None:
    """Runs until Ctrl+C: the stand-in, the bot, and the page on http://host:port/."""
    offset, patients = load_state(data_dir)
    standin = StandIn(keep_calls=False)
    standin.administrators[STAFF_CHAT_ID] = [STAFF_MEMBER]  # the visitor is staff
    await standin.start()
    clock = ShiftedClock(offset)
    application = build_application(
        playground_settings(standin, data_dir), clock=clock, outbox_tick=OUTBOX_TICK
    )
    playground = Playground(standin, application, clock, data_dir, patients)
    runner = web.AppRunner(make_app(playground), access_log=None)
    poller = Poller(application)
    try:
        await upgrade_to_head(application.bot_data["services"].database.engine)
        await start_application(application)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, poller.stop)
        if host not in ("127.0.0.1", "localhost", "::1"):
            print(
                f"warning: listening on {host}: the playground has no authentication; "
                "anyone who can reach this port can use it",
                file=sys.stderr,
            )
        print(f"Playground: http://{'127.0.0.1' if host == '0.0.0.0' else host}:{port}/")
        print(f"Data: {data_dir} (--reset starts over). Ctrl+C stops.", flush=True)
        await poller.run()
    finally:
        with contextlib.suppress(Exception):
            await runner.cleanup()
        await stop_application(application)
        await standin.close()
