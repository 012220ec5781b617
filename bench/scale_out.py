"""Scale-out: webhook workers sharing one PostgreSQL, one worker against several.

Each worker is `python -m bot run --webhook`, its own process listening on its own port
on 127.0.0.1. The stand-in plays Telegram and the load balancer in front of them: it
posts each update to the workers in turn (at most 40 posts in flight in all, the
bot's `max_connections`), and posts an update again until a worker answers 2xx, which
a worker does only after the update committed. The load is FAQ browsing as in
bench.faq, with the same simulated round trip.

Afterwards the database and the stand-in are checked: no update handled twice (one
`processed_update` row per update, at most one incoming `message_log` row per update
id, no button answered twice), and, in a second phase, aftercare nudges queued for as
many patients and due at once are sent by all workers' dispatchers together: each
chat must receive exactly one, and each row marked sent must have reached its chat.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import aiohttp
from sqlalchemy import func, select

from bench import faq, nudge_day
from bench.harness import BotProcess, bot_process, free_port, fresh_database, standin, until
from clinic.clock import utc_now
from db.engine import Database
from db.models import MessageLog, OutboxMessage, ProcessedUpdate

PUBLIC_URL = "https://bot.example.test/telegram"
SECRET = "bench-webhook-secret"
MAX_CONNECTIONS = 40
FIRST_NUDGED = 30_000_000


@dataclass
class Checked:
    updates: int = 0  # distinct updates the stand-in delivered
    posts: int = 0  # webhook posts made for them (retries included)
    reposted: int = 0  # updates posted more than once (a non-2xx answer or a failure)
    processed_rows: int = 0  # processed_update rows
    handled_twice: int = 0  # update ids with more than one incoming message_log row
    answered_twice: int = 0  # second answers to one button press (refused by the stand-in)
    not_modified: int = 0  # edits to what the message already showed: a reply made twice
    nudges: int = 0  # nudges due at once in the second phase
    nudges_seconds: float = 0.0
    nudges_reached: int = 0  # chats that received their nudge
    nudges_doubled: int = 0  # second copies received
    nudges_lost: int = 0  # rows marked sent without reaching the chat, or not sent
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return (
            self.handled_twice == 0
            and self.answered_twice == 0
            and self.not_modified == 0
            and self.processed_rows >= self.updates
            and self.nudges_doubled == 0
            and self.nudges_lost == 0
        )


@dataclass
class ScaledRun:
    workers: int
    run: faq.Run
    checked: Checked
    cpu_ms_per_update: list[float]  # per worker


async def _healthy(port: int, bot: BotProcess, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as client:
        while True:
            if not bot.alive():
                raise SystemExit(f"a webhook worker stopped at start (see {bot.log})")
            try:
                async with client.get(f"http://127.0.0.1:{port}/healthz") as answer:
                    if answer.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"webhook worker on port {port} never became healthy")
            await asyncio.sleep(0.2)


async def run(
    url: str,
    work: Path,
    plan: list[list[str]] | None,
    *,
    workers: int,
    patients: int,
    taps: int,
    delay: float,
    max_seconds: float | None,
    nudges: int,
    first_id: int,
) -> tuple[ScaledRun, list[list[str]]]:
    """`workers` webhook processes on a fresh, migrated PostgreSQL; FAQ browsing, then
    (if `nudges`) the outbox phase; then the checks."""
    await fresh_database(url)
    async with standin(delay=delay) as server, AsyncExitStack() as stack:
        ports = [free_port() for _ in range(workers)]
        bots = []
        for port in ports:
            env = {
                "DATABASE_URL": url,
                "WEBHOOK_URL": PUBLIC_URL,
                "WEBHOOK_SECRET_TOKEN": SECRET,
                "WEBHOOK_LISTEN": "127.0.0.1",
                "WEBHOOK_PORT": str(port),
            }
            bots.append(
                await stack.enter_async_context(
                    bot_process(server, work, env, args=["run", "--webhook"], log_level="INFO")
                )
            )
        for port, bot in zip(ports, bots, strict=True):
            await _healthy(port, bot)
        await until(lambda: server.webhook is not None, 30, "setWebhook")
        await server.deliver_to_webhooks(
            [f"http://127.0.0.1:{port}/telegram" for port in ports],
            SECRET,
            max_connections=MAX_CONNECTIONS,
        )
        if plan is None:
            plan = await faq.learn(server, taps)
        cpu_before = [bot.cpu_seconds() for bot in bots]
        result = await faq.measure(
            server,
            None,
            plan,
            patients=patients,
            taps=taps,
            first_id=first_id,
            max_seconds=max_seconds,
        )
        cpu = [
            (bot.cpu_seconds() - before) * 1000 / max(result.load.updates, 1)
            for bot, before in zip(bots, cpu_before, strict=True)
        ]
        result.cpu_ms_per_update = sum(cpu)
        checked = await _check_updates(server, url)
        checked.answered_twice = server.call_counts["400 answered again"]
        checked.not_modified = server.call_counts["400 not modified"]
        if nudges:
            await _nudge_phase(server, url, nudges, checked)
    return ScaledRun(workers, result, checked, cpu), plan


async def _check_updates(server: object, url: str) -> Checked:
    from bot.playground.botapi import StandIn

    assert isinstance(server, StandIn)
    checked = Checked()
    posted = server.webhook_posts
    checked.updates = len(posted)
    checked.posts = sum(posted.values())
    checked.reposted = sum(1 for count in posted.values() if count > 1)
    database = Database(url)
    async with database.transaction() as session:
        checked.processed_rows = (
            await session.scalar(
                select(func.count()).where(ProcessedUpdate.update_id.in_(list(posted)))
            )
        ) or 0
        per_update = (
            select(MessageLog.update_id)
            .where(MessageLog.direction == "in", MessageLog.update_id.is_not(None))
            .group_by(MessageLog.update_id)
            .having(func.count() > 1)
            .subquery()
        )
        checked.handled_twice = (
            await session.scalar(select(func.count()).select_from(per_update))
        ) or 0
    await database.dispose()
    return checked


async def _nudge_phase(server: object, url: str, count: int, checked: Checked) -> None:
    """`count` patients opt in to aftercare, their day-1 nudges due at once; every
    worker's dispatcher sends from the same outbox."""
    from bot.playground.botapi import StandIn

    assert isinstance(server, StandIn)
    chats = [FIRST_NUDGED + number for number in range(count)]
    for chat_id in chats:
        server.chats.setdefault(chat_id, [])
    database = Database(url)
    await nudge_day.opt_in(
        database, first_telegram_id=FIRST_NUDGED, count=count, now=utc_now() - timedelta(minutes=2)
    )
    started = time.perf_counter()

    def all_sent() -> bool:
        return all(server.sent_to.get(chat_id, 0) for chat_id in chats)

    await until(all_sent, 120, "the nudges of the scale-out run", every=0.1)
    checked.nudges_seconds = time.perf_counter() - started
    await nudge_day.settle(server)  # a second copy would come now
    received = [server.sent_to.get(chat_id, 0) for chat_id in chats]
    async with database.transaction() as session:
        statuses = dict(
            (
                await session.execute(
                    select(OutboxMessage.status, func.count())
                    .where(
                        OutboxMessage.kind == nudge_day.NUDGE,
                        OutboxMessage.chat_id.in_(chats),
                        OutboxMessage.payload["day"].as_integer() == 1,
                    )
                    .group_by(OutboxMessage.status)
                )
            ).all()
        )
    await database.dispose()
    checked.nudges = count
    checked.statuses = {str(status): int(number) for status, number in statuses.items()}
    checked.nudges_reached = sum(1 for n in received if n)
    checked.nudges_doubled = sum(n - 1 for n in received if n > 1)
    sent = checked.statuses.get("sent", 0)
    checked.nudges_lost = max(0, sent - checked.nudges_reached) + (count - sent)
