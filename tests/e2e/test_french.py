"""A patient whose Telegram is in French, end to end: greeted, the FAQ, a booking, the
pre-screen and aftercare entirely in French with French dates on every button; /language
to English and back; the staff group stays in its own language."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from icalendar import Calendar
from sqlalchemy import select

from bot.playground.botapi import StandIn, User
from clinic.aftercare import Laser
from clinic.content import load_content
from clinic.prescreen import Group
from db.models import Patient
from tests.conftest import FakeClock, RunningBot, start_bot
from tests.e2e.test_booking import (
    MONDAY_10AM,
    STAFF,
    act,
    appointments_of,
    book,
    staff_card,
    texts,
    wait_for_text,
)

CONTENT = load_content()
FR, EN = CONTENT.speaking("fr").texts, CONTENT.speaking("en").texts
QUESTIONS = CONTENT.speaking("fr").questionnaire.questions
# As long as a label may be (tests/unit/test_translations.py).
MAX_BUTTON = 41
# Words of the English texts that no French message should carry.
ENGLISH = (" the ", " your ", "Tap ", "Please ", " and ", "Choose ")


@pytest.fixture
def claire() -> User:
    return User(id=5551010, first_name="Claire", last_name="Tremblay", language_code="fr-CA")


async def press(standin: StandIn, user: User, label: str) -> None:
    await act(standin, await standin.press(user, label))


async def say(standin: StandIn, user: User, text: str) -> None:
    await act(standin, await standin.send_text(user, text))


def plain(html: str) -> str:
    """A text as the patient reads it: Telegram shows the HTML, not its tags."""
    return re.sub(r"<[^>]+>", "", html)


def screen(standin: StandIn, user: User) -> str:
    return standin.screen(user.id).text or ""


def all_french(standin: StandIn, user: User) -> None:
    """Every message and button the patient was sent reads as French and fits a phone."""
    for message in standin.bot_messages(user.id):
        text = message.text or ""
        assert not [word for word in ENGLISH if word in text], text
        for label in message.buttons():
            assert len(label) <= MAX_BUTTON, label
            assert not [word for word in ENGLISH if word in f" {label} "], label


async def language_of(running: RunningBot, user: User) -> str | None:
    async with running.database.transaction() as session:
        patient = await session.scalar(select(Patient).where(Patient.telegram_id == user.id))
        return None if patient is None else patient.language


@pytest.fixture
async def clinic_fr(standin: StandIn, database_url: str) -> RunningBot:
    running, stop = await start_bot(
        standin, database_url, clock=FakeClock(MONDAY_10AM), staff_chat_id=STAFF
    )
    yield running  # type: ignore[misc]
    await stop()


async def test_greeted_the_faq_and_a_booking_in_french_while_staff_read_english(
    clinic_fr: RunningBot, claire: User, maria: User
) -> None:
    standin = clinic_fr.standin
    await say(standin, claire, "/start")
    assert screen(standin, claire).startswith("Bonjour Claire!")
    assert standin.screen(claire.id).buttons()[0] == FR("menu.about")
    assert await language_of(clinic_fr, claire) == "fr"

    await press(standin, claire, FR("menu.about"))
    cost = next(t for t in CONTENT.speaking("fr").faq.topics if t.key == "cost")
    await press(standin, claire, cost.button)
    assert "600\u00a0$ à 1\u00a0600\u00a0$" in screen(standin, claire)

    await say(standin, claire, "/book")
    days = standin.screen(claire.id).buttons()
    assert days[:5] == [
        "mar. 24 nov.",
        "mer. 25 nov.",
        "jeu. 26 nov.",
        "ven. 27 nov.",
        "sam. 28 nov.",
    ]
    await press(standin, claire, "mar. 24 nov.")
    times = standin.screen(claire.id).buttons()
    assert times[:3] == ["10 h 00", "10 h 30", "11 h 00"] and "17 h 30" in times
    await press(standin, claire, "10 h 00")
    await press(standin, claire, FR("booking.name_ok"))
    await act(standin, await standin.press_reply(claire, FR("booking.share_phone")))
    await press(standin, claire, FR("prescreen.offer_skip"))
    assert "mar. 24 nov. 2026 à 10 h 00" in screen(standin, claire)
    await press(standin, claire, FR("booking.confirm"))
    assert screen(standin, claire).startswith("📨 Demande envoyée")

    card = await staff_card(standin)
    assert card.text is not None
    assert "Tue 24 Nov 2026 at 10:00\u202fa.m." in card.text
    assert "🌐 Speaks: French" in card.text
    assert card.buttons() == [EN("staff.confirm"), EN("staff.decline")]

    await act(standin, await standin.press(maria, EN("staff.confirm"), message=card))
    await wait_for_text(standin, claire.id, "est confirmée\n\n📅 mar. 24 nov. 2026 à 10 h 00")
    await standin.wait_for(
        lambda: any(m.document for m in standin.bot_messages(claire.id)), what="the .ics file"
    )
    [document] = [m for m in standin.bot_messages(claire.id) if m.document]
    [event] = Calendar.from_ical(document.document_bytes).walk("VEVENT")
    assert str(event["SUMMARY"]) == FR("notices.ics_summary")
    assert str(event["DESCRIPTION"]) == FR("notices.ics_description")
    [appointment] = await appointments_of(clinic_fr)
    assert appointment.status == "confirmed"
    all_french(standin, claire)


async def test_the_pre_screen_in_french_reaches_staff_in_english(
    clinic_fr: RunningBot, claire: User
) -> None:
    standin = clinic_fr.standin
    await say(standin, claire, "/prescreen")
    await press(standin, claire, FR("prescreen.agree"))
    assert "1" in screen(standin, claire) and QUESTIONS[0].text in screen(standin, claire)
    for question in QUESTIONS:
        if question.key == "cold_sores":
            await press(standin, claire, FR("prescreen.yes"))  # a flag for the technician
        elif question.group is Group.FITZPATRICK:
            await press(standin, claire, question.answers[0])
        else:
            await press(standin, claire, FR("prescreen.no"))
    result = screen(standin, claire)
    cold_sores = next(q for q in QUESTIONS if q.key == "cold_sores")
    assert cold_sores.reason in result
    all_french(standin, claire)


async def test_aftercare_in_french_from_opt_in_to_the_first_message(
    standin: StandIn, database_url: str, claire: User
) -> None:
    # Sunday 22 November 2026, 8:00 a.m. in Toronto.
    clock = FakeClock(datetime(2026, 11, 22, 13, tzinfo=UTC))
    _running, stop = await start_bot(standin, database_url, clock=clock)
    fr = CONTENT.speaking("fr")
    await say(standin, claire, "/aftercare")
    await press(standin, claire, fr.aftercare.plans[Laser.CO2].name)
    await press(standin, claire, FR("aftercare.today"))
    await press(standin, claire, FR("aftercare.yes"))
    # CLDR writes fr_CA times on 24 hours with two-digit hours.
    await press(standin, claire, FR("aftercare.suggested", time="09 h 00"))
    assert "dim. 22 nov. 2026 à 09 h 00" in texts(standin, claire.id)[-1]
    clock.advance(hours=1)
    await wait_for_text(standin, claire.id, "Jour 0 après votre traitement au laser CO2")
    assert standin.screen(claire.id).buttons() == [
        FR("aftercare.fine"),
        FR("aftercare.worried"),
        FR("aftercare.stop"),
    ]
    # A warning sign typed in French is understood, and the answer is French.
    await say(standin, claire, "J'ai de la fièvre et des frissons")
    assert plain(FR("triage.call_now"))[:30] in "\n".join(texts(standin, claire.id)[-2:])
    all_french(standin, claire)
    await stop()


async def test_language_switches_to_english_and_back_and_scheduled_messages_follow(
    standin: StandIn, database_url: str, claire: User
) -> None:
    clock = FakeClock(MONDAY_10AM)
    running, stop = await start_bot(
        standin, database_url, clock=clock, staff_chat_id=STAFF, booking_confirmation="instant"
    )
    french_menu = {c["command"]: c["description"] for c in standin.commands_by_language["fr"]}
    assert french_menu["language"] == FR("commands.language")
    assert french_menu["book"] == FR("commands.book")
    assert {c["command"]: c["description"] for c in standin.commands}["book"] == EN("commands.book")

    await book(standin, claire, "mar. 24 nov.", "10 h 00", FR)

    await say(standin, claire, "/language")
    assert standin.screen(claire.id).buttons() == ["English", "✓ Français", FR("menu.back_to_menu")]
    await press(standin, claire, "English")
    assert screen(standin, claire).startswith(EN("language.changed"))
    assert standin.screen(claire.id).buttons()[0] == EN("menu.about")
    assert await language_of(running, claire) == "en"

    # The reminder 2 hours before was queued in French; it is written when it is sent.
    clock.now = datetime(2026, 11, 24, 13, tzinfo=UTC)  # Tuesday 8:00 a.m. in Toronto
    await wait_for_text(standin, claire.id, "Tue 24 Nov 2026 at 10:00\u202fa.m.")
    assert EN("notices.there") in standin.screen(claire.id).buttons()

    await say(standin, claire, "/start")
    await press(standin, claire, EN("menu.language"))
    await press(standin, claire, "Français")
    assert screen(standin, claire).startswith(FR("language.changed"))
    assert await language_of(running, claire) == "fr"
    # The choice is part of what the bot keeps about her, and /mydata shows it.
    await say(standin, claire, "/mydata")
    sent = standin.bot_messages(claire.id)[-1]
    assert sent.document is not None and sent.document_bytes is not None
    assert json.loads(sent.document_bytes)["profile"]["language"] == "fr"
    await stop()


async def test_staff_read_french_when_the_staff_language_is_french(
    standin: StandIn, database_url: str, ana: User
) -> None:
    _running, stop = await start_bot(
        standin,
        database_url,
        clock=FakeClock(MONDAY_10AM),
        staff_chat_id=STAFF,
        staff_language="fr",
    )
    staff_menu = {c["command"]: c["description"] for c in standin.chat_commands[STAFF]}
    assert staff_menu["week"] == FR("staff_commands.week")
    await book(standin, ana, "Tue 24 Nov", "10:00\u202fa.m.")
    card = await staff_card(standin)
    assert card.text is not None
    assert "mar. 24 nov. 2026 à 10 h 00" in card.text and "🌐 Langue\u00a0: anglais" in card.text
    assert card.buttons() == [FR("staff.confirm"), FR("staff.decline")]
    assert "Tue 24 Nov 2026 at 10:00\u202fa.m." in screen(standin, ana)
    await stop()


async def test_coming_back_after_blocking_the_bot_is_welcomed_in_french(
    clinic_fr: RunningBot, claire: User
) -> None:
    """Unblocking is no message from her, yet the offer of what was paused is French."""
    standin = clinic_fr.standin
    await say(standin, claire, "/aftercare")
    await press(standin, claire, CONTENT.speaking("fr").aftercare.plans[Laser.CO2].name)
    await press(standin, claire, FR("aftercare.today"))
    await press(standin, claire, FR("aftercare.yes"))
    await press(standin, claire, FR("aftercare.suggested", time="09 h 00"))
    await act(standin, await standin.block(claire))
    await act(standin, await standin.block(claire, blocked=False))
    assert standin.screen(claire.id).buttons()[:2] == [
        FR("welcome_back.yes"),
        FR("welcome_back.no"),
    ]
    all_french(standin, claire)
