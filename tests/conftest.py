"""Fixtures: a migrated database per backend, the stand-in Bot API, the running bot."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bot.app import build_application, start_application, stop_application
from bot.http import AiohttpRequest
from bot.logs import OWN_PACKAGES
from bot.playground.botapi import TOKEN, StandIn, User
from bot.poller import Poller
from bot.settings import ClinicSettings, Settings, TelegramSettings
from clinic.clock import Clock, utc_now
from db.engine import Database, in_transaction
from db.models import Base
from db.schema import schema_status, upgrade_to_head
from db.settings import DatabaseSettings
from handlers.context import ClinicApp


def pytest_sessionstart(session: pytest.Session) -> None:
    """With TEST_DATABASE_URL, its database is created if missing; a server that cannot
    be reached ends the run with one line instead of a traceback per test."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        try:
            asyncio.run(_create_database(url))
        except (OSError, SQLAlchemyError) as exc:
            first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            pytest.exit(f"TEST_DATABASE_URL: cannot reach PostgreSQL: {first_line}", returncode=2)


async def _create_database(url: str) -> None:
    target = make_url(url)
    server = create_async_engine(
        target.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    try:
        async with server.connect() as connection:
            exists = await connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": target.database},
            )
            if not exists:
                await connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        await server.dispose()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test marked postgresql_only has no SQLite variant. Without TEST_DATABASE_URL the
    PostgreSQL half is left out, and said so once."""
    postgres = bool(os.environ.get("TEST_DATABASE_URL") or os.environ.get("REQUIRE_TEST_DATABASE"))

    def backend(item: pytest.Item) -> str | None:
        callspec = getattr(item, "callspec", None)
        return None if callspec is None else callspec.params.get("database_url")

    def on_postgres(item: pytest.Item) -> bool:
        return backend(item) == "postgresql" or (
            backend(item) is None and item.get_closest_marker("postgresql_only") is not None
        )

    not_applicable = [
        item
        for item in items
        if item.get_closest_marker("postgresql_only") and backend(item) == "sqlite"
    ]
    left = [] if postgres else [item for item in items if on_postgres(item)]
    if not_applicable or left:
        config.hook.pytest_deselected(items=not_applicable + left)
        dropped = set(not_applicable + left)
        items[:] = [item for item in items if item not in dropped]
    if left:
        config.stash[_POSTGRES_LEFT_OUT] = len(left)


_POSTGRES_LEFT_OUT = pytest.StashKey[int]()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if left := config.stash.get(_POSTGRES_LEFT_OUT, 0):
        terminalreporter.write_line(
            f"PostgreSQL half not run ({left} tests): TEST_DATABASE_URL is not set "
            "(README, Tests: how to run it)"
        )


async def _wipe_postgres(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per run: each test gets a copy (migrating
    every test's file from nothing took a third of a second, a few minutes a run)."""
    path = tmp_path_factory.mktemp("template") / "clinic.db"

    async def migrate() -> None:
        database = Database(f"sqlite+aiosqlite:///{path}")
        await upgrade_to_head(database.engine)
        await database.dispose()

    asyncio.run(migrate())
    return path


# What a test may leave behind besides rows (a trigger forcing failures, its function):
# then the schema is rebuilt, not only emptied.
_LEFT_BEHIND = text(
    "SELECT (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
    "        WHERE n.nspname = 'public')"
    " + (SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
    "    JOIN pg_namespace n ON n.oid = c.relnamespace"
    "    WHERE n.nspname = 'public' AND NOT t.tgisinternal)"
)


async def _fresh_postgres(url: str) -> None:
    """The PostgreSQL database migrated to head with no rows: emptied if it is at head
    already with only the models' tables (a test before left it so), else wiped and
    migrated."""
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        if (await schema_status(engine)).up_to_date:
            async with engine.begin() as connection:
                tables = set(
                    await connection.scalars(
                        text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                    )
                )
                clean = tables == {*Base.metadata.tables, "alembic_version"} and not (
                    await connection.scalar(_LEFT_BEHIND)
                )
                if clean:
                    names = ", ".join(f'"{name}"' for name in sorted(Base.metadata.tables))
                    await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
                    return
    finally:
        await engine.dispose()
    await _wipe_postgres(url)
    database = Database(url)
    await upgrade_to_head(database.engine)
    await database.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> str:
    """A database migrated to head with no rows: a copy of the SQLite template, or the
    PostgreSQL in TEST_DATABASE_URL, emptied. A test of the schema itself may take it
    down and up again; the next test's gets it back to head."""
    if request.param == "sqlite":
        shutil.copyfile(sqlite_template, tmp_path / "clinic.db")
        return f"sqlite+aiosqlite:///{tmp_path / 'clinic.db'}"
    url = postgres_url()
    await _fresh_postgres(url)
    return url


def postgres_url() -> str:
    """TEST_DATABASE_URL, or a skip (a failure in CI, where REQUIRE_TEST_DATABASE is set)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        if os.environ.get("REQUIRE_TEST_DATABASE"):
            pytest.fail("TEST_DATABASE_URL is not set")
        pytest.skip("TEST_DATABASE_URL is not set")
    return url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """A migrated database for tests to read and write."""
    database = Database(database_url)
    yield database
    await database.dispose()


# Bot API methods called while the calling task held a database transaction open.
CALLS_IN_TRANSACTION: list[str] = []


class GuardedRequest(AiohttpRequest):
    """The bot's HTTP layer in tests: notes any Bot API call that starts while the task
    making it holds a database transaction open (the test then fails)."""

    async def do_request(
        self, url: str, method: str, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        if in_transaction():
            CALLS_IN_TRANSACTION.append(url.rsplit("/", 1)[-1])
        return await super().do_request(url, method, *args, **kwargs)


# A member of the clinic's staff group, and its administrator: staff.
MARIA = User(id=7001, first_name="Maria", last_name="Lopez")


@pytest.fixture
async def standin() -> AsyncIterator[StandIn]:
    CALLS_IN_TRANSACTION.clear()
    server = StandIn()
    # Maria administers every group of these tests (the staff group, its supergroup).
    server.default_administrators = [MARIA]
    await server.start()
    yield server
    await server.close()
    assert server.violations == [], "requests broke the Bot API specification"
    assert server.unanswered_callbacks() == [], "button presses left spinning"
    assert CALLS_IN_TRANSACTION == [], "Bot API calls made inside a database transaction"


def make_settings(standin: StandIn, database_url: str, **clinic: Any) -> Settings:
    return Settings(
        telegram=TelegramSettings(
            telegram_bot_token=TOKEN, telegram_api_base_url=standin.base_url, _env_file=None
        ),
        database=DatabaseSettings(database_url=database_url, _env_file=None),
        clinic=ClinicSettings(_env_file=None, **clinic),
    )


@dataclass
class RunningBot:
    application: ClinicApp
    database: Database
    standin: StandIn


class FakeClock:
    """The bot's clock in tests: stands still until a test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


async def start_bot(
    standin: StandIn,
    database_url: str,
    *,
    clock: Clock = utc_now,
    outbox_tick: float = 0.05,
    **clinic: Any,
) -> tuple[RunningBot, Any]:
    """Starts the real Application on the stand-in; returns it and how to stop it.

    The outbox tick is short because tests move the clock and expect due messages
    promptly; a test that must show something is sent without waiting for a tick
    makes it long.
    """
    application = build_application(
        make_settings(standin, database_url, **clinic),
        clock=clock,
        outbox_tick=timedelta(seconds=outbox_tick),
        http=GuardedRequest,
    )
    database = application.bot_data["services"].database
    await upgrade_to_head(database.engine)
    await start_application(application)
    poller = Poller(application)
    task = asyncio.create_task(poller.run())
    sender, recorder = application.bot_data["sender"], application.bot_data["recorder"]

    async def handled_sent_and_recorded() -> None:
        await poller.idle()
        await sender.idle()
        await recorder.idle()

    standin.after_handled = handled_sent_and_recorded

    async def stop() -> None:
        poller.stop()
        await task
        await stop_application(application)

    return RunningBot(application, database, standin), stop


@pytest.fixture
async def bot(standin: StandIn, database_url: str) -> AsyncIterator[RunningBot]:
    """The real Application, polling the stand-in, on a fresh database."""
    running, stop = await start_bot(standin, database_url)
    yield running
    await stop()


# Texts shorter than this ("No", "10:00 a.m.") could match a log line by chance.
_SHORTEST_CHECKED = 12


def _chat_texts(standin: StandIn) -> set[str]:
    """What patients wrote and each line the bot sent them or the staff group."""
    found: set[str] = set()
    for messages in standin.chats.values():
        for message in messages:
            for said in (message.text or "", *(message.contact or {}).values()):
                for line in str(said).splitlines():
                    if len(line.strip()) >= _SHORTEST_CHECKED and not line.startswith("/"):
                        found.add(line.strip())
    return found


# What bot processes started by the tests (tests/e2e/conftest.py `launch`, the webhook
# test) wrote to their stderr: files, read when the test ends.
PROCESS_LOGS: list[Path] = []


def _logged(record: logging.LogRecord) -> str:
    """A record as a handler would write it: the message, and any traceback with the
    exception's own text (a database error carries its statement and parameters)."""
    parts = [record.getMessage()]
    if record.exc_info:
        parts.append(logging.Formatter().formatException(record.exc_info))
    if record.exc_text:
        parts.append(record.exc_text)
    if record.stack_info:
        parts.append(record.stack_info)
    return "\n".join(parts)


def leaks(logged: str, texts: set[str], names: set[str]) -> list[str]:
    """The conversation's lines, and people's names of any length (as whole words: "Al"
    in "Al's" or "Al" but not in "Alembic"), that appear in a log."""
    found = [text for text in texts if text in logged]
    found += [name for name in names if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", logged)]
    return found


@pytest.fixture(autouse=True)
def _no_conversation_in_logs(
    request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    """Every test that talks to the bot checks that no log line repeats the conversation
    or names a person: our packages log at DEBUG here, the libraries at INFO, as
    LOG_LEVEL=DEBUG would. Tracebacks are read too, and the logs of bot processes the
    test started."""
    caplog.set_level(logging.INFO)
    for package in OWN_PACKAGES:
        caplog.set_level(logging.DEBUG, logger=package)
    PROCESS_LOGS.clear()
    yield
    standin = request.node.funcargs.get("standin")
    if not isinstance(standin, StandIn):
        return
    texts, names = _chat_texts(standin), set(standin.names)
    leaked = [
        (record.name, text)
        for record in caplog.records
        for text in leaks(_logged(record), texts, names)
    ]
    for path in PROCESS_LOGS:
        logged = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
        leaked += [(path.name, text) for text in leaks(logged, texts, names)]
    PROCESS_LOGS.clear()
    assert leaked == [], "log lines repeat what patients wrote or were told, or a name"


@pytest.fixture
def ana() -> User:
    return User(id=5551001, first_name="Ana", last_name="Silva")


@pytest.fixture
def ben() -> User:
    return User(id=5551002, first_name="Ben")


@pytest.fixture
def maria() -> User:
    """An administrator of the clinic's staff group (the stand-in says so)."""
    return MARIA
