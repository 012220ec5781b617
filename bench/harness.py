"""What every scenario needs: the stand-in, the bot as its own process, figures."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import statistics
import sys
import time
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.playground.botapi import TOKEN, StandIn
from db.engine import Database
from db.schema import upgrade_to_head

STAFF = -1001234567890
ROOT = Path(__file__).resolve().parents[1]


@asynccontextmanager
async def standin(**options: object) -> AsyncIterator[StandIn]:
    """A stand-in that keeps counts, not every request: it serves 100,000 sends.
    Keyword arguments are StandIn's (delay, group_messages_per_minute)."""
    server = StandIn(keep_calls=False, **options)  # type: ignore[arg-type]
    await server.start()
    try:
        yield server
    finally:
        await server.close()
    if server.violations:
        raise SystemExit(f"the bot broke the Bot API specification: {server.violations[:3]}")


async def fresh_database(url: str) -> None:
    """An empty, migrated database: the SQLite file or the PostgreSQL schema goes first."""
    if url.startswith("sqlite"):
        _remove_sqlite_files(url)
    if url.startswith("postgresql"):
        engine = create_async_engine(url)
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
    database = Database(url)
    await upgrade_to_head(database.engine)
    await database.dispose()


def _remove_sqlite_files(url: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(url.split(":///", 1)[1] + suffix).unlink(missing_ok=True)


@dataclass
class BotProcess:
    process: asyncio.subprocess.Process
    log: Path

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the process has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        # After the command name: utime and stime are fields 14 and 15 of stat(5).
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_size(self) -> int:
        return self.log.stat().st_size if self.log.exists() else 0

    def update_lines(self, since: int = 0) -> list[UpdateLine]:
        """The `update done` lines logged (at INFO) from byte `since` of the log on."""
        with self.log.open("rb") as source:
            source.seek(since)
            text = source.read().decode(errors="replace")
        return [
            UpdateLine(int(m["id"]), float(m["ms"]), int(m["st"]) if m["st"] else None)
            for m in _UPDATE_DONE.finditer(text)
        ]

    def peak_memory_mb(self) -> float:
        """The process's peak resident memory (VmHWM), while it still runs."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmHWM in /proc status")

    def alive(self) -> bool:
        return self.process.returncode is None

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


# `update done update_id=… ms=…`, and `statements=…` where the bot counts them.
_UPDATE_DONE = re.compile(
    r"update done update_id=(?P<id>\d+) ms=(?P<ms>[\d.]+)(?:.*?statements=(?P<st>\d+))?"
)


@dataclass(frozen=True)
class UpdateLine:
    update_id: int
    ms: float
    statements: int | None


def statements_per_update(lines: Iterable[UpdateLine], update_ids: set[int]) -> float | None:
    """The mean statement count the bot logged for these updates; None if it logs none."""
    counts = [
        line.statements
        for line in lines
        if line.update_id in update_ids and line.statements is not None
    ]
    return statistics.fmean(counts) if counts else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@asynccontextmanager
async def bot_process(
    server: StandIn,
    workdir: Path,
    env: Mapping[str, str],
    module: str = "bot",
    *,
    args: Sequence[str] | None = None,
    log_level: str = "WARNING",
) -> AsyncIterator[BotProcess]:
    """`python -m bot run` (or another module, or `args` such as `run --webhook`)
    against the stand-in, stopped at the end."""
    settings = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("TELEGRAM_", "DATABASE_", "STAFF_", "CLINIC_", "BOOKING_", "WEBHOOK_", "LOG_")
        )
    }
    settings.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=server.base_url,
        LOG_LEVEL=log_level,
        PYTHONPATH=str(ROOT),
        **env,
    )
    log = workdir / f"{module.replace('.', '-')}-{time.monotonic_ns()}.log"
    if args:
        log = log.with_name(log.stem + "-" + "-".join(a.strip("-") for a in args) + ".log")
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            module,
            *(args if args is not None else ["run"] if module == "bot" else []),
            cwd=workdir,
            env=settings,
            stdout=output,
            stderr=output,
        )
    running = BotProcess(process, log)
    try:
        yield running
    finally:
        await running.stop()


async def until(condition: object, timeout: float, what: str, every: float = 0.05) -> None:
    """Polls `condition()` (cheap checks only) until it holds."""
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout:.0f}s waiting for {what}")
        await asyncio.sleep(every)


def percentiles(samples_ms: list[float]) -> tuple[float, float, float]:
    """p50, p95, p99 in milliseconds."""
    if len(samples_ms) < 2:
        value = samples_ms[0] if samples_ms else float("nan")
        return value, value, value
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def bot_transport() -> str:
    """Which python-telegram-bot transport our bot is built with: "aiohttp" when a
    module of bot/ other than bot/http.py uses AiohttpRequest, else "httpx" (the
    library's default). `python -m bench --bot-transport` overrides the guess."""
    for module in (ROOT / "bot").glob("*.py"):
        if module.name != "http.py" and "AiohttpRequest" in module.read_text():
            return "aiohttp"
    return "httpx"
