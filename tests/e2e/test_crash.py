"""SIGKILL the bot process and start it again: the patient goes on where they were."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import pytest
from sqlalchemy import func, select, text

from bot.playground.botapi import StandIn, User
from db.engine import Database
from db.models import FlowState, MessageLog, OutboxMessage, ProcessedUpdate
from tests.e2e.conftest import Launch


async def kill(process: asyncio.subprocess.Process) -> None:
    process.send_signal(signal.SIGKILL)
    await process.wait()


async def shows(standin: StandIn, user: User, start: str, timeout: float = 10) -> None:
    """Waits until the chat's last screen starts with `start`: replies follow the commit,
    and a bot in another process cannot say when it has sent them."""

    def showing() -> bool:
        screens = [message for message in standin.bot_messages(user.id) if message.keyboard]
        return bool(screens) and (standin.screen(user.id).text or "").startswith(start)

    await standin.wait_for(showing, timeout, f"a screen starting {start!r}")


async def test_sigkill_after_a_step_loses_nothing(
    standin: StandIn, launch: Launch, database_url: str, ana: User
) -> None:
    bot = await launch()
    sent: list[int] = []

    async def step(update: dict[str, Any], timeout: float = 10) -> None:
        sent.append(update["update_id"])
        await standin.handled(update, timeout=timeout)

    await step(await standin.send_text(ana, "/start"), timeout=30)
    await shows(standin, ana, "Hi Ana")
    await step(await standin.press(ana, "ℹ️ About the treatment"))
    await shows(standin, ana, "What would you like to know")
    await step(await standin.press(ana, "How much does it cost?"))
    await shows(standin, ana, "Cost")
    # A moment for the bot to record the send (the next test kills before it).
    await asyncio.sleep(0.3)
    await kill(bot)

    await launch()
    # Typed text shows the step the patient was on: the state came from the database.
    await step(await standin.send_text(ana, "hello?"), timeout=30)
    await standin.wait_for(lambda: len(standin.bot_messages(ana.id)) == 3, 10, "two replies")
    assert standin.last_texts(ana.id, 1)[0].startswith("Cost")  # type: ignore[union-attr]
    await step(await standin.press(ana, "« Other questions"))
    await shows(standin, ana, "What would you like to know")
    await step(await standin.press(ana, "Recovery: CO2 vs erbium"))
    await shows(standin, ana, "Recovery time")

    database = Database(database_url)
    async with database.transaction() as session:
        incoming = (
            (
                await session.execute(
                    select(MessageLog.update_id).where(MessageLog.direction == "in")
                )
            )
            .scalars()
            .all()
        )
        outgoing = await session.scalar(
            select(func.count()).select_from(MessageLog).where(MessageLog.direction == "out")
        )
        step = await session.scalar(select(FlowState.step))
    await database.dispose()
    assert len(sent) == 6
    assert sorted(incoming) == sent  # each update the patient sent, logged once
    sent = [m for m, _ in standin.calls if m in ("sendMessage", "editMessageText")]
    assert outgoing == len(sent) == 7  # 5 screens, plus notice and re-shown step for "hello?"
    assert step == "recovery"


async def test_sigkill_between_commit_and_reply_sends_it_after_the_restart(
    standin: StandIn, launch: Launch, database_url: str, ana: User
) -> None:
    bot = await launch()
    start = await standin.send_text(ana, "/start")
    await standin.handled(start, timeout=30)
    await shows(standin, ana, "Hi Ana")
    await asyncio.sleep(0.3)  # the greeting's send recorded
    arrived, release = standin.hold("editMessageText")
    press = await standin.press(ana, "ℹ️ About the treatment")
    # The reply is on its way: the update's transaction committed before it left.
    # (The button's answer goes alongside; it is not kept for after a crash, so the
    # kill waits for it here rather than leave the stand-in a spinning button.)
    await asyncio.wait_for(arrived.wait(), 10)
    query_id = press["callback_query"]["id"]
    await standin.wait_for(lambda: query_id in standin.callback_answers, 10, "the answer")
    await kill(bot)
    release.set()

    await launch()
    # SQLite serves one process, which takes its claims back at start; on PostgreSQL
    # the dead process's claims are free once its liveness lock is gone (at once).
    await shows(standin, ana, "What would you like to know")
    await standin.handled(press, timeout=30)
    await asyncio.sleep(0.3)  # the send recorded
    database = Database(database_url)
    async with database.transaction() as session:
        handled = (await session.execute(select(ProcessedUpdate.update_id))).scalars().all()
        logged = (
            await session.execute(
                select(MessageLog.direction, MessageLog.kind).order_by(MessageLog.id)
            )
        ).all()
        step = await session.scalar(select(FlowState.step))
        rows = await session.scalar(select(func.count()).select_from(OutboxMessage))
    await database.dispose()
    # Handled once, logged once; the reply went out after the restart, and its row went.
    assert sorted(handled) == [start["update_id"], press["update_id"]]
    assert [tuple(row) for row in logged] == [
        ("in", "command"),
        ("out", "text"),
        ("in", "button"),
        ("out", "edit"),
    ]
    assert step == "list"
    edits = [params for method, params in standin.calls if method == "editMessageText"]
    assert len(edits) == 2  # the one the kill cut short, and the one after the restart
    assert rows == 0


# PostgreSQL only: a lock on one patient's row keeps the update waiting.
@pytest.mark.postgresql_only
async def test_sigkill_before_the_commit_handles_the_stored_update_after_the_restart(
    standin: StandIn, launch: Launch, database_url: str, ana: User
) -> None:
    """Fetched updates are stored before Telegram is told to forget them: one whose
    transaction never committed is handled after the restart, from the database."""
    bot = await launch()
    await standin.handled(await standin.send_text(ana, "/start"), timeout=30)
    await shows(standin, ana, "Hi Ana")
    database = Database(database_url)
    async with database.transaction() as session:
        # Another process holds Ana's row: her update waits for it, uncommitted.
        await session.execute(
            text("SELECT id FROM patient WHERE telegram_id = :id FOR UPDATE"), {"id": ana.id}
        )
        press = await standin.press(ana, "ℹ️ About the treatment")
        # Confirmed: Telegram will not deliver it again.
        await standin.wait_for(lambda: standin.confirmed(press["update_id"]), 10, "stored")
        await asyncio.sleep(0.3)
        await kill(bot)
    await launch()
    await shows(standin, ana, "What would you like to know")
    async with database.transaction() as session:
        row = (
            await session.execute(
                select(ProcessedUpdate.handled_at, ProcessedUpdate.payload).where(
                    ProcessedUpdate.update_id == press["update_id"]
                )
            )
        ).one()
        logged = await session.scalar(
            select(func.count()).select_from(MessageLog).where(MessageLog.direction == "in")
        )
    await database.dispose()
    assert row.handled_at is not None and row.payload is None  # handled, content gone
    assert logged == 2
