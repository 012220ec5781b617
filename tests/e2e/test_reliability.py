"""Nothing lost, nothing doubled: repeated updates, restarts, Telegram errors, bugs."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select
from telegram import Update
from telegram.ext import CommandHandler

from bot.playground.botapi import StandIn, User
from db.engine import Database
from db.models import FlowState, MessageLog, OutboxMessage, Patient, ProcessedUpdate
from handlers.context import ClinicContext
from tests.conftest import RunningBot, start_bot


async def log_rows(bot: RunningBot) -> list[tuple[str, str]]:
    async with bot.database.transaction() as session:
        rows = await session.execute(
            select(MessageLog.direction, MessageLog.kind).order_by(MessageLog.id)
        )
        return [(direction, kind) for direction, kind in rows]


async def test_a_repeated_update_is_handled_once(bot: RunningBot, ana: User) -> None:
    update = await bot.standin.send_text(ana, "/start")
    await bot.standin.queue_raw(update)  # the same update_id again, as a retry would
    await bot.standin.handled(update)

    assert len(bot.standin.bot_messages(ana.id)) == 1
    assert await log_rows(bot) == [("in", "command"), ("out", "text")]


async def test_an_update_redelivered_after_a_restart_is_skipped(
    standin: StandIn, database_url: str, ana: User
) -> None:
    """Telegram redelivers what was never confirmed, e.g. after a crash right after commit."""
    _, stop = await start_bot(standin, database_url)
    update = await standin.send_text(ana, "/start")
    await standin.handled(update)
    await stop()

    await standin.queue_raw(update)
    second, stop = await start_bot(standin, database_url)
    await standin.handled(update)
    assert len(standin.bot_messages(ana.id)) == 1
    assert await log_rows(second) == [("in", "command"), ("out", "text")]
    await stop()


async def test_a_telegram_outage_mid_reply_is_retried_without_doubles(
    bot: RunningBot, ana: User
) -> None:
    bot.standin.fail("sendMessage", 502, times=2)
    await bot.standin.handled(await bot.standin.send_text(ana, "/start"), timeout=20)

    [reply] = bot.standin.bot_messages(ana.id)
    assert reply.text is not None and reply.text.startswith("Hi Ana!")
    assert await log_rows(bot) == [("in", "command"), ("out", "text")]


async def test_too_many_requests_waits_retry_after(bot: RunningBot, ana: User) -> None:
    bot.standin.fail("sendMessage", 429, retry_after=1)
    await bot.standin.handled(await bot.standin.send_text(ana, "/start"))
    sends = [m for m, _ in bot.standin.calls if m == "sendMessage"]
    assert len(sends) == 2  # refused once, sent once after waiting
    assert len(bot.standin.bot_messages(ana.id)) == 1


async def test_a_bug_rolls_back_and_apologises(bot: RunningBot, ana: User) -> None:
    async def broken(update: Update, context: ClinicContext) -> None:
        context.flow.go("faq", "cost")  # a change that must not survive the failure
        raise RuntimeError("bug")

    bot.application.add_handler(CommandHandler("broken", broken), group=-1)
    await bot.standin.handled(await bot.standin.send_text(ana, "/broken"))

    [apology] = bot.standin.bot_messages(ana.id)
    assert apology.text is not None and apology.text.startswith("Sorry, something went wrong")
    assert "+1 905-929-3134" in apology.text
    assert apology.buttons() == ["🏠 Main menu"]
    async with bot.database.transaction() as session:
        state = await session.scalar(select(FlowState))
        assert state is None or state.flow is None
        assert await session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 1
    assert await log_rows(bot) == [("in", "command"), ("out", "text")]


async def test_blocking_and_unblocking_the_bot(bot: RunningBot, ana: User) -> None:
    await bot.standin.handled(await bot.standin.send_text(ana, "/start"))
    await bot.standin.handled(await bot.standin.block(ana))
    async with bot.database.transaction() as session:
        assert (await session.scalar(select(Patient.reachable))) is False
    await bot.standin.handled(await bot.standin.block(ana, blocked=False))
    async with bot.database.transaction() as session:
        assert (await session.scalar(select(Patient.reachable))) is True


async def test_one_chat_in_order_many_chats_at_once(bot: RunningBot, ana: User) -> None:
    standin = bot.standin
    others = [User(id=5552000 + n, first_name=f"P{n}") for n in range(10)]
    await standin.handled(*[await standin.send_text(user, "/start") for user in [ana, *others]])
    menu = standin.screen(ana.id)
    await standin.handled(await standin.press(ana, "ℹ️ About the treatment", menu))
    topics = ["faq:cost", "faq:recovery", "faq:risks"]
    presses = [await standin.press_data(ana, menu, data) for data in topics]
    await standin.handled(*presses)

    async with bot.database.transaction() as session:
        step = await session.scalar(
            select(FlowState.step).join(Patient).where(Patient.telegram_id == ana.id)
        )
        assert step == "risks"  # the last press wins
        patients = await session.scalar(select(func.count()).select_from(Patient))
    assert patients == 11
    for user in others:
        assert len(standin.bot_messages(user.id)) == 1


async def _stop_while_held(
    stop: Any, arrived: asyncio.Event, release: asyncio.Event, what: str
) -> None:
    """Starts `stop` while the update is held mid-way, checks it waits, then lets go."""
    await asyncio.wait_for(arrived.wait(), 10)
    stopping = asyncio.create_task(stop())
    await asyncio.sleep(0.5)  # stop() has begun: the poller is told, the fetch cancelled
    assert not stopping.done(), f"stop() returned with {what} still in hand"
    release.set()
    await asyncio.wait_for(stopping, 30)


async def _everything_there(database_url: str, standin: StandIn, ana: User) -> None:
    """The update's effects and its reply, once each; nothing left for a next start."""
    [greeting] = standin.bot_messages(ana.id)
    assert greeting.text is not None and greeting.text.startswith("Hi Ana!")
    database = Database(database_url)
    async with database.transaction() as session:
        logged = (
            await session.execute(
                select(MessageLog.direction, MessageLog.kind).order_by(MessageLog.id)
            )
        ).all()
        handled = (await session.execute(select(ProcessedUpdate.handled_at))).scalars().all()
        patients = (await session.execute(select(Patient.first_name))).scalars().all()
        outbox = await session.scalar(select(func.count()).select_from(OutboxMessage))
    await database.dispose()
    assert [tuple(row) for row in logged] == [("in", "command"), ("out", "text")]
    assert len(handled) == 1 and handled[0] is not None
    assert patients == ["Ana"]
    assert outbox == 0  # the reply's row went with its send: nothing left over


async def test_stopping_waits_for_the_update_in_hand(
    standin: StandIn, database_url: str, ana: User
) -> None:
    """stop() while a handler is mid-update (its transaction open): the update finishes,
    commits and its reply goes out before stop() returns."""
    running, stop = await start_bot(standin, database_url)
    arrived, release = asyncio.Event(), asyncio.Event()

    async def slow(update: Update, context: ClinicContext) -> None:
        arrived.set()  # inside the update's transaction, before the /start handler
        await release.wait()

    running.application.add_handler(CommandHandler("start", slow), group=-1)
    update = await standin.send_text(ana, "/start")
    await _stop_while_held(stop, arrived, release, "a handler")
    assert standin.confirmed(update["update_id"])  # a clean restart will not get it again
    await _everything_there(database_url, standin, ana)


async def test_stopping_waits_for_the_reply_in_hand(
    standin: StandIn, database_url: str, ana: User
) -> None:
    """stop() while the committed update's reply is on its way to Telegram (which then
    fails it): the reply is tried again and sent before stop() returns."""
    _, stop = await start_bot(standin, database_url)
    arrived, release = standin.hold("sendMessage")  # hangs, then 502
    await standin.send_text(ana, "/start")
    await _stop_while_held(stop, arrived, release, "a reply")
    sends = [method for method, _ in standin.calls if method == "sendMessage"]
    assert len(sends) == 2  # the one held and failed, the one that went
    await _everything_there(database_url, standin, ana)
