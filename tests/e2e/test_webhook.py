"""`clinic-bot run --webhook`: the real server, Telegram's secret header, the health check."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import select

from db.engine import Database
from db.models import Patient
from tests.botapi.server import TOKEN, StandIn, User

SECRET = "s3cret-Token_for-tests"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _command(standin: StandIn, user: User, text: str) -> dict[str, Any]:
    entities = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return standin.compose(user, {"text": text, "entities": entities}, text)


async def test_webhook_handles_updates_with_the_secret_and_refuses_the_rest(
    standin: StandIn, database: Database, database_url: str, tmp_path: Path, ana: User, ben: User
) -> None:
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "DATABASE_", "STAFF_", "WEBHOOK_", "LOG_"))
    }
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=standin.base_url,
        DATABASE_URL=database_url,
        WEBHOOK_URL="https://bot.example.com/telegram",
        WEBHOOK_SECRET_TOKEN=SECRET,
        WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(port),
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--webhook",
        cwd=tmp_path,
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as client:
            for _ in range(200):  # the health check is how a load balancer waits, too
                try:
                    async with client.get(f"{base}/healthz") as health:
                        if health.status == 200:
                            assert await health.json() == {"status": "ok"}
                            break
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("the webhook server never became healthy")
            assert standin.webhook is not None
            assert standin.webhook["url"] == "https://bot.example.com/telegram"
            assert standin.webhook["secret_token"] == SECRET

            header = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            async with client.post(
                f"{base}/telegram", json=_command(standin, ana, "/start"), headers=header
            ) as handled:
                assert handled.status == 200
            # The post is answered once the update committed; the greeting follows.
            await standin.wait_for(lambda: bool(standin.bot_messages(ana.id)), 10, "greeting")
            assert "Ana" in (standin.bot_messages(ana.id)[0].text or "")

            refused = [
                ({}, _command(standin, ben, "/start")),
                ({"X-Telegram-Bot-Api-Secret-Token": "guess"}, _command(standin, ben, "/start")),
            ]
            for headers, update in refused:
                async with client.post(f"{base}/telegram", json=update, headers=headers) as answer:
                    assert answer.status == 403
            async with client.post(f"{base}/telegram", data=b"not json", headers=header) as garbage:
                assert garbage.status == 400
            assert standin.bot_messages(ben.id) == []
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, stderr.decode()
    async with database.transaction() as session:
        known = list(await session.scalars(select(Patient.telegram_id)))
    assert known == [ana.id]
