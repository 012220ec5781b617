"""The waitlist end to end: joining, a freed time offered in the order patients joined,
the first to take it booking it, the others told it has gone; a 20-way race; how
entries end; French offers; what staff see; every way a time frees up (the patient's
cancellation, the clinic's, a declined request, a confirmed move, a move away,
/forget), and a treatment session, which frees no consultation time and ends no wait."""

from __future__ import annotations

import asyncio
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from bot.housekeeping import housekeeping
from bot.playground.botapi import ChatMessage, StandIn, User
from clinic.content import Texts, load_content
from db.models import WaitlistEntry, WaitlistOffer
from tests.conftest import FakeClock, RunningBot, start_bot
from tests.e2e.test_booking import (
    ENGLISH,
    MONDAY_10AM,
    STAFF,
    TUESDAY_10AM,
    WEDNESDAY_10AM,
    _confirmed_then_moved,
    act,
    appointments_of,
    book,
    staff_card,
    texts,
    wait_for_text,
)
from tests.e2e.test_treatment import (
    SUNDAY_8AM,
    consultation_with_a_plan,
    staff_press,
    the_treatment,
)

FRENCH = load_content().speaking("fr").texts
OFFERED = "An earlier time has freed up"
TUESDAY = "Tue 24 Nov 2026 at 10:00\u202fa.m."


def plain(text: str) -> str:
    """What a patient sees of a text (no HTML tags), up to a value given as NUL."""
    return re.sub(r"<[^>]+>", "", text).split("\x00")[0]


async def join(
    standin: StandIn,
    user: User,
    until: str = "Mon 7 Dec",
    *,
    share: bool = True,
    words: Texts = ENGLISH,
    start: str = "/book",
) -> None:
    """From /book's day list (or /appointments): the waitlist button, a day, a number."""
    await act(standin, await standin.send_text(user, start))
    await act(standin, await standin.press(user, words("waitlist.join")))
    await act(standin, await standin.press(user, until))
    if share:
        assert plain(words("waitlist.ask_phone")) in texts(standin, user.id)[-1]
        await act(standin, await standin.press_reply(user, words("booking.share_phone")))
    assert plain(words("waitlist.joined", day="\x00")) in "".join(texts(standin, user.id)[-2:])


async def cancel(standin: StandIn, user: User, day: str = "Tue 24 Nov") -> None:
    await act(standin, await standin.send_text(user, "/appointments"))
    await act(standin, await standin.press(user, f"✖️ Cancel {day}"))
    await act(standin, await standin.press(user, "Just cancel"))


async def offer_of(standin: StandIn, user: User, part: str = OFFERED) -> ChatMessage:
    await wait_for_text(standin, user.id, part)
    return next(m for m in standin.bot_messages(user.id) if part in (m.text or ""))


async def entries(running: RunningBot) -> list[WaitlistEntry]:
    async with running.database.transaction() as session:
        return list(await session.scalars(select(WaitlistEntry).order_by(WaitlistEntry.id)))


async def test_a_freed_time_goes_to_the_first_to_take_it_and_the_other_is_told(
    clinic: RunningBot, ana: User, ben: User, maria: User
) -> None:
    standin = clinic.standin
    carol = User(id=5551003, first_name="Carol", last_name="Ng")
    await book(standin, ana, "Tue 24 Nov", "10:00\u202fa.m.")
    await join(standin, ben)
    await join(standin, carol, "Mon 30 Nov")
    week = standin.send_group_text(maria, STAFF, "/week")
    await act(standin, await week)
    await wait_for_text(standin, STAFF, "Waitlist")
    staff_view = next(t for t in texts(standin, STAFF) if "Waitlist" in t)
    assert "(2 waiting)" in staff_view
    assert staff_view.index("Ben: until Mon 7 Dec") < staff_view.index("Carol Ng: until Mon 30 Nov")

    await cancel(standin, ana)
    ben_offer, carol_offer = await offer_of(standin, ben), await offer_of(standin, carol)
    assert TUESDAY in (ben_offer.text or "") and "until 10:15\u202fa.m." in (ben_offer.text or "")
    assert ben_offer.buttons() == ["✅ Book it", "🔕 Leave the waitlist", "🏠 Main menu"]
    # Ana, who freed it, is offered nothing.
    assert not any(OFFERED in t for t in texts(standin, ana.id))

    await act(standin, await standin.press(carol, "✅ Book it", message=carol_offer))
    assert "Request sent" in (standin.screen(carol.id).text or "")
    await wait_for_text(
        standin, ben.id, "The time you were offered, Tue 24 Nov 2026 at 10:00\u202fa.m., has been"
    )
    gone = [t for t in texts(standin, ben.id) if "has been taken" in t]
    assert len(gone) == 1 and "still on the waitlist until Mon 7 Dec" in gone[0]
    # Ben's offer, pressed after all, says so and books nothing.
    await act(standin, await standin.press(ben, "✅ Book it", message=ben_offer))
    assert "someone took Tue 24 Nov 2026 at 10:00\u202fa.m. just before you" in (
        standin.screen(ben.id).text or ""
    )
    held = [(a.starts_at, a.status, a.name) for a in await appointments_of(clinic)]
    assert held == [
        (TUESDAY_10AM, "cancelled", "Ana Silva"),
        (TUESDAY_10AM, "requested", "Carol Ng"),
    ]
    # Carol's wait ended with her booking; Ben (who joined first) still waits.
    assert [(e.end_reason, e.ended_at is None) for e in await entries(clinic)] == [
        (None, True),
        ("booked", False),
    ]
    async with clinic.database.transaction() as session:
        offers = sorted(o.status for o in await session.scalars(select(WaitlistOffer)))
    assert offers == ["gone", "taken"]


async def test_an_offer_past_its_hold_cannot_be_taken_and_nobody_gets_a_time_too_soon(
    standin: StandIn, database_url: str, ana: User, ben: User
) -> None:
    clock = FakeClock(MONDAY_10AM)
    running, stop = await start_bot(standin, database_url, clock=clock, waitlist_hold_minutes=20)
    await book(standin, ana, "Tue 24 Nov", "10:00\u202fa.m.")
    await join(standin, ben)
    await cancel(standin, ana)
    offer = await offer_of(standin, ben)
    assert "until 10:20\u202fa.m." in (offer.text or "")
    book_it = offer.button("✅ Book it")["callback_data"]
    clock.advance(minutes=21)
    # Someone books the time meanwhile: the answer is still that the hold ended (not
    # that someone took it "just before" Ben), and nothing is booked for him.
    carol = User(id=5551003, first_name="Carol")
    await book(standin, carol, "Tue 24 Nov", "10:00\u202fa.m.")
    await act(standin, await standin.press(ben, "✅ Book it", message=offer))
    assert (standin.screen(ben.id).text or "") == (
        "⌛ This offer ended at 10:20\u202fa.m., so you can no longer book "
        "Tue 24 Nov 2026 at 10:00\u202fa.m. from it. You're still on the waitlist: "
        "I'll message you when another time frees up."
    )
    held = [(a.name, a.status) for a in await appointments_of(running)]
    assert held == [("Ana Silva", "cancelled"), ("Carol", "confirmed")]
    # Off the list, the old button promises no wait that goes on.
    await act(standin, await standin.send_text(ben, "/appointments"))
    await act(standin, await standin.press(ben, "🔕 Leave the waitlist"))
    await act(standin, await standin.press_data(ben, offer, book_it))
    assert (standin.screen(ben.id).text or "").startswith("This offer is no longer available.")
    assert len(await appointments_of(running)) == 2
    await join(standin, ben, share=False)

    # A time freed less than the minimum notice ahead is offered to nobody.
    await book(standin, ana, "Tue 24 Nov", "10:30\u202fa.m.")
    clock.advance(hours=12, minutes=10)  # Monday 10:31 p.m.: under 12 hours before
    before = sum(OFFERED in t for t in texts(standin, ben.id))
    await cancel(standin, ana)
    assert sum(OFFERED in t for t in texts(standin, ben.id)) == before
    await stop()


@pytest.mark.postgresql_only
async def test_twenty_waiting_patients_pressing_book_it_at_once_get_one_booking(
    standin: StandIn, database_url: str, ana: User
) -> None:
    running, stop = await start_bot(
        standin, database_url, clock=FakeClock(MONDAY_10AM), staff_chat_id=STAFF
    )
    patients = [User(id=8100 + n, first_name=f"Waiting{n}") for n in range(20)]
    await book(standin, ana, "Tue 24 Nov", "10:00\u202fa.m.")
    for patient in patients:
        await join(standin, patient)
    await cancel(standin, ana)
    offers = [await offer_of(standin, patient) for patient in patients]
    presses = [
        await standin.press(patient, "✅ Book it", message=offer)
        for patient, offer in zip(patients, offers, strict=True)
    ]
    await standin.handled(*presses, timeout=60)

    active = [a for a in await appointments_of(running) if a.status in ("requested", "confirmed")]
    assert [(a.starts_at, a.status) for a in active] == [(TUESDAY_10AM, "requested")]
    winners = [p for p in patients if "Request sent" in (standin.screen(p.id).text or "")]
    assert len(winners) == 1
    for patient in patients:
        if patient in winners:
            continue
        # Each loser hears it once: the answer to their press, or the message.
        await standin.wait_for(
            lambda p=patient: any(
                "just before you" in t or "has been taken" in t for t in texts(standin, p.id)
            ),
            what="the time has gone",
        )
    await stop()


async def test_entries_end_when_the_patient_books_leaves_or_the_day_passes(
    standin: StandIn, database_url: str, ana: User, ben: User
) -> None:
    clock = FakeClock(MONDAY_10AM)
    running, stop = await start_bot(standin, database_url, clock=clock)
    carol = User(id=5551003, first_name="Carol")

    # Leaving by the button on the joined screen.
    await join(standin, carol, "Mon 30 Nov")
    await act(standin, await standin.press(carol, "🔕 Leave the waitlist"))
    assert "You've left the waitlist" in (standin.screen(carol.id).text or "")

    # Booking, any way, ends the wait (Ana holds no consultation: a new booking).
    await join(standin, ana)
    await book(standin, ana, "Wed 25 Nov", "10:00\u202fa.m.")

    # Someone holding a consultation joins from /appointments, and leaves there.
    await book(standin, ben, "Thu 26 Nov", "10:00\u202fa.m.")
    await join(standin, ben, "Mon 30 Nov", share=False, start="/appointments")
    assert "moves your consultation" in (standin.screen(ben.id).text or "")
    await act(standin, await standin.send_text(ben, "/appointments"))
    listed = standin.screen(ben.id)
    assert "On the waitlist for an earlier time, until Mon 30 Nov" in (listed.text or "")
    await act(standin, await standin.press(ben, "🔕 Leave the waitlist"))

    # The day passes: read time first, housekeeping then writes it down.
    await join(standin, carol, "Mon 30 Nov", share=False)
    clock.advance(days=8)
    await act(standin, await standin.send_text(carol, "/appointments"))
    assert "waitlist" not in (standin.screen(carol.id).text or "")
    assert "🔔 Tell me if an earlier time frees up" not in standin.screen(carol.id).buttons()
    await housekeeping(SimpleNamespace(bot_data=running.application.bot_data))  # type: ignore[arg-type]

    ended = [(entry.end_reason) for entry in await entries(running)]
    assert ended == ["left", "booked", "left", "passed"]
    await stop()


async def test_a_french_patient_gets_the_offer_in_french_and_taking_it_moves_her_consultation(
    standin: StandIn, database_url: str, ana: User
) -> None:
    running, stop = await start_bot(standin, database_url, clock=FakeClock(MONDAY_10AM))
    claire = User(id=5551010, first_name="Claire", last_name="Tremblay", language_code="fr-CA")
    await book(standin, claire, "jeu. 26 nov.", "10 h 00", FRENCH)
    await join(standin, claire, "lun. 30 nov.", share=False, words=FRENCH, start="/appointments")
    await book(standin, ana, "Tue 24 Nov", "10:00\u202fa.m.")
    await cancel(standin, ana)

    offer = await offer_of(standin, claire, "Une place plus tôt s'est libérée")
    text = offer.text or ""
    assert "mar. 24 nov. 2026 à 10 h 00" in text and "jusqu'à 10 h 15" in text
    assert "déplace votre consultation du jeu. 26 nov. 2026 à 10 h 00" in text
    assert offer.buttons()[0] == FRENCH("waitlist.book_it")
    await act(standin, await standin.press(claire, FRENCH("waitlist.book_it"), message=offer))
    held = [
        (a.starts_at, a.status)
        for a in await appointments_of(running)
        if a.name == "Claire Tremblay"
    ]
    assert sorted(held) == [
        (TUESDAY_10AM, "confirmed"),
        (TUESDAY_10AM.replace(day=26), "cancelled"),
    ]
    await stop()


# -- every way a consultation time frees up ----------------------------------------------------

WEDNESDAY = "Wed 25 Nov 2026 at 10:00\u202fa.m."


async def takes_it(standin: StandIn, user: User, when: str, answer: str) -> None:
    """`user` is offered `when` and books it with the offer's button."""
    offer = await offer_of(standin, user)
    assert when in (offer.text or "")
    await act(standin, await standin.press(user, "✅ Book it", message=offer))
    assert answer in (standin.screen(user.id).text or "")


async def test_a_cancellation_by_the_clinic_from_the_card_offers_the_time(
    clinic: RunningBot, ana: User, ben: User, maria: User
) -> None:
    standin = clinic.standin
    await join(standin, ben)
    await book(standin, ana, "Tue 24 Nov", "10:00\u202fa.m.")
    card = await staff_card(standin)
    await act(standin, await standin.press(maria, "✅ Confirm", message=card))
    await act(standin, await standin.press(maria, "✖️ Cancel", message=card))
    await act(standin, await standin.press(maria, "The clinic is closed that day", message=card))
    await wait_for_text(standin, ana.id, "the clinic had to cancel")
    await takes_it(standin, ben, TUESDAY, "Request sent")
    # Ana, whose time the clinic cancelled, is not offered it back.
    assert not any(OFFERED in t for t in texts(standin, ana.id))
    held = [(a.starts_at, a.status, a.name) for a in await appointments_of(clinic)]
    assert held == [
        (TUESDAY_10AM, "cancelled", "Ana Silva"),
        (TUESDAY_10AM, "requested", "Ben"),
    ]


async def test_a_declined_request_offers_the_time(
    clinic: RunningBot, ana: User, ben: User, maria: User
) -> None:
    standin = clinic.standin
    await book(standin, ana, "Tue 24 Nov", "10:00\u202fa.m.")
    # The request holds the time: Ben, waiting, hears nothing of it yet.
    await join(standin, ben)
    assert not any(OFFERED in t for t in texts(standin, ben.id))
    await act(standin, await standin.press(maria, "✖️ Decline", message=await staff_card(standin)))
    await takes_it(standin, ben, TUESDAY, "Request sent")
    statuses = [(a.name, a.status) for a in await appointments_of(clinic)]
    assert statuses == [("Ana Silva", "declined"), ("Ben", "requested")]


async def test_a_confirmed_move_offers_the_time_it_gives_up(
    clinic: RunningBot, ana: User, ben: User, maria: User
) -> None:
    standin = clinic.standin
    await join(standin, ben)
    card = await _confirmed_then_moved(standin, ana, maria)
    # While the move waits for staff, Wednesday is still Ana's: nothing is offered.
    assert not any(OFFERED in t for t in texts(standin, ben.id))
    await act(standin, await standin.press(maria, "✅ Confirm", message=card))
    await takes_it(standin, ben, WEDNESDAY, "Request sent")
    assert not any(OFFERED in t for t in texts(standin, ana.id))
    bens = [(a.starts_at, a.status) for a in await appointments_of(clinic) if a.name == "Ben"]
    assert bens == [(WEDNESDAY_10AM, "requested")]


async def test_a_move_away_by_the_patient_offers_the_time_she_left(
    standin: StandIn, database_url: str, ana: User, ben: User
) -> None:
    running, stop = await start_bot(standin, database_url, clock=FakeClock(MONDAY_10AM))
    await book(standin, ana, "Tue 24 Nov", "10:00\u202fa.m.")
    await join(standin, ben)
    await act(standin, await standin.send_text(ana, "/appointments"))
    await act(standin, await standin.press(ana, "🔁 Move Tue 24 Nov"))
    await act(standin, await standin.press(ana, "Wed 25 Nov"))
    await act(standin, await standin.press(ana, "10:00\u202fa.m."))
    await act(standin, await standin.press(ana, "✅ Move it"))
    await takes_it(standin, ben, TUESDAY, "is confirmed")
    assert not any(OFFERED in t for t in texts(standin, ana.id))
    held = sorted((a.starts_at, a.status, a.name) for a in await appointments_of(running))
    assert held == [
        (TUESDAY_10AM, "cancelled", "Ana Silva"),
        (TUESDAY_10AM, "confirmed", "Ben"),
        (WEDNESDAY_10AM, "confirmed", "Ana Silva"),
    ]
    await stop()


async def test_forget_offers_the_time_of_the_consultation_it_deletes(
    clinic: RunningBot, ana: User, ben: User
) -> None:
    standin = clinic.standin
    await book(standin, ana, "Tue 24 Nov", "10:00\u202fa.m.")
    await join(standin, ben)
    await act(standin, await standin.send_text(ana, "/forget"))
    await act(standin, await standin.press(ana, "🗑 Yes, delete my data"))
    assert "Your data has been deleted." in texts(standin, ana.id)[-1]
    await takes_it(standin, ben, TUESDAY, "Request sent")
    assert [(a.name, a.status) for a in await appointments_of(clinic)] == [("Ben", "requested")]


async def test_a_treatment_session_frees_no_consultation_time_and_ends_no_wait(
    standin: StandIn, database_url: str, ana: User, ben: User, maria: User
) -> None:
    """Ana, planned a treatment, waits for a consultation and books her session (her
    wait goes on); a consultation time that frees up before her session is hers as a
    new consultation, her session untouched; her cancelled session offers nothing."""
    clock = FakeClock(SUNDAY_8AM)
    running, stop = await start_bot(standin, database_url, clock=clock, staff_chat_id=STAFF)
    carol = User(id=5551003, first_name="Carol")
    await consultation_with_a_plan(standin, clock, ana, maria)  # now Mon 26 Oct, 10:30
    await join(standin, ben, "Mon 23 Nov")
    await join(standin, ana, "Mon 23 Nov", share=False)
    # The offer to book the treatment, from its message (the waitlist screen came since).
    await wait_for_text(standin, ana.id, "Your treatment plan")
    plan = next(m for m in standin.bot_messages(ana.id) if "Your treatment plan" in (m.text or ""))
    await act(standin, await standin.press(ana, "📅 Book my treatment", message=plan))
    for label in ("Later »", "Later »", "Tue 10 Nov", "10:00\u202fa.m.", "✅ That's me"):
        await act(standin, await standin.press(ana, label))
    await act(standin, await standin.press_reply(ana, "📱 Share my number"))
    await act(standin, await standin.press(ana, "✅ Confirm booking"))
    await wait_for_text(standin, STAFF, "Treatment request")
    await staff_press(standin, maria, "✅ Confirm", len(standin.bot_messages(STAFF)) - 1)
    await wait_for_text(standin, ana.id, "Your treatment session is confirmed")
    treatment = await the_treatment(running)
    # Booking a treatment session ends no wait: Ben and Ana both still wait.
    assert [(e.ended_at, e.end_reason) for e in await entries(running)] == [(None, None)] * 2

    # A consultation time frees up before the session: a new consultation for Ana.
    await book(standin, carol, "Thu 29 Oct", "10:00\u202fa.m.")
    await cancel(standin, carol, "Thu 29 Oct")
    offer = await offer_of(standin, ana)
    assert "Thu 29 Oct 2026 at 10:00\u202fa.m." in (offer.text or "")
    assert "moves your consultation" not in (offer.text or "")
    await act(standin, await standin.press(ana, "✅ Book it", message=offer))
    assert "Request sent" in (standin.screen(ana.id).text or "")
    after = await the_treatment(running)
    assert (after.id, after.starts_at, after.status) == (
        treatment.id,
        treatment.starts_at,
        "confirmed",
    )

    # Her session cancelled: its time is of the treatment calendar, offered to nobody.
    before = sum(OFFERED in t for t in texts(standin, ben.id))
    await act(standin, await standin.send_text(ana, "/appointments"))
    cancel_it = next(b for b in standin.screen(ana.id).buttons() if "✖️" in b and "10 Nov" in b)
    await act(standin, await standin.press(ana, cancel_it))
    await act(standin, await standin.press(ana, "Just cancel"))
    assert (await the_treatment(running)).status == "cancelled"
    await asyncio.sleep(0.3)
    assert sum(OFFERED in t for t in texts(standin, ben.id)) == before
    async with running.database.transaction() as session:
        offered = [o.starts_at for o in await session.scalars(select(WaitlistOffer))]
    assert treatment.starts_at not in offered
    await stop()
