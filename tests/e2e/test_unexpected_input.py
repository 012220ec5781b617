"""Anything unexpected gets a short helpful answer and the way on: never silence."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from bot.playground.botapi import StandIn, User
from db.models import Appointment, MessageLog
from tests.conftest import RunningBot
from tests.e2e.test_booking import STAFF, act, appointments_of, texts, wait_for_text
from tests.e2e.test_front_door import MENU_BUTTONS

PHONE = "+1 905-929-3134"


async def into_faq_answer(standin: StandIn, user: User) -> None:
    await standin.handled(await standin.send_text(user, "/start"))
    await standin.handled(await standin.press(user, "ℹ️ About the treatment"))
    await standin.handled(await standin.press(user, "How much does it cost?"))


async def test_free_text_without_a_flow_gets_the_menu(bot: RunningBot, ana: User) -> None:
    await bot.standin.handled(await bot.standin.send_text(ana, "hello, is anyone there?"))
    [reply] = bot.standin.bot_messages(ana.id)
    assert reply.text is not None and reply.text.startswith("I work best with the buttons")
    assert PHONE in reply.text
    assert reply.buttons() == MENU_BUTTONS


async def test_free_text_mid_faq_shows_the_same_answer_again(bot: RunningBot, ana: User) -> None:
    await into_faq_answer(bot.standin, ana)
    await bot.standin.handled(await bot.standin.send_text(ana, "and is it painful?"))
    notice, screen = bot.standin.last_texts(ana.id, 2)
    assert notice is not None and notice.startswith("I work best with the buttons")
    assert screen is not None and screen.startswith("Cost")
    assert bot.standin.screen(ana.id).buttons() == ["« Other questions", "🏠 Main menu"]


async def test_very_long_text_is_answered(bot: RunningBot, ana: User) -> None:
    await into_faq_answer(bot.standin, ana)
    await bot.standin.handled(await bot.standin.send_text(ana, "why " * 1024))
    notice, screen = bot.standin.last_texts(ana.id, 2)
    assert notice is not None and notice.startswith("I work best with the buttons")
    assert screen is not None and screen.startswith("Cost")


async def test_sticker_and_voice_get_a_text_only_notice(bot: RunningBot, ana: User) -> None:
    await bot.standin.handled(await bot.standin.send_sticker(ana))
    await bot.standin.handled(await bot.standin.send_voice(ana))
    sticker_reply, voice_reply = [m.text for m in bot.standin.bot_messages(ana.id)]
    for reply in (sticker_reply, voice_reply):
        assert reply is not None and reply.startswith("I can only read text and buttons")
    assert bot.standin.screen(ana.id).buttons() == MENU_BUTTONS


async def test_a_photo_is_not_looked_at(bot: RunningBot, ana: User) -> None:
    await into_faq_answer(bot.standin, ana)
    await bot.standin.handled(await bot.standin.send_photo(ana, caption="is this normal?"))
    notice, screen = bot.standin.last_texts(ana.id, 2)
    assert notice is not None and "can't look at photos" in notice and PHONE in notice
    assert screen is not None and screen.startswith("Cost")


async def test_shared_contact_outside_a_flow_is_answered(bot: RunningBot, ana: User) -> None:
    await bot.standin.handled(await bot.standin.send_contact(ana, "+14165550100"))
    [reply] = bot.standin.bot_messages(ana.id)
    assert reply.text is not None and reply.text.startswith("I can only read text and buttons")


async def test_unknown_command_points_to_help(bot: RunningBot, ana: User) -> None:
    await into_faq_answer(bot.standin, ana)
    await bot.standin.handled(await bot.standin.send_text(ana, "/book_now"))
    notice, screen = bot.standin.last_texts(ana.id, 2)
    assert notice is not None and "/help" in notice
    assert screen is not None and screen.startswith("Cost")


async def test_start_mid_flow_goes_back_to_the_menu(bot: RunningBot, ana: User) -> None:
    await into_faq_answer(bot.standin, ana)
    await bot.standin.handled(await bot.standin.send_text(ana, "/start"))
    await bot.standin.handled(await bot.standin.send_text(ana, "ok"))
    # Out of the FAQ now: typed text brings the menu, not the cost answer again.
    assert bot.standin.screen(ana.id).buttons() == MENU_BUTTONS


async def test_an_unknown_button_says_it_expired(bot: RunningBot, ana: User) -> None:
    await into_faq_answer(bot.standin, ana)
    screen = bot.standin.screen(ana.id)
    update = await bot.standin.press_data(ana, screen, "appointment:cancel:42")
    await bot.standin.handled(update)
    assert bot.standin.callback_answers[update["callback_query"]["id"]] == (
        "That button is no longer active."
    )
    assert bot.standin.last_texts(ana.id, 1) == [screen.text]


async def test_a_removed_faq_topic_shows_the_topic_list(bot: RunningBot, ana: User) -> None:
    await into_faq_answer(bot.standin, ana)
    update = await bot.standin.press_data(ana, bot.standin.screen(ana.id), "faq:laser_hair")
    await bot.standin.handled(update)
    assert bot.standin.callback_answers[update["callback_query"]["id"]] is not None
    assert bot.standin.screen(ana.id).text == (
        "What would you like to know about laser skin resurfacing?"
    )


async def test_an_old_menu_button_still_works(bot: RunningBot, ana: User) -> None:
    await bot.standin.handled(await bot.standin.send_text(ana, "/start"))
    first_menu = bot.standin.screen(ana.id)
    await bot.standin.handled(await bot.standin.send_text(ana, "/start"))
    await bot.standin.handled(await bot.standin.press(ana, "📞 Contact the clinic", first_menu))
    assert any(m.contact for m in bot.standin.bot_messages(ana.id))


async def test_pressing_the_same_button_twice_changes_nothing(bot: RunningBot, ana: User) -> None:
    await into_faq_answer(bot.standin, ana)
    screen = bot.standin.screen(ana.id)
    again = await bot.standin.press_data(ana, screen, "faq:cost")
    await bot.standin.handled(again)
    assert bot.standin.screen(ana.id).text == screen.text
    assert len(bot.standin.bot_messages(ana.id)) == 1


async def test_an_edited_message_is_deliberately_not_answered(bot: RunningBot, ana: User) -> None:
    sent = await bot.standin.send_text(ana, "hello")
    await bot.standin.handled(sent)
    await bot.standin.handled(await bot.standin.edit_text(ana, sent, "hello again"))
    assert len(bot.standin.bot_messages(ana.id)) == 1


async def test_a_message_that_cannot_be_edited_is_sent_anew(bot: RunningBot, ana: User) -> None:
    await bot.standin.handled(await bot.standin.send_text(ana, "/start"))
    bot.standin.fail("editMessageText", 400, description="Bad Request: message can't be edited")
    await bot.standin.handled(await bot.standin.press(ana, "ℹ️ About the treatment"))
    _menu, faq = bot.standin.bot_messages(ana.id)
    assert faq.text == "What would you like to know about laser skin resurfacing?"


async def test_every_unexpected_input_is_logged_once(bot: RunningBot, ana: User) -> None:
    await bot.standin.handled(await bot.standin.send_sticker(ana))
    await bot.standin.handled(await bot.standin.send_photo(ana))
    await bot.standin.handled(await bot.standin.send_text(ana, "/nope"))
    async with bot.database.transaction() as session:
        kinds = (
            (
                await session.execute(
                    select(MessageLog.kind)
                    .where(MessageLog.direction == "in")
                    .order_by(MessageLog.id)
                )
            )
            .scalars()
            .all()
        )
    assert kinds == ["sticker", "photo", "command"]


async def test_groups_other_than_staff_are_ignored(bot: RunningBot, ana: User) -> None:
    """The bot talks to patients in private; in a stray group it stays out of the way."""
    await bot.standin.handled(await bot.standin.send_group_text(ana, -100777, "/start"))
    await bot.standin.handled(await bot.standin.send_group_text(ana, -100777, "hello bot"))
    assert bot.standin.bot_messages(-100777) == []
    async with bot.database.transaction() as session:
        assert (await session.scalars(select(MessageLog))).all() == []


async def test_a_nul_character_is_answered_and_stored_without_it(
    clinic: RunningBot, ana: User, maria: User
) -> None:
    """PostgreSQL's text columns refuse U+0000, which a Telegram message can hold: the
    patient is answered as for any other text, the database keeps what they wrote
    without it (a typed cancel reason included), and staff can search with one; on both
    backends alike."""
    standin = clinic.standin
    await act(standin, await standin.send_text(ana, "/book"))
    await act(standin, await standin.send_text(ana, "\x00"))  # where buttons are expected
    notice, screen = standin.last_texts(ana.id, 2)
    assert notice is not None and notice.startswith("I work best with the buttons")
    assert screen is not None and "Choose a day" in screen
    await act(standin, await standin.press(ana, "Tue 24 Nov"))
    await act(standin, await standin.press(ana, "10:00\u202fa.m."))
    await act(standin, await standin.press(ana, "✏️ Another name"))
    await act(standin, await standin.send_text(ana, "Ana\x00"))  # where a name is typed
    assert "Please type a name of 2 to 64 letters." in texts(standin, ana.id)[-1]
    await act(standin, await standin.send_text(ana, "Ana Silva"))
    await act(standin, await standin.press_reply(ana, "📱 Share my number"))
    await act(standin, await standin.press(ana, "Skip"))  # the pre-screen
    await act(standin, await standin.press(ana, "✅ Confirm booking"))
    await act(standin, await standin.send_text(ana, "/appointments"))
    await act(standin, await standin.press(ana, "✖️ Cancel Tue 24 Nov"))
    await act(standin, await standin.send_text(ana, "\x00Moving\x00 away"))  # a typed reason
    assert "is cancelled" in (standin.screen(ana.id).text or "")
    [cancelled] = await appointments_of(clinic)
    assert (cancelled.status, cancelled.name, cancelled.cancel_reason) == (
        "cancelled",
        "Ana Silva",
        "Moving away",
    )
    await wait_for_text(standin, STAFF, "Moving away")
    await act(standin, await standin.send_group_text(maria, STAFF, "/patient Silva\x00"))
    await standin.wait_for(
        lambda: (standin.bot_messages(STAFF)[-1].text or "").startswith("👤 Ana Silva"),
        what="the patient found",
    )
    assert ": Moving away" in (standin.bot_messages(STAFF)[-1].text or "")
    async with clinic.database.transaction() as session:
        typed = (
            await session.scalars(
                select(MessageLog.text)
                .where(MessageLog.direction == "in", MessageLog.kind == "text")
                .order_by(MessageLog.id)
            )
        ).all()
        assert typed == ["", "Ana", "Ana Silva", "Moving away"]
        reasons = (await session.scalars(select(Appointment.cancel_reason))).all()
        assert reasons == ["Moving away"]


PATIENT_COMMANDS = ["/mydata", "/forget", "/book", "/aftercare", "/stop", "/appointments"]


@pytest.mark.parametrize("command", [*PATIENT_COMMANDS, "/start", "/contact", "/nope"])
async def test_an_old_message_edited_into_a_command_changes_nothing(
    clinic: RunningBot, ana: User, caplog: pytest.LogCaptureFixture, command: str
) -> None:
    """Editing is not sending: the command is not run and nothing fails. (An edit of an
    old message can come hours later, far from what the chat shows now; the patient who
    wants the command sends it, as the menu and /help show.)"""
    standin = clinic.standin
    await standin.handled(await standin.send_text(ana, "/start"))
    sent = await standin.send_text(ana, "hello")
    await standin.handled(sent)
    seen = len(standin.bot_messages(ana.id))
    await standin.handled(await standin.edit_text(ana, sent, command))
    assert len(standin.bot_messages(ana.id)) == seen
    assert standin.bot_messages(STAFF) == []
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not [r.getMessage() for r in caplog.records if "update failed" in r.getMessage()]


@pytest.mark.parametrize("command", ["/today", "/week", "/export", "/patient 1", "/help"])
async def test_a_staff_message_edited_into_a_command_changes_nothing(
    clinic: RunningBot, maria: User, caplog: pytest.LogCaptureFixture, command: str
) -> None:
    standin = clinic.standin
    sent = await standin.send_group_text(maria, STAFF, "good morning")
    await standin.handled(sent)
    seen = len(standin.bot_messages(STAFF))
    await standin.handled(await standin.edit_text(maria, sent, command))
    assert len(standin.bot_messages(STAFF)) == seen
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
