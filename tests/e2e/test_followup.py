"""The long-term check-in end to end: staff record a treatment, and a year later (at
10:00 in the clinic's zone) the patient is asked how the results are holding, once,
across a restart; its consultation button books; turning it off holds; French."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from bot.playground.botapi import StandIn, User
from clinic.content import load_content
from db.models import Followup, OutboxMessage
from tests.conftest import FakeClock, RunningBot, start_bot
from tests.e2e.test_aftercare import local, settle
from tests.e2e.test_booking import MONDAY_10AM, STAFF, act, appointments_of, book, texts

CONTENT = load_content()
EN, FR = CONTENT.speaking("en").texts, CONTENT.speaking("fr").texts
TREATED = date(2026, 11, 24)
# A year after the treatment, at 10:00 in Toronto (EST, UTC-5).
DUE = datetime(2027, 11, 24, 15, tzinfo=UTC)
QUESTION = "How are your results holding up?"


async def press(standin: StandIn, user: User, label: str) -> None:
    await act(standin, await standin.press(user, label))


async def say(standin: StandIn, user: User, text: str) -> None:
    await act(standin, await standin.send_text(user, text))


async def treated(standin: StandIn, clock: FakeClock, patient: User, maria: User) -> None:
    """The patient books Tue 24 Nov 2026, staff confirm it; that day staff record a
    CO2 treatment on the card."""
    await book(standin, patient, "Tue 24 Nov", "10:00\u202fa.m.")
    await standin.wait_for(lambda: bool(standin.bot_messages(STAFF)), what="the staff card")
    card = standin.bot_messages(STAFF)[0]
    if "✅ Confirm" in card.buttons():  # not when bookings confirm at once
        await act(standin, await standin.press(maria, "✅ Confirm", message=card))
    clock.advance(days=1)
    await act(standin, await standin.press(maria, "🩹 Record treatment", message=card))
    await act(standin, await standin.press(maria, "CO2 laser", message=card))
    await act(standin, await standin.press(maria, "Today", message=card))


async def checkin_rows(running: RunningBot) -> list[OutboxMessage]:
    async with running.database.transaction() as session:
        return list(
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.kind == "followup")
                .order_by(OutboxMessage.id)
            )
        )


async def followup_of(running: RunningBot) -> Followup | None:
    async with running.database.transaction() as session:
        return await session.scalar(select(Followup))


def checkins(standin: StandIn, user: User, question: str = QUESTION) -> list[str]:
    return [text for text in texts(standin, user.id) if question in text]


async def test_the_check_in_comes_a_year_later_at_ten_once_across_a_restart(
    standin: StandIn, database_url: str, ana: User, maria: User
) -> None:
    clock = FakeClock(MONDAY_10AM)
    running, stop = await start_bot(standin, database_url, clock=clock, staff_chat_id=STAFF)
    await treated(standin, clock, ana, maria)
    [row] = await checkin_rows(running)
    assert (row.status, row.due_at, row.payload) == ("pending", DUE, {"treated_on": "2026-11-24"})
    assert local(date(2027, 11, 24), 10) == DUE
    # The same record pressed again (a double tap) queues nothing more.
    [appointment] = await appointments_of(running)
    card = standin.bot_messages(STAFF)[0]
    await act(standin, await standin.press_data(maria, card, f"staff:td:{appointment.id}:co2:0"))
    assert [r.status for r in await checkin_rows(running)] == ["pending"]

    await stop()  # months go by; the bot restarts
    running, stop = await start_bot(standin, database_url, clock=clock, staff_chat_id=STAFF)
    clock.now = DUE - timedelta(minutes=1)
    await settle()
    assert checkins(standin, ana) == []
    clock.now = DUE
    await standin.wait_for(lambda: bool(checkins(standin, ana)), what="the check-in")
    [text] = checkins(standin, ana)
    assert "your laser treatment on Tue 24 Nov 2026" in text
    assert "natural ageing" in text and "free consultation" in text
    assert standin.screen(ana.id).buttons() == [
        "😊 Holding well",
        "📅 I'd like a consultation",
        "🔕 No more of these",
    ]
    # A second process starting, and a month more: still one check-in.
    await stop()
    running, stop = await start_bot(standin, database_url, clock=clock, staff_chat_id=STAFF)
    clock.advance(days=31)
    await settle()
    assert len(checkins(standin, ana)) == 1
    assert [r.status for r in await checkin_rows(running)] == ["sent"]

    await press(standin, ana, "😊 Holding well")
    assert "Glad to hear it" in texts(standin, ana.id)[-1]
    found = await followup_of(running)
    assert found is not None and (found.answer, found.treated_on) == ("holding", TREATED)
    await stop()


async def test_the_consultation_button_books_a_consultation(
    standin: StandIn, database_url: str, ana: User, maria: User
) -> None:
    clock = FakeClock(MONDAY_10AM)
    running, stop = await start_bot(
        standin, database_url, clock=clock, staff_chat_id=STAFF, booking_confirmation="instant"
    )
    await treated(standin, clock, ana, maria)
    clock.now = DUE  # Wed 24 Nov 2027
    await standin.wait_for(lambda: bool(checkins(standin, ana)), what="the check-in")

    await press(standin, ana, "📅 I'd like a consultation")
    assert "Book a free consultation" in (standin.screen(ana.id).text or "")
    await press(standin, ana, "Thu 25 Nov")
    await press(standin, ana, "10:00\u202fa.m.")
    await press(standin, ana, EN("booking.name_ok"))
    await act(standin, await standin.press_reply(ana, EN("booking.share_phone")))
    await press(standin, ana, EN("prescreen.offer_skip"))
    await press(standin, ana, EN("booking.confirm"))
    booked = [a for a in await appointments_of(running) if a.starts_at.year == 2027]
    assert [(a.starts_at, a.status) for a in booked] == [
        (datetime(2027, 11, 25, 15, tzinfo=UTC), "confirmed")
    ]
    found = await followup_of(running)
    assert found is not None and found.answer == "consult"
    await stop()


async def test_turned_off_no_check_in_comes_and_mydata_shows_it(
    standin: StandIn, database_url: str, ana: User, maria: User
) -> None:
    clock = FakeClock(MONDAY_10AM)
    running, stop = await start_bot(standin, database_url, clock=clock, staff_chat_id=STAFF)
    await treated(standin, clock, ana, maria)

    await say(standin, ana, "/followup")
    screen = standin.screen(ana.id)
    assert "We'll ask how your results are holding on Wed 24 Nov 2027 at 10:00\u202fa.m." in (
        screen.text or ""
    )
    assert screen.buttons() == ["🔕 Turn off", EN("menu.back_to_menu")]
    await press(standin, ana, "🔕 Turn off")
    assert "no more check-ins after a treatment" in (standin.screen(ana.id).text or "")
    assert standin.screen(ana.id).buttons() == ["🔔 Turn on", EN("menu.back_to_menu")]
    assert [r.status for r in await checkin_rows(running)] == ["cancelled"]

    await say(standin, ana, "/mydata")
    document = standin.bot_messages(ana.id)[-1].document_bytes
    assert document is not None
    assert '"off_at": "2026-11-24T15:00:00+00:00"' in document.decode()
    clock.now = DUE + timedelta(days=2)
    await settle()
    assert checkins(standin, ana) == []

    # On again before its time: the check-in is queued again, once.
    clock.now = DUE - timedelta(days=30)
    await say(standin, ana, "/followup")
    await press(standin, ana, "🔔 Turn on")
    assert "Wed 24 Nov 2027 at 10:00\u202fa.m." in (standin.screen(ana.id).text or "")
    # ... and off again from the check-in's own button once it came.
    clock.now = DUE
    await standin.wait_for(lambda: bool(checkins(standin, ana)), what="the check-in")
    await press(standin, ana, "🔕 No more of these")
    found = await followup_of(running)
    assert found is not None and found.off_at == DUE
    await stop()


async def test_the_check_in_is_written_in_the_language_the_patient_speaks_when_it_is_sent(
    standin: StandIn, database_url: str, ana: User, maria: User
) -> None:
    clock = FakeClock(MONDAY_10AM)
    running, stop = await start_bot(standin, database_url, clock=clock, staff_chat_id=STAFF)
    await treated(standin, clock, ana, maria)
    await say(standin, ana, "/language")
    await press(standin, ana, "Français")
    clock.now = DUE
    question = "Comment vos résultats se maintiennent-ils?"
    await standin.wait_for(lambda: bool(checkins(standin, ana, question)), what="le suivi")
    [text] = checkins(standin, ana, question)
    assert "traitement au laser du mar. 24 nov. 2026" in text
    assert standin.screen(ana.id).buttons() == [
        FR("followup.holding"),
        FR("followup.consult"),
        FR("followup.stop"),
    ]
    await press(standin, ana, FR("followup.stop"))
    assert "plus de suivi après un traitement" in (standin.screen(ana.id).text or "")
    found = await followup_of(running)
    assert found is not None and found.off_at == DUE
    await stop()


async def test_a_block_leaves_the_check_in_for_a_patient_who_comes_back_before_it(
    standin: StandIn, database_url: str, ana: User, maria: User
) -> None:
    """Months ahead, the check-in is not cancelled by a block: it goes if the patient
    came back by then, and is dropped when due if they had not."""
    clock = FakeClock(MONDAY_10AM)
    running, stop = await start_bot(standin, database_url, clock=clock, staff_chat_id=STAFF)
    await treated(standin, clock, ana, maria)
    await act(standin, await standin.block(ana))
    assert [r.status for r in await checkin_rows(running)] == ["pending"]
    await act(standin, await standin.block(ana, blocked=False))
    clock.now = DUE
    await standin.wait_for(lambda: bool(checkins(standin, ana)), what="the check-in")
    await settle()  # sends are recorded in batches, just after
    assert [r.status for r in await checkin_rows(running)] == ["sent"]
    await stop()


async def test_the_check_in_of_a_patient_still_blocking_the_bot_is_dropped_when_due(
    standin: StandIn, database_url: str, ana: User, maria: User
) -> None:
    clock = FakeClock(MONDAY_10AM)
    running, stop = await start_bot(standin, database_url, clock=clock, staff_chat_id=STAFF)
    await treated(standin, clock, ana, maria)
    await act(standin, await standin.block(ana))
    clock.now = DUE
    await settle()
    assert [r.status for r in await checkin_rows(running)] == ["cancelled"]
    assert checkins(standin, ana) == []
    await stop()
