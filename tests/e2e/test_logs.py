"""Logs carry ids and event names, never what a patient wrote or was told."""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.logs import configure_logging
from bot.playground.botapi import StandIn, User
from db.engine import Database
from tests.conftest import RunningBot, _logged, leaks
from tests.e2e.conftest import Launch
from tests.e2e.test_booking import act


async def test_no_message_text_in_any_log_line(
    bot: RunningBot, ana: User, caplog: pytest.LogCaptureFixture
) -> None:
    configure_logging("DEBUG")  # as `LOG_LEVEL=DEBUG clinic-bot run` would
    # basicConfig(force=True) removed pytest's handler; levels stay as the bot set them.
    logging.getLogger().addHandler(caplog.handler)
    secret = "I took isotretinoin last month"
    await bot.standin.handled(await bot.standin.send_text(ana, secret))
    await bot.standin.handled(await bot.standin.send_photo(ana, caption=secret))
    await bot.standin.handled(await bot.standin.press(ana, "📞 Contact the clinic"))

    lines = [record.getMessage() for record in caplog.records]
    assert any("update done" in line for line in lines)
    for forbidden in (secret, "isotretinoin", "I work best with the buttons", "Call us"):
        assert not [line for line in lines if forbidden in line]


PHONE = "14165550123"


async def refuse_bookings(database: Database) -> None:
    """From now on the database refuses every new appointment with an error a handler
    does not expect (not the unique index's IntegrityError of a race): it reaches the
    error handler, whose traceback carries the insert and, unless hidden, its
    parameters (the patient's name and phone)."""
    async with database.transaction() as session:
        if database.is_sqlite:
            # SQLite's "string or blob too big", a DataError.
            await session.execute(
                text(
                    "CREATE TRIGGER forced_failure BEFORE INSERT ON appointment "
                    "BEGIN SELECT zeroblob(2000000000); END"
                )
            )
            return
        await session.execute(
            text(
                "CREATE FUNCTION forced_failure() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN RAISE EXCEPTION 'forced failure'; END $$"
            )
        )
        await session.execute(
            text(
                "CREATE TRIGGER forced_failure BEFORE INSERT ON appointment FOR EACH ROW "
                "EXECUTE FUNCTION forced_failure()"
            )
        )


def _last_touch(standin: StandIn, user: User) -> int:
    return max((m.touched for m in standin.bot_messages(user.id)), default=0)


async def tap(standin: StandIn, user: User, label: str | None = None) -> None:
    """Presses a button (without a label, the first) once the chat shows it, then waits
    for the bot's answer: the bot may run in another process, whose replies come when
    they come."""
    await standin.wait_for(
        lambda: (
            any(m.keyboard for m in standin.bot_messages(user.id))
            and (label is None or label in standin.screen(user.id).buttons())
        ),
        10,
        f"a button {label!r}",
    )
    before = _last_touch(standin, user)
    await act(standin, await standin.press(user, label or standin.screen(user.id).buttons()[0]))
    await standin.wait_for(lambda: _last_touch(standin, user) > before, 10, "the answer")


async def book_until_it_fails(
    standin: StandIn, database: Database, user: User, phone: str, day: str | None = None
) -> None:
    """/book to the end, sharing `phone`; storing the appointment fails, and the patient
    gets the apology."""
    await refuse_bookings(database)
    await standin.handled(await standin.send_text(user, "/book"), timeout=30)
    await tap(standin, user, day)  # the first day open, unless the test names one
    await tap(standin, user)  # its first time
    await tap(standin, user, "✅ That's me")
    await standin.wait_for(lambda: bool(standin.reply_keyboards.get(user.id)), 10, "share")
    await act(standin, await standin.press_reply(user, "📱 Share my number", phone))
    await tap(standin, user, "Skip")  # the pre-screen
    await tap(standin, user, "✅ Confirm booking")
    await standin.wait_for(
        lambda: "went wrong" in (standin.screen(user.id).text or ""), 10, "the apology"
    )


async def test_a_database_error_logs_no_parameter_of_its_statement(
    clinic: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    """Storing the booking fails: its traceback is logged, without the name and phone
    the insert carried. (The autouse check also looks for "Al" in every log.)"""
    al = User(id=5551077, first_name="Al")
    await book_until_it_fails(clinic.standin, clinic.database, al, PHONE, "Tue 24 Nov")

    [failure] = [r for r in caplog.records if r.getMessage().startswith("handler failed")]
    logged = _logged(failure)
    assert "INSERT INTO appointment" in logged, logged
    assert "[SQL parameters hidden due to hide_parameters=True]" in logged
    assert leaks(logged, set(), {PHONE, f"+{PHONE}", "Al"}) == []


async def test_a_bot_process_logs_no_parameter_and_no_name(
    standin: StandIn, launch: Launch, database_url: str, tmp_path: Path
) -> None:
    """The same in a separately started bot (`clinic-bot run`, LOG_LEVEL=DEBUG): its log
    has the traceback, never the patient's name or phone (checked here, and by the
    autouse check, which reads the log of every process a test launched)."""
    process = await launch(LOG_LEVEL="DEBUG")
    database = Database(database_url)
    al = User(id=5551078, first_name="Al", last_name="Bo")
    try:
        await book_until_it_fails(standin, database, al, PHONE)
    finally:
        await database.dispose()
    process.send_signal(signal.SIGTERM)
    await asyncio.wait_for(process.wait(), timeout=30)

    logged = (tmp_path / "bot-0.log").read_text()
    assert "Traceback" in logged and "INSERT INTO appointment" in logged
    assert "[SQL parameters hidden due to hide_parameters=True]" in logged
    assert leaks(logged, set(), {PHONE, f"+{PHONE}", "Al", "Bo"}) == []
