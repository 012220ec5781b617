"""The staff group's workspace: agenda, card actions, search, export, the group's move."""

from __future__ import annotations

import asyncio
import csv
import io
import logging

import pytest
from sqlalchemy import select

from bot.playground.botapi import ChatMessage, StandIn, User
from db.models import ChatMigration, OutboxMessage
from tests.conftest import FakeClock, RunningBot, start_bot
from tests.e2e.test_booking import (
    STAFF,
    act,
    appointments_of,
    book,
    outbox_rows,
    texts,
    wait_for_text,
)

SUPERGROUP = -1009876543210


async def staff_says(standin: StandIn, maria: User, text: str) -> ChatMessage:
    """Maria types a command in the staff group; returns the bot's newest message there."""
    before = len(standin.bot_messages(STAFF))
    await act(standin, await standin.send_group_text(maria, STAFF, text))
    await standin.wait_for(lambda: len(standin.bot_messages(STAFF)) > before, what="an answer")
    return standin.bot_messages(STAFF)[-1]


async def card_of(standin: StandIn, name: str) -> ChatMessage:
    await standin.wait_for(
        lambda: any(name in (m.text or "") for m in standin.bot_messages(STAFF)),
        what=f"the card of {name}",
    )
    return [m for m in standin.bot_messages(STAFF) if name in (m.text or "")][-1]


async def booked_and_confirmed(standin: StandIn, maria: User, *patients: tuple[User, str]) -> None:
    for user, time in patients:
        await book(standin, user, "Tue 24 Nov", time)
        card = await card_of(standin, user.first_name)
        await act(standin, await standin.press(maria, "✅ Confirm", message=card))


async def test_agenda_lists_each_day_with_status_and_opens_cards(
    clinic: RunningBot, ana: User, ben: User, maria: User
) -> None:
    standin = clinic.standin
    await booked_and_confirmed(standin, maria, (ana, "10:00\u202fa.m."))
    await book(standin, ben, "Tue 24 Nov", "10:30\u202fa.m.")  # left to confirm
    await card_of(standin, "👤 Ben")

    today = await staff_says(standin, maria, "/today")
    assert today.text == "📋 Today, Mon 23 Nov\nNo consultations."
    tomorrow = await staff_says(standin, maria, "/tomorrow")
    assert tomorrow.text == (
        "📋 Tomorrow, Tue 24 Nov\n"
        "10:00\u202fa.m. · Ana Silva · ✅ confirmed\n"
        "10:30\u202fa.m. · Ben · ⏳ to confirm"
    )
    assert tomorrow.buttons() == ["10:00\u202fa.m. Ana Silva", "10:30\u202fa.m. Ben"]
    week = await staff_says(standin, maria, "/week")
    assert week.text is not None
    assert week.text.startswith("📋 The next 7 days: Mon 23 Nov to Sun 29 Nov\n\nTue 24 Nov\n")
    assert "10:30\u202fa.m. · Ben · ⏳ to confirm" in week.text

    staff_help = await staff_says(standin, maria, "/help")
    assert (staff_help.text or "").startswith("Staff commands (this group only)")
    assert [c["command"] for c in standin.chat_commands[STAFF]] == [
        "today",
        "tomorrow",
        "week",
        "patient",
        "export",
        "help",
    ]

    # The button opens Ben's card as a new message, with the actions of a request.
    await act(standin, await standin.press(maria, "10:30\u202fa.m. Ben", message=tomorrow))
    card = standin.bot_messages(STAFF)[-1]
    assert card.message_id != tomorrow.message_id and "👤 Ben" in (card.text or "")
    assert card.buttons() == ["✅ Confirm", "✖️ Decline"]
    assert standin.bot_messages(STAFF)[-3].text == week.text  # the lists stay as they were


async def test_staff_cancel_with_a_reason_the_patient_reads(
    clinic: RunningBot, ana: User, maria: User
) -> None:
    standin = clinic.standin
    await booked_and_confirmed(standin, maria, (ana, "10:00\u202fa.m."))
    card = await card_of(standin, "Ana Silva")
    assert card.buttons() == ["📋 Outcome", "🩹 Record treatment", "✖️ Cancel"]

    await act(standin, await standin.press(maria, "✖️ Cancel", message=card))
    assert card.buttons() == [
        "The clinician is not available at that time",
        "The clinic is closed that day",
        "The clinic needs to speak with you first",
        "« Keep it",
    ]
    await act(standin, await standin.press(maria, "« Keep it", message=card))
    assert card.buttons() == ["📋 Outcome", "🩹 Record treatment", "✖️ Cancel"]
    await act(standin, await standin.press(maria, "✖️ Cancel", message=card))
    await act(standin, await standin.press(maria, "The clinic is closed that day", message=card))

    await wait_for_text(standin, ana.id, "the clinic had to cancel")
    told = standin.bot_messages(ana.id)[-1]
    assert told.text == (
        "😕 Sorry, the clinic had to cancel your free consultation:\n"
        "📅 Tue 24 Nov 2026 at 10:00\u202fa.m.\nReason: The clinic is closed that day\n\n"
        "Please choose another time, or call us at +1 905-929-3134."
    )
    assert told.buttons() == ["📅 Choose another time"]
    assert "Cancelled by the clinic. Reason: The clinic is closed that day" in (card.text or "")
    assert card.buttons() == []
    [appointment] = await appointments_of(clinic)
    assert (appointment.status, appointment.cancelled_by) == ("cancelled", "staff")
    reminders = [row for row in await outbox_rows(clinic) if row.kind == "reminder"]
    assert reminders and {row.status for row in reminders} == {"cancelled"}

    # The same reason pressed again, on the old card state: nothing more happens.
    await act(standin, await standin.press_data(maria, card, f"staff:cr:{appointment.id}:1"))
    assert sum("had to cancel" in text for text in texts(standin, ana.id)) == 1


async def test_came_and_no_show_once_the_time_has_come(
    clinic: RunningBot, clock: FakeClock, ana: User, ben: User, maria: User
) -> None:
    standin = clinic.standin
    await booked_and_confirmed(standin, maria, (ana, "10:00\u202fa.m."), (ben, "10:30\u202fa.m."))
    ana_card, ben_card = await card_of(standin, "Ana Silva"), await card_of(standin, "👤 Ben")
    first = (await appointments_of(clinic))[0]

    # Before the time, a forged "came" is refused.
    await act(standin, await standin.press_data(maria, ana_card, f"staff:came:{first.id}"))
    assert (await appointments_of(clinic))[0].status == "confirmed"

    clock.advance(days=1, hours=1)  # Tuesday 11:00 a.m.
    agenda = await staff_says(standin, maria, "/today")
    await act(standin, await standin.press(maria, "10:00\u202fa.m. Ana Silva", message=agenda))
    ana_card = standin.bot_messages(STAFF)[-1]
    assert ana_card.buttons() == ["✔️ Came", "🚫 No-show", "📋 Outcome", "🩹 Record treatment"]
    await act(standin, await standin.press(maria, "✔️ Came", message=ana_card))
    assert "✔️ The patient came" in (ana_card.text or "")
    assert ana_card.buttons() == ["📋 Outcome", "🩹 Record treatment"]

    await act(standin, await standin.send_group_text(maria, STAFF, "/today"))
    agenda = standin.bot_messages(STAFF)[-1]
    assert "10:00\u202fa.m. · Ana Silva · ✔️ came" in (agenda.text or "")
    await act(standin, await standin.press(maria, "10:30\u202fa.m. Ben", message=agenda))
    ben_card = standin.bot_messages(STAFF)[-1]
    await act(standin, await standin.press(maria, "🚫 No-show", message=ben_card))
    assert "🚫 The patient did not come" in (ben_card.text or "")
    assert ben_card.buttons() == []
    assert [a.status for a in await appointments_of(clinic)] == ["completed", "no_show"]


async def test_patient_search_by_name_and_phone(
    clinic: RunningBot, ana: User, ben: User, maria: User
) -> None:
    standin = clinic.standin
    await book(standin, ana, "Tue 24 Nov", "10:00\u202fa.m.")
    await card_of(standin, "Ana Silva")
    await act(standin, await standin.send_text(ben, "hello there"))

    found = await staff_says(standin, maria, "/patient silva")
    assert found.text is not None
    assert found.text.startswith(
        "👤 Ana Silva\n📞 +1 416-555-0123\n📝 Pre-screen: not taken\n\n"
        "📅 Appointments\n• Tue 24 Nov 2026 at 10:00\u202fa.m.: ⏳ to confirm\n\n"
        "💬 Recent messages (→ from the patient, ← from the bot)\n"
    )
    assert "→ Mon 23 Nov 2026 at 10:00\u202fa.m.: [button]" not in found.text
    assert found.buttons() == ["Tue 24 Nov 2026 at 10:00\u202fa.m."]
    by_phone = await staff_says(standin, maria, "/patient (416) 555-0123")
    assert by_phone.text == found.text

    ben_found = await staff_says(standin, maria, "/patient Ben")
    assert "📅 No appointments." in (ben_found.text or "")
    assert "→ Mon 23 Nov 2026 at 10:00\u202fa.m.: hello there" in (ben_found.text or "")
    nobody = await staff_says(standin, maria, "/patient Zoe")
    assert nobody.text == "No patient matches “Zoe”."
    usage = await staff_says(standin, maria, "/patient")
    assert (usage.text or "").startswith("Usage: /patient followed by a name or a phone number")


async def test_patient_search_with_more_matches_than_shown(
    clinic: RunningBot, maria: User, caplog: pytest.LogCaptureFixture
) -> None:
    """Found by the fuzz test: more than three matches failed the update (the text
    wanted a count the handler never gave)."""
    standin = clinic.standin
    for number in range(5):
        user = User(5_553_000 + number, "Zora", f"Namesake{number}")
        await act(standin, await standin.send_text(user, "/start"))
    await staff_says(standin, maria, "/patient Zora")
    assert texts(standin, STAFF)[-1] == (
        "More patients match: type more of the name or the whole number."
    )
    assert sum("👤 Zora" in text for text in texts(standin, STAFF)) == 3
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_export_sends_the_range_as_csv_and_refuses_bad_ranges(
    clinic: RunningBot, ana: User, ben: User, maria: User
) -> None:
    standin = clinic.standin
    await booked_and_confirmed(standin, maria, (ana, "10:00\u202fa.m."))
    await book(standin, ben, "Wed 25 Nov", "2:00\u202fp.m.")
    await card_of(standin, "👤 Ben")

    sent = await staff_says(standin, maria, "/export 2026-11-24 2026-11-25")
    assert sent.document is not None and sent.document_bytes is not None
    assert sent.document["file_name"] == "appointments-2026-11-24-to-2026-11-25.csv"
    assert sent.text == "📎 2 appointments, 2026-11-24 to 2026-11-25."
    rows = list(csv.DictReader(io.StringIO(sent.document_bytes.decode("utf-8-sig"))))
    assert [(r["date"], r["start"], r["status"], r["name"], r["phone"]) for r in rows] == [
        ("2026-11-24", "10:00", "confirmed", "Ana Silva", "+14165550123"),
        ("2026-11-25", "14:00", "requested", "Ben", "+14165550123"),
    ]
    assert rows[0]["decided_by"] == "Maria Lopez" and rows[0]["prescreen"] == "not taken"
    only_tuesday = await staff_says(standin, maria, "/export 2026-11-24 2026-11-24")
    assert only_tuesday.text == "📎 1 appointments, 2026-11-24 to 2026-11-24."

    reversed_ = await staff_says(standin, maria, "/export 2026-11-30 2026-11-01")
    assert reversed_.text == (
        "The end date 2026-11-01 is before the start date 2026-11-30: please swap them."
    )
    huge = await staff_says(standin, maria, "/export 2026-01-01 2027-12-31")
    assert huge.text == "That is 730 days: please export at most 366 days at a time."
    for bad in ("/export next week", "/export 2026-13-01", "/export 1 2 3"):
        answer = await staff_says(standin, maria, bad)
        assert (answer.text or "").startswith("Usage: /export [from] [to]")


async def test_staff_commands_and_buttons_reveal_nothing_elsewhere(
    clinic: RunningBot, ana: User, ben: User, maria: User
) -> None:
    standin = clinic.standin
    await booked_and_confirmed(standin, maria, (ana, "10:00\u202fa.m."))
    [appointment] = await appointments_of(clinic)
    unknown = "I don't know that command"
    for command in ("/today", "/week", "/patient Silva", "/export"):
        before = len(standin.bot_messages(ben.id))
        await act(standin, await standin.send_text(ben, command))
        answers = [m.text or "" for m in standin.bot_messages(ben.id)[before:]]
        assert any(unknown in answer for answer in answers), answers
        assert not any("Silva" in answer for answer in answers)
    # In some other group the bot says nothing at all.
    sent_before = sum(standin.sent_to.values())
    await act(standin, await standin.send_group_text(maria, -100555, "/today"))
    assert standin.bot_messages(-100555) == [] and sum(standin.sent_to.values()) == sent_before
    # Forged card buttons from a private chat change nothing.
    screen = standin.screen(ben.id)
    for data in (f"staff:cx:{appointment.id}", f"staff:cr:{appointment.id}:1"):
        await act(standin, await standin.press_data(ben, screen, data))
    [unchanged] = await appointments_of(clinic)
    assert unchanged.status == "confirmed"
    assert not any("had to cancel" in text for text in texts(standin, ana.id))


async def test_the_staff_group_becomes_a_supergroup(
    standin: StandIn, database_url: str, clock: FakeClock, ana: User, ben: User, maria: User
) -> None:
    running, stop = await start_bot(standin, database_url, clock=clock, staff_chat_id=STAFF)
    await act(standin, await standin.migrate_group(STAFF, SUPERGROUP))
    await book(standin, ana, "Tue 24 Nov", "10:00\u202fa.m.")
    await standin.wait_for(lambda: bool(standin.bot_messages(SUPERGROUP)), what="the card")
    assert "Ana Silva" in (standin.bot_messages(SUPERGROUP)[0].text or "")
    await stop()

    # After a restart with the old STAFF_CHAT_ID still set, posts go to the new id.
    running, stop = await start_bot(standin, database_url, clock=clock, staff_chat_id=STAFF)
    await book(standin, ben, "Tue 24 Nov", "10:30\u202fa.m.")
    await standin.wait_for(lambda: len(standin.bot_messages(SUPERGROUP)) == 2, what="card 2")
    await act(standin, await standin.send_group_text(maria, SUPERGROUP, "/tomorrow"))
    assert "10:30\u202fa.m. · Ben" in (standin.bot_messages(SUPERGROUP)[-1].text or "")
    async with running.database.transaction() as session:
        moves = (await session.scalars(select(ChatMigration))).all()
    assert [(m.old_chat_id, m.new_chat_id) for m in moves] == [(STAFF, SUPERGROUP)]
    await stop()


async def test_a_send_refused_with_the_new_id_moves_the_staff_group_too(
    clinic: RunningBot, ana: User, caplog: pytest.LogCaptureFixture
) -> None:
    """Telegram's service message can be missed (the bot was down); the refusal says it."""
    standin = clinic.standin
    standin.migrated[STAFF] = SUPERGROUP  # no service message this time
    with caplog.at_level(logging.WARNING, logger="handlers.staff"):
        await book(standin, ana, "Tue 24 Nov", "10:00\u202fa.m.")
        await standin.wait_for(lambda: bool(standin.bot_messages(SUPERGROUP)), what="the card")
    assert any("set STAFF_CHAT_ID=-1009876543210" in r.getMessage() for r in caplog.records)
    async with clinic.database.transaction() as session:
        rows = (await session.scalars(select(OutboxMessage))).all()
    assert {row.chat_id for row in rows if row.kind == "staff_card"} == {SUPERGROUP}


async def test_a_staff_group_the_bot_cannot_post_to_is_logged_and_the_booking_stands(
    clinic: RunningBot, ana: User, caplog: pytest.LogCaptureFixture
) -> None:
    standin = clinic.standin
    standin.blocked.add(STAFF)  # the bot was removed from the group
    with caplog.at_level(logging.ERROR, logger="bot.dispatcher"):
        await book(standin, ana, "Tue 24 Nov", "10:00\u202fa.m.")
        for _ in range(100):  # the log line follows the refused call; poll for it
            if any(r.levelno == logging.ERROR for r in caplog.records):
                break
            await asyncio.sleep(0.05)
    assert "Request sent" in (standin.screen(ana.id).text or "")
    [appointment] = await appointments_of(clinic)
    assert appointment.status == "requested"
    [error] = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert "cannot post to the staff chat" in error and str(STAFF) in error
    async with clinic.database.transaction() as session:
        [card] = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "staff_card"))
        ).all()
    assert (card.status, card.last_error) == ("failed", "403 forbidden")
