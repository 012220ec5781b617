"""`clinic-bot run --webhook`: the real server, Telegram's secret header, the health check."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.playground.botapi import TOKEN, StandIn, User
from bot.settings import WebhookSettings
from bot.webhook import RefusalLog, WebhookServer
from db.engine import Database
from db.models import Patient
from tests.conftest import PROCESS_LOGS, RunningBot

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
            # JSON, with the right secret, but not an object: refused, not a crash.
            for body in ([], "x", 3, None, [_command(standin, ben, "/start")]):
                async with client.post(f"{base}/telegram", json=body, headers=header) as answer:
                    assert answer.status == 400, body
            assert standin.bot_messages(ben.id) == []
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, stderr.decode()
    (tmp_path / "webhook.log").write_bytes(stderr)
    PROCESS_LOGS.append(tmp_path / "webhook.log")  # checked for the conversation
    # Eight refused posts within a minute: one line, never one per request.
    refusals = [line for line in stderr.decode().splitlines() if "refused" in line]
    assert len(refusals) == 1, refusals
    assert "Traceback" not in stderr.decode() and " ERROR " not in stderr.decode()
    async with database.transaction() as session:
        known = list(await session.scalars(select(Patient.telegram_id)))
    assert known == [ana.id]


async def test_refused_posts_are_logged_once_a_minute_and_never_as_errors(
    bot: RunningBot, ana: User, caplog: pytest.LogCaptureFixture
) -> None:
    settings = WebhookSettings(
        webhook_url="https://bot.example.com/telegram",
        webhook_secret_token=SECRET,
        webhook_listen="127.0.0.1",
        webhook_port=_free_port(),
        _env_file=None,
    )
    server = WebhookServer(bot.application, settings)
    now = [1000.0]
    server.refusals = RefusalLog(clock=lambda: now[0])
    await server.start()
    base = f"http://127.0.0.1:{server.port}/telegram"
    header = {"X-Telegram-Bot-Api-Secret-Token": SECRET}

    def refusal_lines() -> list[str]:
        return [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]

    try:
        async with aiohttp.ClientSession() as client:
            for body in ([], "x", 3, True, None, {"update_id": "many"}):
                async with client.post(base, json=body, headers=header) as answer:
                    assert answer.status == 400, body
            for _ in range(20):
                async with client.post(base, json=[], headers={}) as answer:
                    assert answer.status == 403
            assert len(refusal_lines()) == 1
            now[0] += 59
            async with client.post(base, json="x", headers=header) as answer:
                assert answer.status == 400
            assert len(refusal_lines()) == 1
            now[0] += 2  # a minute after the first line: the next says what came since
            async with client.post(base, json=[], headers={}) as answer:
                assert answer.status == 403
            lines = refusal_lines()
            assert len(lines) == 2
            assert "webhook requests refused not_an_update=1 " in lines[0]
            assert "webhook requests refused not_an_update=6, wrong_secret=21 " in lines[1]
    finally:
        await server.stop()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert bot.standin.bot_messages(ana.id) == []
