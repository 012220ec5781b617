"""Booking with unexpected input: every step has an answer and a way back."""

from __future__ import annotations

from sqlalchemy import select

from bot.playground.botapi import StandIn, User
from db.models import Appointment
from tests.conftest import RunningBot
from tests.e2e.test_booking import act, appointments_of, book, texts


def screen_text(standin: StandIn, user: User) -> str:
    return standin.screen(user.id).text or ""


async def to_phone_step(standin: StandIn, user: User) -> None:
    await act(standin, await standin.send_text(user, "/book"))
    await act(standin, await standin.press(user, "Tue 24 Nov"))
    await act(standin, await standin.press(user, "10:00\u202fa.m."))
    await act(standin, await standin.press(user, "✅ That's me"))


async def test_back_works_at_every_step(clinic: RunningBot, ana: User) -> None:
    standin = clinic.standin
    await to_phone_step(standin, ana)
    await act(standin, await standin.press_reply(ana, "📱 Share my number"))
    await act(standin, await standin.press(ana, "Skip"))  # the pre-screen
    assert "Please check your booking" in screen_text(standin, ana)
    await act(standin, await standin.press(ana, "« Back"))  # summary -> phone
    assert "What number" in texts(standin, ana.id)[-1]
    await act(standin, await standin.press_reply(ana, "« Back"))  # phone -> name
    assert ana.id not in standin.reply_keyboards
    assert "Who is the consultation for?" in screen_text(standin, ana)
    await act(standin, await standin.press(ana, "✏️ Another name"))
    await act(standin, await standin.press(ana, "« Back"))  # typing the name -> name
    assert "Who is the consultation for?" in screen_text(standin, ana)
    await act(standin, await standin.press(ana, "« Back"))  # name -> times
    assert "Choose a time" in screen_text(standin, ana)
    await act(standin, await standin.press(ana, "« Other days"))  # times -> days
    assert "Choose a day" in screen_text(standin, ana)
    await act(standin, await standin.press(ana, "Later »"))
    assert "Tue 1 Dec" in standin.screen(ana.id).buttons()
    await act(standin, await standin.press(ana, "« Earlier"))
    await act(standin, await standin.press(ana, "🏠 Main menu"))
    assert "How can I help you today?" in screen_text(standin, ana)
    assert await appointments_of(clinic) == []


async def test_typed_text_stickers_and_commands_mid_booking(clinic: RunningBot, ana: User) -> None:
    standin = clinic.standin
    await act(standin, await standin.send_text(ana, "/book"))
    await act(standin, await standin.send_text(ana, "tuesday please"))
    assert "I work best with the buttons" in texts(standin, ana.id)[-2]
    assert "Choose a day" in screen_text(standin, ana)
    await act(standin, await standin.press(ana, "Tue 24 Nov"))
    await act(standin, await standin.send_sticker(ana))
    assert "Choose a time" in screen_text(standin, ana)
    await act(standin, await standin.press(ana, "10:00\u202fa.m."))
    await act(standin, await standin.press(ana, "✏️ Another name"))
    await act(standin, await standin.send_text(ana, "🙂🙂"))
    assert "Please type a name of 2 to 64 letters." in texts(standin, ana.id)[-1]
    await act(standin, await standin.send_text(ana, "x" * 5000))
    assert "Please type a name of 2 to 64 letters." in texts(standin, ana.id)[-1]
    await act(standin, await standin.send_text(ana, "  Ana   María Silva-Pérez "))
    assert "What number" in texts(standin, ana.id)[-1]
    await act(standin, await standin.send_text(ana, "call me maybe"))
    assert "doesn't look like a phone number" in texts(standin, ana.id)[-1]
    assert "416 555 0123" in texts(standin, ana.id)[-1]
    await act(standin, await standin.send_photo(ana))
    assert "What number" in texts(standin, ana.id)[-1]  # the step again, keyboard included
    await act(standin, await standin.send_text(ana, "(647) 555-0199"))
    assert "candidacy questionnaire first" in screen_text(standin, ana)
    await act(standin, await standin.press(ana, "Skip"))
    summary = screen_text(standin, ana)
    assert "Ana María Silva-Pérez" in summary and "+1 647-555-0199" in summary
    await act(standin, await standin.send_text(ana, "/appointments"))  # a command mid-flow
    assert "You have no upcoming consultations." in screen_text(standin, ana)


async def test_old_or_forged_time_buttons_get_the_reason_and_the_choices(
    clinic: RunningBot, ana: User, clock: object
) -> None:
    standin = clinic.standin
    await act(standin, await standin.send_text(ana, "/book"))
    await act(standin, await standin.press(ana, "Tue 24 Nov"))
    times = standin.screen(ana.id)
    for data, reason in (
        ("book:t:202611231400", "That time has already passed."),  # Monday 9 a.m.
        ("book:t:202611240000", "too soon to book online"),  # Monday 7 p.m.
        ("book:t:202701151500", "too far ahead"),
        ("book:t:202611291500", "isn't open then"),  # a Sunday
        ("book:t:202611241512", "isn't open then"),  # not on the grid
    ):
        await act(standin, await standin.press_data(ana, times, data))
        assert reason in list(standin.callback_answers.values())[-1]
        assert "Choose" in screen_text(standin, ana)
    assert await appointments_of(clinic) == []


async def test_a_time_taken_meanwhile_offers_the_nearest(
    clinic: RunningBot, ana: User, ben: User
) -> None:
    standin = clinic.standin
    await act(standin, await standin.send_text(ana, "/book"))
    await act(standin, await standin.press(ana, "Tue 24 Nov"))
    old_times = standin.screen(ana.id)
    await book(standin, ben, "Tue 24 Nov", "10:00\u202fa.m.")
    await act(standin, await standin.press(ana, "10:00\u202fa.m.", message=old_times))
    assert "That time has just been taken" in list(standin.callback_answers.values())[-1]
    assert "10:00\u202fa.m." not in standin.screen(ana.id).buttons()
    assert "10:30\u202fa.m." in standin.screen(ana.id).buttons()


async def test_one_upcoming_consultation_per_patient(clinic: RunningBot, ana: User) -> None:
    standin = clinic.standin
    await book(standin, ana, "Tue 24 Nov", "10:00\u202fa.m.")
    await act(standin, await standin.send_text(ana, "/book"))
    text = screen_text(standin, ana)
    assert "You already have an upcoming consultation" in text
    assert "Tue 24 Nov 2026 at 10:00\u202fa.m." in text and "waiting for the clinic" in text
    assert standin.screen(ana.id).buttons()[:2] == ["🔁 Move Tue 24 Nov", "✖️ Cancel Tue 24 Nov"]
    async with clinic.database.transaction() as session:
        assert len(list(await session.scalars(select(Appointment)))) == 1


async def test_a_cancelled_appointments_buttons_say_so(clinic: RunningBot, ana: User) -> None:
    standin = clinic.standin
    await book(standin, ana, "Tue 24 Nov", "10:00\u202fa.m.")
    await act(standin, await standin.send_text(ana, "/appointments"))
    listing = standin.screen(ana.id)
    move = listing.button("🔁 Move Tue 24 Nov")["callback_data"]
    await act(standin, await standin.press(ana, "✖️ Cancel Tue 24 Nov"))
    await act(standin, await standin.press(ana, "I can't make it"))
    assert "is cancelled" in screen_text(standin, ana)
    [cancelled] = await appointments_of(clinic)
    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "I can't make it")
    await act(standin, await standin.press_data(ana, listing, move))
    assert "can't be changed any more" in screen_text(standin, ana)
