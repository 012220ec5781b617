"""Fault drills: a nudge day through a SIGKILL, two bot processes, Telegram having a bad
day, and PostgreSQL restarting under traffic. Reduced sizes; bench/ runs the big ones."""

from __future__ import annotations

import asyncio
import re
import shutil
import signal
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from telegram import Update
from telegram.ext import TypeHandler

from bench.nudge_day import FIRST_PATIENT, seed, settle
from bot.dispatcher import UNPACED_IN_FLIGHT
from bot.playground.botapi import Chaos, StandIn, User
from clinic.clock import utc_now
from db.engine import Database
from db.models import MessageLog, OutboxMessage, Patient, ProcessedUpdate
from handlers.context import ClinicContext
from tests.conftest import FakeClock, start_bot
from tests.e2e.conftest import Launch

NO_LIMIT = {"TELEGRAM_MESSAGES_PER_SECOND": "0"}


async def due_nudge_day(standin: StandIn, database_url: str, count: int) -> list[int]:
    """`count` plans whose day-1 nudge is already due; returns the patients' chats."""
    await seed(database_url, count, now=utc_now() - timedelta(minutes=2))
    chats = [FIRST_PATIENT + number for number in range(count)]
    for chat_id in chats:
        standin.chats.setdefault(chat_id, [])
    return chats


async def nudge_rows(database_url: str) -> dict[str, int]:
    database = Database(database_url)
    async with database.transaction() as session:
        rows = await session.execute(
            select(OutboxMessage.status, func.count())
            .where(OutboxMessage.kind == "nudge")
            .group_by(OutboxMessage.status)
        )
        counts = {status: count for status, count in rows}
    await database.dispose()
    return counts


def cluster_version() -> str:
    """The machine's PostgreSQL cluster, which this drill restarts (Debian's tools)."""
    clusters = Path("/etc/postgresql")
    if shutil.which("pg_ctlcluster") is None or not clusters.is_dir():
        pytest.skip("needs the machine's own PostgreSQL cluster (pg_ctlcluster)")
    return sorted(path.name for path in clusters.iterdir())[0]


async def test_sigkill_mid_nudge_day_sends_every_nudge_once(
    standin: StandIn,
    launch: Launch,
    database_url: str,
    record_property: pytest.RecordProperty,
) -> None:
    chats = await due_nudge_day(standin, database_url, 400)
    bot = await launch(**NO_LIMIT)
    await standin.wait_for(lambda: sum(standin.sent_to.values()) >= 120, 60, "120 nudges")
    bot.send_signal(signal.SIGKILL)
    await bot.wait()
    at_kill = sum(standin.sent_to.values())

    await launch(**NO_LIMIT)
    await standin.wait_for(lambda: all(standin.sent_to[chat] for chat in chats), 120, "every nudge")
    await settle(standin)
    doubled = sum(standin.sent_to[chat] - 1 for chat in chats)
    record_property("nudges_sent_before_the_kill", at_kill)
    record_property("nudges_sent_twice", doubled)
    # Only a row claimed at the kill can go twice: Telegram took it, the process died
    # before the batch recording it committed.
    assert doubled <= UNPACED_IN_FLIGHT, f"{doubled} nudges went twice, more than were claimed"
    # Every plan has its day 1 recorded sent and its day 2 queued: nothing lost.
    assert await nudge_rows(database_url) == {"sent": 400, "pending": 400}


def sent_nudges(log: Path) -> list[int]:
    """The outbox rows a bot process logged as sent nudges (its `sent id=... kind=nudge`)."""
    found = re.findall(r"sent id=(\d+) kind=nudge\b", log.read_text(errors="replace"))
    return [int(row) for row in found]


@pytest.mark.postgresql_only
async def test_two_bot_processes_share_a_nudge_day_without_doubles(
    standin: StandIn, launch: Launch, database_url: str, tmp_path: Path
) -> None:
    chats = await due_nudge_day(standin, database_url, 600)
    # Each send takes a second at "Telegram": one process alone would need about ten
    # (64 in flight), so the second, started a moment later, gets its share.
    standin.delay = 1.0
    await launch(**NO_LIMIT)
    await launch(**NO_LIMIT)
    await standin.wait_for(lambda: all(standin.sent_to[chat] for chat in chats), 120, "every nudge")
    await settle(standin)
    assert [chat for chat in chats if standin.sent_to[chat] > 1] == []
    assert await nudge_rows(database_url) == {"sent": 600, "pending": 600}
    # Both processes did work, and no row was sent by both.
    first, second = (sent_nudges(tmp_path / f"bot-{number}.log") for number in (0, 1))
    assert first and second, f"one process sent nothing: {len(first)} and {len(second)}"
    assert len(set(first)) == len(first) and len(set(second)) == len(second)
    assert set(first).isdisjoint(second)
    assert len(first) + len(second) == 600


WALK = [
    "ℹ️ About the treatment",
    "Who should avoid it?",
    "« Other questions",
    "Recovery: CO2 vs erbium",
    "🏠 Main menu",
    "✅ Am I a good candidate?",
    "✅ I agree, let's start",
]


async def test_telegram_errors_on_a_share_of_requests_lose_nothing(
    standin: StandIn, database_url: str
) -> None:
    """429 with retry_after, 502 and requests that hang past the client's timeout, on
    8% of sends, edits and button answers: every reply and every nudge still arrives,
    and no nudge twice (a failed request here never reached the chat)."""
    clock = FakeClock(utc_now())
    chats = await due_nudge_day(standin, database_url, 60)
    standin.chaos = Chaos(
        share=0.08,
        methods=frozenset({"sendMessage", "editMessageText", "answerCallbackQuery"}),
        seed=11,
    )
    _, stop = await start_bot(standin, database_url, clock=clock)
    patients = [User(6_000_000 + number, f"Patient{number}") for number in range(5)]

    async def walk(user: User) -> None:
        await standin.handled(await standin.send_text(user, "/start"), timeout=90)
        for label in WALK:
            await standin.handled(await standin.press(user, label), timeout=90)

    async def time_passes() -> None:
        # Failed sends wait 10 s, 20 s ... on the bot's clock before the next try.
        while True:
            await asyncio.sleep(0.2)
            clock.advance(seconds=30)

    ticking = asyncio.create_task(time_passes())
    try:
        await asyncio.gather(*(walk(user) for user in patients))
        await standin.wait_for(
            lambda: all(standin.sent_to[chat] for chat in chats), 120, "every nudge"
        )
        await settle(standin)
    finally:
        ticking.cancel()
        await stop()
    assert sum(standin.chaos.counts.values()) >= 5, standin.chaos.counts
    assert [chat for chat in chats if standin.sent_to[chat] != 1] == []
    for user in patients:
        assert "Question 1 of" in (standin.screen(user.id).text or "")
    assert await nudge_rows(database_url) == {"sent": 60, "pending": 60}


@pytest.mark.postgresql_only
async def test_postgresql_restart_during_traffic_loses_no_step(
    standin: StandIn,
    database_url: str,
    ana: User,
    ben: User,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """PostgreSQL stops while both patients' updates are inside their transactions (a
    stand-in delay holds them there), and starts again: every step is answered, once."""
    version = cluster_version()
    running, stop = await start_bot(standin, database_url)
    steps = ["/start", *WALK[:5]]
    restart_at = 3
    users = {ana.id, ben.id}
    held: set[int] = set()
    arrived, release = asyncio.Event(), asyncio.Event()

    async def hold(update: Update, context: ClinicContext) -> None:
        """Holds each patient's first try of the step at `restart_at` inside its
        transaction, with its statements made, until the database has gone."""
        user = update.effective_user
        if update.callback_query is None or user is None or user.id in held:
            return
        if (update.callback_query.data or "") != on_hold.get(user.id):
            return
        held.add(user.id)
        if held == users:
            arrived.set()
        await release.wait()

    on_hold: dict[int, str] = {}
    # Its own group, ahead of every handler of the bot (welcome_back's -2, the guards'
    # -1): one handler runs per group.
    running.application.add_handler(TypeHandler(Update, hold), group=-3)

    def cluster(action: str) -> None:
        command = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action]
        subprocess.run(command, check=True, timeout=60)

    async def send(user: User, step: str) -> dict[str, Any]:
        if step.startswith("/"):
            return await standin.send_text(user, step)
        return await standin.press(user, step)

    in_flight: list[dict[str, Any]] = []
    try:
        for number, step in enumerate(steps):
            if number != restart_at:
                for user in (ana, ben):
                    await standin.handled(await send(user, step), timeout=60)
                continue
            for user in (ana, ben):
                on_hold[user.id] = standin.screen(user.id).button(step)["callback_data"]
            in_flight = [await send(user, step) for user in (ana, ben)]
            await asyncio.wait_for(arrived.wait(), 30)  # both inside their transactions
            await asyncio.to_thread(cluster, "stop")
            try:
                release.set()  # their next statements find the database gone
                await asyncio.sleep(2)
            finally:
                await asyncio.to_thread(cluster, "start")
            await standin.handled(*in_flight, timeout=60)
    finally:
        release.set()
        await stop()
    assert held == users  # the restart did happen with both updates in hand
    retried = {
        record.getMessage().split("update_id=")[1].split()[0]
        for record in caplog.records
        if record.getMessage().startswith("update will be retried")
    }
    # Their transactions lost the database mid-way, and were tried again.
    assert {str(update["update_id"]) for update in in_flight} <= retried
    for user in (ana, ben):
        assert "How can I help you today?" in (standin.screen(user.id).text or "")
    database = Database(database_url)
    async with database.transaction() as session:
        incoming = (
            await session.execute(
                select(Patient.telegram_id, func.count())
                .join(MessageLog, MessageLog.patient_id == Patient.id)
                .where(MessageLog.direction == "in")
                .group_by(Patient.telegram_id)
            )
        ).all()
        unhandled = await session.scalar(
            select(func.count())
            .select_from(ProcessedUpdate)
            .where(ProcessedUpdate.handled_at.is_(None))
        )
    await database.dispose()
    # Every step the patients took is in the log once: none lost, none twice.
    assert dict(incoming) == {ana.id: len(steps), ben.id: len(steps)}
    assert unhandled == 0
    # Each press answered once (the stand-in refuses a second answer), the held ones too.
    for update in in_flight:
        assert update["callback_query"]["id"] in standin.callback_answers


@pytest.mark.postgresql_only
async def test_postgresql_down_for_twenty_seconds_loses_no_update(
    standin: StandIn, database_url: str, ana: User, ben: User
) -> None:
    """Patients keep tapping while the database stops for 20 s: the updates in hand and
    those that come meanwhile wait, stored or at Telegram, and are all answered once it
    is back. (20 s, longer than the 1 + 2 + 4 + 8 s of retries after which an update
    failing for another reason is given up: none is dropped for the database.)"""
    version = cluster_version()
    _, stop = await start_bot(standin, database_url)

    def cluster(action: str) -> None:
        command = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action]
        subprocess.run(command, check=True, timeout=60)

    sent: list[dict[str, object]] = []

    async def keep_tapping(user: User) -> None:
        for _ in range(40):
            sent.append(await standin.send_text(user, "/help"))
            await asyncio.sleep(0.5)

    try:
        for user in (ana, ben):
            await standin.handled(await standin.send_text(user, "/start"), timeout=30)
        tapping = asyncio.gather(keep_tapping(ana), keep_tapping(ben))
        await asyncio.sleep(1)
        await asyncio.to_thread(cluster, "stop")
        try:
            await asyncio.sleep(20)
        finally:
            await asyncio.to_thread(cluster, "start")
        await tapping
        for update in sent:
            await standin.handled(update, timeout=120)
    finally:
        await stop()
    for user in (ana, ben):
        helps = [
            m for m in standin.bot_messages(user.id) if (m.text or "").startswith("What I can")
        ]
        assert len(helps) == 40  # every tap answered, once
    database = Database(database_url)
    async with database.transaction() as session:
        incoming = await session.scalar(
            select(func.count()).select_from(MessageLog).where(MessageLog.direction == "in")
        )
    await database.dispose()
    assert incoming == 2 + 80
