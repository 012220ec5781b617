"""The command line: one clear line and exit status 2 for a bad setting, never a traceback."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.playground.botapi import TOKEN as STANDIN_TOKEN
from bot.playground.botapi import StandIn, User
from db.engine import Database
from db.schema import schema_status
from tests.conftest import _wipe_postgres, postgres_url

SETTINGS_PREFIXES = ("TELEGRAM_", "DATABASE_", "STAFF_", "CLINIC_", "LOG_", "WEBHOOK_")


def clinic_bot(*args: str, cwd: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(SETTINGS_PREFIXES)}
    env.update(settings)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


TOKEN = "123456:ABCdefGhIJKlmnOPQrstUVwxyz-0123456789"


@pytest.mark.parametrize(
    ("settings", "names"),
    [
        ({}, "TELEGRAM_BOT_TOKEN is not set"),
        ({"TELEGRAM_BOT_TOKEN": "not-a-token"}, "TELEGRAM_BOT_TOKEN is malformed"),
        (
            {"TELEGRAM_BOT_TOKEN": TOKEN, "DATABASE_URL": "mysql://clinic@db/clinic"},
            "DATABASE_URL is malformed",
        ),
        (
            {"TELEGRAM_BOT_TOKEN": TOKEN, "DATABASE_URL": "sqlite+aiosqlite://"},
            "DATABASE_URL is malformed",
        ),
        (
            {"TELEGRAM_BOT_TOKEN": TOKEN, "CLINIC_TIMEZONE": "Toronto"},
            "CLINIC_TIMEZONE is malformed",
        ),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "STAFF_CHAT_ID": "staff"}, "STAFF_CHAT_ID is malformed"),
        (
            {"TELEGRAM_BOT_TOKEN": TOKEN, "STAFF_USER_IDS": "7001;maria"},
            "STAFF_USER_IDS is malformed",
        ),
        (
            {"TELEGRAM_BOT_TOKEN": TOKEN, "BOOKING_CONFIRMATION": "maybe"},
            "BOOKING_CONFIRMATION is malformed",
        ),
        (
            {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": "api.telegram.org"},
            "TELEGRAM_API_BASE_URL is malformed",
        ),
        (
            {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_MESSAGES_PER_SECOND": "5000"},
            "TELEGRAM_MESSAGES_PER_SECOND is malformed",
        ),
    ],
)
def test_a_bad_setting_stops_run_with_one_line(
    tmp_path: Path, settings: dict[str, str], names: str
) -> None:
    result = clinic_bot("run", cwd=tmp_path, **settings)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"clinic-bot: {names}: ")
    assert "Traceback" not in result.stderr


def test_settings_are_read_from_a_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=1:abc\nCLINIC_TIMEZONE=Nowhere/Land\n")
    result = clinic_bot("run", cwd=tmp_path)
    assert (
        result.stderr == "clinic-bot: CLINIC_TIMEZONE is malformed: use an IANA time zone "
        "name, e.g. America/Toronto\n"
    )


def test_broken_clinic_content_stops_run_with_one_line(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (content / "clinic.toml").write_text('phone = "12"\n')
    result = clinic_bot(
        "run", cwd=tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, CLINIC_CONTENT_DIR=str(content)
    )
    assert result.returncode == 2
    assert (
        result.stderr == "clinic-bot: clinic content: clinic.toml: phone '12' is not a "
        "valid number\n"
    )


def test_unreachable_bot_api_is_one_line(tmp_path: Path) -> None:
    result = clinic_bot(
        "run",
        cwd=tmp_path,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL="http://127.0.0.1:9/bot",
    )
    assert result.returncode == 1
    assert result.stderr.endswith("\n") and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith(
        "clinic-bot: TELEGRAM_API_BASE_URL: cannot reach the Bot API"
    )


def test_migrate_creates_the_schema(tmp_path: Path) -> None:
    result = clinic_bot("migrate", cwd=tmp_path, DATABASE_URL="sqlite+aiosqlite:///clinic.db")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "database schema is up to date (revision 0011)\n"
    assert (tmp_path / "clinic.db").exists()


@pytest.mark.postgresql_only
async def test_run_refuses_a_stale_postgresql_schema(tmp_path: Path) -> None:
    url = postgres_url()
    await _wipe_postgres(url)
    result = clinic_bot("run", cwd=tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, DATABASE_URL=url)
    assert result.returncode == 2
    assert result.stderr == (
        "clinic-bot: DATABASE_URL: the database schema is at revision none but this version "
        "needs 0011: run `clinic-bot migrate` first\n"
    )
    migrated = clinic_bot("migrate", cwd=tmp_path, DATABASE_URL=url)
    assert migrated.returncode == 0
    database = Database(url)
    assert (await schema_status(database.engine)).up_to_date
    await database.dispose()


def test_webhook_mode_names_its_missing_setting(tmp_path: Path) -> None:
    result = clinic_bot("run", "--webhook", cwd=tmp_path, TELEGRAM_BOT_TOKEN=TOKEN)
    assert result.returncode == 2
    assert result.stderr.startswith("clinic-bot: WEBHOOK_URL is not set: "), result.stderr
    bad_url = clinic_bot(
        "run",
        "--webhook",
        cwd=tmp_path,
        TELEGRAM_BOT_TOKEN=TOKEN,
        WEBHOOK_URL="http://bot.example.com/telegram",
        WEBHOOK_SECRET_TOKEN="abc",
    )
    assert bad_url.stderr.startswith("clinic-bot: WEBHOOK_URL is malformed: "), bad_url.stderr
    bad_token = clinic_bot(
        "run",
        "--webhook",
        cwd=tmp_path,
        TELEGRAM_BOT_TOKEN=TOKEN,
        WEBHOOK_URL="https://bot.example.com/telegram",
        WEBHOOK_SECRET_TOKEN="has spaces!",
    )
    assert bad_token.stderr.startswith("clinic-bot: WEBHOOK_SECRET_TOKEN is malformed: ")
    # Telegram takes a one-character secret; anyone could guess it.
    for guessable in ("a", "abc", "s3cret-Token_15"):
        short = clinic_bot(
            "run",
            "--webhook",
            cwd=tmp_path,
            TELEGRAM_BOT_TOKEN=TOKEN,
            WEBHOOK_URL="https://bot.example.com/telegram",
            WEBHOOK_SECRET_TOKEN=guessable,
        )
        assert short.returncode == 2
        assert short.stderr == (
            "clinic-bot: WEBHOOK_SECRET_TOKEN is malformed: "
            "use 16 to 256 characters of A-Z, a-z, 0-9, _ and -\n"
        ), short.stderr


EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"


def test_the_env_example_as_it_is_asks_for_the_token(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(EXAMPLE.read_text())
    result = clinic_bot("run", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("clinic-bot: TELEGRAM_BOT_TOKEN is not set: ")


async def test_the_env_example_with_a_token_runs(tmp_path: Path, standin: StandIn) -> None:
    """A new user's first run: `.env.example` copied, the token filled in (here the
    stand-in's, with its address), nothing else changed: the bot answers /start."""
    (tmp_path / ".env").write_text(
        EXAMPLE.read_text().replace(
            "TELEGRAM_BOT_TOKEN=\n", f"TELEGRAM_BOT_TOKEN={STANDIN_TOKEN}\n"
        )
        + f"TELEGRAM_API_BASE_URL={standin.base_url}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(SETTINGS_PREFIXES)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await standin.wait_for(lambda: standin.call_counts["getUpdates"] > 0, 30, "polling")
        await standin.send_text(User(4242, "Ana"), "/start")
        await standin.wait_for(lambda: bool(standin.bot_messages(4242)), 30, "the menu")
        assert "How can I help you today?" in (standin.bot_messages(4242)[0].text or "")
    finally:
        process.terminate()
        _, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    assert b"STAFF_CHAT_ID" in stderr  # the warning that staff features are off
