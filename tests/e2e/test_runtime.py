"""The runtime: replies after commit, Telegram's lanes, nothing lost to a failing send."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from telegram import Update
from telegram.ext import TypeHandler

from bot.playground.botapi import StandIn, User
from bot.processor import RetryLater
from db import outbox
from db.engine import Database
from db.models import AftercareCheckin, OutboxMessage
from handlers.context import ClinicContext
from tests.conftest import (
    CALLS_IN_TRANSACTION,
    FakeClock,
    RunningBot,
    _wipe_postgres,
    postgres_url,
    start_bot,
)
from tests.e2e.test_aftercare import opt_in
from tests.e2e.test_booking import MONDAY_10AM, STAFF, act, texts

FAQ = "ℹ️ About the treatment"
FEVER = "🌡 Fever over 38 °C (100.4 °F)"


async def test_the_guard_sees_a_bot_api_call_made_inside_a_transaction(bot: RunningBot) -> None:
    """The check every end-to-end test ends with is not vacuous."""
    async with bot.database.transaction():
        await bot.application.bot.get_me()
    assert CALLS_IN_TRANSACTION == ["getMe"]
    CALLS_IN_TRANSACTION.clear()  # seen; this test's own call must not fail it


async def test_a_warning_sign_reaches_staff_while_the_patients_reply_fails(
    standin: StandIn, database_url: str, ana: User
) -> None:
    clock = FakeClock(MONDAY_10AM)
    running, stop = await start_bot(standin, database_url, clock=clock, staff_chat_id=STAFF)
    await opt_in(standin, ana, day="Yesterday")
    await act(standin, await standin.send_text(ana, "/aftercare"))
    await act(standin, await standin.press(ana, "📋 Today's care"))
    await act(standin, await standin.press(ana, "😟 Something worries me"))
    # Telegram fails the patient's answer twice (502), as on a bad day.
    standin.fail("sendMessage", 502, times=2, chat_id=ana.id)
    press = await standin.press(ana, FEVER)
    await act(standin, press)

    # The alert went out at once; the patient's answer after its retries, once.
    alert = [t for t in texts(standin, STAFF) if "Aftercare alert" in t]
    assert len(alert) == 1 and FEVER in alert[0] and "Ana Silva" in alert[0]
    assert sum("Please call the clinic now" in t for t in texts(standin, ana.id)) == 1
    # The press was answered once: a second answer would be refused by Telegram.
    answers = [
        params
        for method, params in standin.calls
        if method == "answerCallbackQuery"
        and params["callback_query_id"] == press["callback_query"]["id"]
    ]
    assert len(answers) == 1
    async with running.database.transaction() as session:
        answers = (
            await session.execute(select(AftercareCheckin.answer, AftercareCheckin.sign))
        ).all()
    assert [tuple(answer) for answer in answers] == [("worried", None), ("sign", "fever")]
    await stop()


async def test_a_429_in_one_chat_delays_only_that_chat(
    bot: RunningBot, ana: User, ben: User
) -> None:
    standin = bot.standin
    for user in (ana, ben):
        await act(standin, await standin.send_text(user, "/start"))
    # Telegram tells the bot to wait 2 s before writing to Ana again.
    standin.fail("editMessageText", 429, retry_after=2, chat_id=ana.id)
    ana_press = await standin.press(ana, FAQ)
    await asyncio.sleep(0.2)  # Ana's reply is waiting out its retry_after
    await act(standin, await standin.press(ben, FAQ))
    ben_screen = standin.screen(ben.id)
    assert (ben_screen.text or "").startswith("What would you like to know")

    await act(standin, ana_press)
    ana_screen = standin.screen(ana.id)
    assert (ana_screen.text or "").startswith("What would you like to know")
    # Ben's answer came first, although he pressed after Ana; hers came once.
    assert ben_screen.touched < ana_screen.touched
    edits = [p for m, p in standin.calls if m == "editMessageText" and p["chat_id"] == str(ana.id)]
    assert len(edits) == 2  # the refused one, and the one after the wait


async def test_a_backlog_of_staff_posts_never_holds_up_a_patient(
    standin: StandIn, database_url: str, ana: User
) -> None:
    """Telegram allows 20 posts a minute in a group: staff posts go one every 3 seconds,
    the rest wait in the outbox, unclaimed, while patients are answered at once."""
    standin.group_messages_per_minute = 20
    running, stop = await start_bot(
        standin, database_url, clock=FakeClock(MONDAY_10AM), staff_chat_id=STAFF
    )
    async with running.database.transaction() as session:
        for hour in range(30):
            outbox.enqueue(
                session,
                kind="staff_forgotten",
                chat_id=STAFF,
                payload={"starts_at": (MONDAY_10AM + timedelta(hours=hour)).isoformat()},
                due_at=MONDAY_10AM,
                now=MONDAY_10AM,
            )
    await standin.wait_for(lambda: len(standin.bot_messages(STAFF)) == 2, 10, "2 staff posts")
    posted = [message.touched for message in standin.bot_messages(STAFF)]

    await act(standin, await standin.send_text(ana, "/start"))
    await act(standin, await standin.press(ana, FAQ))
    assert (standin.screen(ana.id).text or "").startswith("What would you like to know")
    assert standin.screen(ana.id).touched > posted[-1]
    assert len(standin.bot_messages(STAFF)) <= 3  # the rest wait their turn
    async with running.database.transaction() as session:
        waiting = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == "pending", OutboxMessage.claimed_until.is_(None))
        )
    assert waiting >= 27
    assert standin.call_counts["429 group"] == 0  # the bot kept to the limit itself
    await stop()


@pytest.mark.postgresql_only
async def test_a_patient_stuck_on_a_lock_holds_up_nobody_else(
    standin: StandIn, ana: User, ben: User
) -> None:
    """The poller fetches and handles new updates while an earlier one still waits."""
    url = postgres_url()
    await _wipe_postgres(url)
    database = Database(url)
    _, stop = await start_bot(standin, url)
    for user in (ana, ben):
        await act(standin, await standin.send_text(user, "/start"))
    async with database.transaction() as session:
        # Another process holds Ana's row: her next update waits for it.
        await session.execute(
            text("SELECT id FROM patient WHERE telegram_id = :id FOR UPDATE"), {"id": ana.id}
        )
        stuck = await standin.press(ana, FAQ)
        await asyncio.sleep(0.3)
        # Ben is answered meanwhile (the bot is not idle: Ana's update waits, so this
        # waits for Ben's screens rather than for the bot to be done).
        for label, screen in [(FAQ, "What would you like"), ("🏠 Main menu", "How can I")] * 2:
            await standin.press(ben, label)
            await standin.wait_for(
                lambda screen=screen: (standin.screen(ben.id).text or "").startswith(screen),
                5,
                f"Ben's screen {screen!r}",
            )
        assert (standin.screen(ana.id).text or "").startswith("Hi Ana")  # still waiting
    await act(standin, stuck)
    assert (standin.screen(ana.id).text or "").startswith("What would you like to know")
    await database.dispose()
    await stop()


async def test_an_update_waits_out_the_database_however_long_it_takes(
    bot: RunningBot, ana: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database failing an update many times over is no reason to drop it: it is
    tried again until it goes through (the pauses are shortened here)."""
    standin = bot.standin
    await act(standin, await standin.send_text(ana, "/start"))
    monkeypatch.setattr("bot.poller.MAX_PAUSE", 0.05)
    processor = bot.application.update_processor
    real_run = processor._run  # type: ignore[attr-defined]
    failures = {"left": 8}

    async def failing_run(update: Any, coroutine: Any) -> Any:
        if failures["left"]:
            failures["left"] -= 1
            coroutine.close()
            raise RetryLater(update.update_id)  # as when the database is unreachable
        return await real_run(update, coroutine)

    monkeypatch.setattr(processor, "_run", failing_run)
    await act(standin, await standin.press(ana, FAQ))
    assert failures["left"] == 0
    assert (standin.screen(ana.id).text or "").startswith("What would you like to know")


@pytest.mark.postgresql_only
async def test_an_update_that_loses_a_deadlock_is_run_again(
    standin: StandIn, database_url: str, ana: User
) -> None:
    """PostgreSQL picks an update's transaction to give way in a deadlock (as a staff
    press racing the dispatcher over outbox rows once did): the update is rolled back
    and run again, and the patient gets the answer, not the apology."""
    running, stop = await start_bot(standin, database_url)
    deadlocked: list[int] = []

    async def deadlock_once(update: Update, context: ClinicContext) -> None:
        if update.update_id not in deadlocked:
            deadlocked.append(update.update_id)
            await context.session.execute(
                text("DO $$ BEGIN RAISE EXCEPTION 'deadlock' USING ERRCODE = '40P01'; END $$")
            )

    running.application.add_handler(TypeHandler(Update, deadlock_once), group=-3)
    await act(standin, await standin.send_text(ana, "/start"))
    await stop()
    assert len(deadlocked) == 1
    said = texts(standin, ana.id)
    assert len(said) == 1 and "How can I help you today?" in said[0]


async def test_an_update_the_database_always_refuses_to_store_is_given_up(
    standin: StandIn,
    database_url: str,
    ana: User,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Storing one update's step fails every time (a bug's broken constraint, here a
    trigger on the message log): after a few tries it is given up and logged, instead
    of being retried for ever and holding the patient's chat."""
    monkeypatch.setattr("bot.poller.MAX_ATTEMPTS", 2)
    running, stop = await start_bot(standin, database_url)
    trigger = (
        "CREATE TRIGGER refuse_boom BEFORE INSERT ON message_log WHEN NEW.text = 'boom' "
        "BEGIN SELECT RAISE(ABORT, 'refused'); END"
    )
    async with running.database.transaction() as session:
        if running.database.is_sqlite:
            await session.execute(text(trigger))
        else:
            await session.execute(
                text(
                    "CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$ "
                    "BEGIN IF NEW.text = 'boom' THEN RAISE EXCEPTION 'refused'; END IF; "
                    "RETURN NEW; END $$"
                )
            )
            await session.execute(
                text(
                    "CREATE TRIGGER refuse_boom BEFORE INSERT ON message_log FOR EACH ROW "
                    "EXECUTE FUNCTION refuse_boom()"
                )
            )
    await standin.send_text(ana, "boom")
    await act(standin, await standin.send_text(ana, "/start"))  # the chat is not held
    assert "How can I help you today?" in texts(standin, ana.id)[-1]

    async def unhandled() -> int:
        async with running.database.transaction() as session:
            count = await session.scalar(
                text("SELECT count(*) FROM processed_update WHERE handled_at IS NULL")
            )
            return int(count or 0)

    for _ in range(100):  # two tries, a second apart, then given up
        if await unhandled() == 0:
            break
        await asyncio.sleep(0.1)
    assert await unhandled() == 0
    assert any("giving up on update" in r.getMessage() for r in caplog.records)
    await stop()
