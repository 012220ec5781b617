"""The patient's front door: greeting, main menu, FAQ, contact, help, command menu."""

from __future__ import annotations

from sqlalchemy import select

from bot.playground.botapi import StandIn, User
from clinic.content import load_content
from db.models import FlowState, MessageLog, Patient
from tests.conftest import RunningBot

MENU_BUTTONS = [
    "ℹ️ About the treatment",
    "✅ Am I a good candidate?",
    "📅 Book a free consultation",
    "🗓 My appointments",
    "🩹 Aftercare",
    "🩺 A problem after my treatment",
    "📞 Contact the clinic",
    "🌐 Français / English",
]


async def start(standin: StandIn, user: User) -> None:
    await standin.handled(await standin.send_text(user, "/start"))


async def press(standin: StandIn, user: User, label: str) -> None:
    await standin.handled(await standin.press(user, label))


async def test_start_greets_by_first_name_with_the_menu(bot: RunningBot, ana: User) -> None:
    await start(bot.standin, ana)

    [reply] = bot.standin.bot_messages(ana.id)
    assert reply.text is not None
    assert reply.text.startswith("Hi Ana!")
    assert reply.buttons() == MENU_BUTTONS
    async with bot.database.transaction() as session:
        patient = (await session.execute(select(Patient))).scalar_one()
    assert (patient.telegram_id, patient.first_name, patient.last_name) == (ana.id, "Ana", "Silva")
    assert patient.reachable


async def test_command_menu_is_registered(bot: RunningBot) -> None:
    commands = {command["command"] for command in bot.standin.commands}
    assert commands == {
        "start",
        "prescreen",
        "book",
        "appointments",
        "aftercare",
        "stop",
        "followup",
        "contact",
        "mydata",
        "forget",
        "language",
        "help",
    }


async def test_every_faq_topic_is_reachable_by_buttons(bot: RunningBot, ana: User) -> None:
    standin = bot.standin
    topics = load_content().fallback.faq.topics
    await start(standin, ana)
    await press(standin, ana, "ℹ️ About the treatment")
    assert standin.screen(ana.id).buttons() == [t.button for t in topics] + ["🏠 Main menu"]

    for topic in topics:
        await press(standin, ana, topic.button)
        screen = standin.screen(ana.id)
        headline = topic.answer.splitlines()[0].replace("<b>", "").replace("</b>", "")
        assert screen.text is not None and screen.text.startswith(headline)
        assert screen.buttons() == ["« Other questions", "🏠 Main menu"]
        await press(standin, ana, "« Other questions")

    await press(standin, ana, "🏠 Main menu")
    assert standin.screen(ana.id).buttons() == MENU_BUTTONS
    # Browsing edits one message in place instead of filling the chat.
    assert len(standin.bot_messages(ana.id)) == 1


async def test_faq_covers_every_topic_of_the_clinic_page() -> None:
    answers = " ".join(topic.answer for topic in load_content().fallback.faq.topics)
    for fact in [
        "$600 to $1,600",
        "CO2",
        "Erbium",
        "2 to 3 days",
        "up to two weeks",
        "active acne",
        "very dark skin",
        "deep wrinkles",
        "sagging",
        "collagen",
        "acne or chickenpox",
        "Milia",
        "up to a year",
    ]:
        assert fact in answers


async def test_the_flow_state_follows_the_patient(bot: RunningBot, ana: User) -> None:
    await start(bot.standin, ana)
    await press(bot.standin, ana, "ℹ️ About the treatment")
    await press(bot.standin, ana, "How much does it cost?")
    async with bot.database.transaction() as session:
        state = (await session.execute(select(FlowState))).scalar_one()
    assert (state.flow, state.step) == ("faq", "cost")


async def test_contact_gives_the_phone_one_tap_away(bot: RunningBot, ana: User) -> None:
    await start(bot.standin, ana)
    await press(bot.standin, ana, "📞 Contact the clinic")

    messages = bot.standin.bot_messages(ana.id)
    assert messages[0].text is not None and "+1 905-929-3134" in messages[0].text
    assert messages[0].buttons() == ["🏠 Main menu"]
    assert messages[-1].contact == {"phone_number": "+19059293134", "first_name": "Our clinic"}


async def test_contact_command(bot: RunningBot, ana: User) -> None:
    await bot.standin.handled(await bot.standin.send_text(ana, "/contact"))
    [text, card] = bot.standin.bot_messages(ana.id)
    assert text.text is not None and "+1 905-929-3134" in text.text
    assert card.contact is not None


async def test_help_explains_the_commands(bot: RunningBot, ana: User) -> None:
    await bot.standin.handled(await bot.standin.send_text(ana, "/help"))
    [reply] = bot.standin.bot_messages(ana.id)
    assert reply.text is not None
    for command in ("/start", "/contact", "/help"):
        assert command in reply.text
    assert reply.buttons() == ["🏠 Main menu"]


async def test_html_in_a_name_is_shown_as_typed(bot: RunningBot) -> None:
    odd = User(id=5551099, first_name="<Jo & Co>")
    await start(bot.standin, odd)
    [reply] = bot.standin.bot_messages(odd.id)
    assert reply.text is not None and reply.text.startswith("Hi <Jo & Co>!")


async def test_message_log_keeps_the_conversation(bot: RunningBot, ana: User) -> None:
    await start(bot.standin, ana)
    await press(bot.standin, ana, "ℹ️ About the treatment")
    async with bot.database.transaction() as session:
        rows = (await session.execute(select(MessageLog).order_by(MessageLog.id))).scalars()
        log = [(row.direction, row.kind, (row.text or "")[:8]) for row in rows]
    assert log == [
        ("in", "command", "/start"),
        ("out", "text", "Hi Ana! "),
        ("in", "button", "ℹ️ About"),
        ("out", "edit", "What wou"),
    ]
