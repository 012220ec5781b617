"""Aftercare set-up against unexpected input: typed dates, stray messages, old buttons."""

from __future__ import annotations

from sqlalchemy import select

from bot.playground.botapi import StandIn, User
from db.models import AftercareCheckin, AftercarePlan, OutboxMessage
from tests.conftest import FakeClock, start_bot
from tests.e2e.test_aftercare import MONDAY_10AM, opt_in, plans, press
from tests.e2e.test_booking import STAFF, act, texts

DATE_SCREEN = "🩹 CO2 laser\n\nWhen was your treatment?"


def screen_text(standin: StandIn, user: User) -> str:
    return standin.screen(user.id).text or ""


async def to_date_step(standin: StandIn, user: User) -> None:
    await act(standin, await standin.send_text(user, "/aftercare"))
    await press(standin, user, "CO2 laser")


async def test_typed_dates_are_read_and_bad_ones_refused_with_the_reason(
    standin: StandIn, database_url: str, ana: User
) -> None:
    running, stop = await start_bot(standin, database_url, clock=FakeClock(MONDAY_10AM))
    await to_date_step(standin, ana)
    await act(standin, await standin.send_text(ana, "next week"))
    assert texts(standin, ana.id)[-2].startswith("Sorry, I couldn't read that date.")
    assert screen_text(standin, ana) == DATE_SCREEN

    await press(standin, ana, "📅 Another date")
    assert "Please type the day of your treatment" in screen_text(standin, ana)
    await act(standin, await standin.send_text(ana, "2026-12-01"))
    assert texts(standin, ana.id)[-2] == (
        "Tue 1 Dec is still ahead. Please choose the day you were treated: "
        "the messages start after the treatment."
    )
    assert "Please type the day of your treatment" in screen_text(standin, ana)
    await act(standin, await standin.send_text(ana, "Sep 1"))
    assert texts(standin, ana.id)[-2].startswith(
        "Tue 1 Sep is more than 60 days ago, so the daily care plan is already behind you."
    )
    await act(standin, await standin.send_text(ana, "x" * 4096))
    assert texts(standin, ana.id)[-2].startswith("Sorry, I couldn't read that date.")

    await act(standin, await standin.send_text(ana, "Nov 20"))
    assert "Daily aftercare for your CO2 laser treatment on Fri 20 Nov" in screen_text(standin, ana)
    assert await plans(running) == []  # nothing stored before the yes
    await stop()


async def test_stray_messages_and_commands_during_set_up_show_the_step_again(
    standin: StandIn, database_url: str, ana: User
) -> None:
    running, stop = await start_bot(standin, database_url, clock=FakeClock(MONDAY_10AM))
    await act(standin, await standin.send_text(ana, "/aftercare"))
    await act(standin, await standin.send_text(ana, "the CO2 one"))
    assert texts(standin, ana.id)[-2] == "I work best with the buttons. Here's where we were:"
    assert "Which laser were you treated with?" in screen_text(standin, ana)
    await act(standin, await standin.send_sticker(ana))
    assert "Which laser were you treated with?" in screen_text(standin, ana)

    await press(standin, ana, "CO2 laser")
    await act(standin, await standin.send_photo(ana))
    assert "it's best not to send pictures of your skin" in texts(standin, ana.id)[-2]
    assert screen_text(standin, ana) == DATE_SCREEN
    await press(standin, ana, "Yesterday")
    await press(standin, ana, "✅ Yes, send them")
    await act(standin, await standin.send_text(ana, "9am please"))
    assert "What time of day should I send them?" in screen_text(standin, ana)
    await act(standin, await standin.send_text(ana, "/frobnicate"))
    assert "What time of day should I send them?" in screen_text(standin, ana)

    # Back goes up the steps; the main menu leaves without storing anything.
    await press(standin, ana, "« Back")
    assert "Would you like them?" in screen_text(standin, ana)
    await press(standin, ana, "« Back")
    assert screen_text(standin, ana) == DATE_SCREEN
    await press(standin, ana, "🏠 Main menu")
    assert await plans(running) == []
    await stop()


async def test_old_and_forged_buttons_change_nothing(
    standin: StandIn, database_url: str, ana: User, ben: User
) -> None:
    running, stop = await start_bot(
        standin, database_url, clock=FakeClock(MONDAY_10AM), staff_chat_id=STAFF
    )
    await opt_in(standin, ana, day="Yesterday")
    screen = standin.screen(ana.id)
    for old in ("ac:yes", "ac:t:0800", "ac:d:0", "ac:l:erbium"):
        await act(standin, await standin.press_data(ana, screen, old))
        assert texts(standin, ana.id)[-2] == "That button is no longer active."
    assert "Your aftercare messages" in screen_text(standin, ana)  # the status, shown again
    [plan] = await plans(running)
    assert plan.send_at is not None and plan.send_at.hour == 9

    # Ben presses buttons naming Ana's plan: nothing stored, nothing sent to staff.
    await act(standin, await standin.send_text(ben, "/start"))
    menu = standin.screen(ben.id)
    for forged in (f"ac:w:{plan.id}", f"ac:s:{plan.id}:fever", f"ac:stop:{plan.id}"):
        await act(standin, await standin.press_data(ben, menu, forged))
        assert texts(standin, ben.id)[-1].startswith("That button is no longer active.")
    await act(standin, await standin.press_data(ana, screen, f"ac:s:{plan.id}:nonsense"))
    async with running.database.transaction() as session:
        assert list(await session.scalars(select(AftercareCheckin))) == []
        kinds = list(await session.scalars(select(OutboxMessage.kind)))
        status = await session.scalar(select(AftercarePlan.status))
    assert "aftercare_alert" not in kinds and status == "active"
    assert standin.bot_messages(STAFF) == []
    await stop()
