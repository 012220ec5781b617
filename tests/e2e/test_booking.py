"""Booking a consultation end to end: patient, staff group, calendar file, database."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from icalendar import Calendar
from sqlalchemy import select

from bot.playground.botapi import ChatMessage, StandIn, User
from clinic.content import Texts, load_content
from db.models import Appointment, OutboxMessage
from tests.conftest import FakeClock, RunningBot

ENGLISH = load_content().fallback.texts
STAFF = -1001234567890
# Monday 23 November 2026, 10:00 a.m. in Toronto (EST, UTC-5).
MONDAY_10AM = datetime(2026, 11, 23, 15, tzinfo=UTC)
TUESDAY_10AM = datetime(2026, 11, 24, 15, tzinfo=UTC)


async def act(standin: StandIn, update: Any) -> None:
    await standin.handled(update)


async def book(standin: StandIn, user: User, day: str, time: str, words: Texts = ENGLISH) -> None:
    """/book, a day, a time, the Telegram name, the shared number, Confirm: with the
    labels of `words`, the language the patient is spoken to in."""
    await act(standin, await standin.send_text(user, "/book"))
    await act(standin, await standin.press(user, day))
    await act(standin, await standin.press(user, time))
    await act(standin, await standin.press(user, words("booking.name_ok")))  # That's me
    await act(standin, await standin.press_reply(user, words("booking.share_phone")))
    await act(standin, await standin.press(user, words("prescreen.offer_skip")))
    await act(standin, await standin.press(user, words("booking.confirm")))


async def appointments_of(running: RunningBot) -> list[Appointment]:
    async with running.database.transaction() as session:
        return list(await session.scalars(select(Appointment).order_by(Appointment.id)))


async def outbox_rows(running: RunningBot) -> list[OutboxMessage]:
    async with running.database.transaction() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def texts(standin: StandIn, chat_id: int) -> list[str]:
    return [m.text or "" for m in standin.bot_messages(chat_id)]


async def wait_for_text(standin: StandIn, chat_id: int, part: str, count: int = 1) -> None:
    await standin.wait_for(
        lambda: sum(part in text for text in texts(standin, chat_id)) >= count,
        what=f"{count} message(s) with {part!r} in chat {chat_id}",
    )


async def staff_card(standin: StandIn) -> ChatMessage:
    """The card the staff group shows last; a card leaves after the patient's reply, so
    this waits for it."""
    await standin.wait_for(
        lambda: any(m.keyboard for m in standin.bot_messages(STAFF)), what="the staff card"
    )
    return standin.screen(STAFF)


async def test_a_patient_books_staff_confirm_and_the_calendar_file_has_the_instant(
    clinic: RunningBot, ana: User, maria: User
) -> None:
    standin = clinic.standin
    await act(standin, await standin.send_text(ana, "/book"))
    days = standin.screen(ana.id)
    assert days.text is not None and "Choose a day" in days.text
    # Monday is too close (12 h notice), Sunday is closed: Tuesday to Saturday remain.
    assert days.buttons()[:5] == [
        "Tue 24 Nov",
        "Wed 25 Nov",
        "Thu 26 Nov",
        "Fri 27 Nov",
        "Sat 28 Nov",
    ]
    assert "Later »" in days.buttons() and "🏠 Main menu" in days.buttons()

    await act(standin, await standin.press(ana, "Tue 24 Nov"))
    times = standin.screen(ana.id).buttons()
    assert times[:3] == ["10:00\u202fa.m.", "10:30\u202fa.m.", "11:00\u202fa.m."]
    assert "5:30\u202fp.m." in times and "6:00\u202fp.m." not in times

    await act(standin, await standin.press(ana, "10:00\u202fa.m."))
    assert "Ana Silva" in (standin.screen(ana.id).text or "")
    await act(standin, await standin.press(ana, "✅ That's me"))
    assert "What number" in texts(standin, ana.id)[-1]
    assert standin.reply_keyboards[ana.id][0][0]["request_contact"] is True

    await act(standin, await standin.press_reply(ana, "📱 Share my number"))
    assert ana.id not in standin.reply_keyboards  # the share keyboard is taken away
    assert "candidacy questionnaire first" in (standin.screen(ana.id).text or "")
    await act(standin, await standin.press(ana, "Skip"))  # the pre-screen
    summary = standin.screen(ana.id).text or ""
    assert "Tue 24 Nov 2026 at 10:00\u202fa.m." in summary
    assert "+1 416-555-0123" in summary and "Ana Silva" in summary

    await act(standin, await standin.press(ana, "✅ Confirm booking"))
    assert "Request sent" in (standin.screen(ana.id).text or "")
    [appointment] = await appointments_of(clinic)
    assert appointment.status == "requested"
    assert appointment.starts_at == TUESDAY_10AM
    assert appointment.phone == "+14165550123"

    card = await staff_card(standin)
    assert card.text is not None
    assert "Consultation request" in card.text
    assert "Ana Silva" in card.text and "+1 416-555-0123" in card.text
    assert "Tue 24 Nov 2026 at 10:00\u202fa.m." in card.text
    assert "Pre-screen: not taken" in card.text
    assert card.buttons() == ["✅ Confirm", "✖️ Decline"]

    await act(standin, await standin.press(maria, "✅ Confirm", message=card))
    card = standin.bot_messages(STAFF)[0]
    assert card.text is not None
    assert "Confirmed by Maria Lopez, Mon 23 Nov 2026 at 10:00\u202fa.m." in card.text
    # Confirm and Decline are gone; until the time, staff can still cancel.
    assert card.buttons() == ["📋 Outcome", "🩹 Record treatment", "✖️ Cancel"]

    await wait_for_text(standin, ana.id, "is confirmed")
    await standin.wait_for(
        lambda: any(m.document for m in standin.bot_messages(ana.id)), what="the .ics file"
    )
    confirmation = next(t for t in texts(standin, ana.id) if "is confirmed" in t)
    assert (
        "Tue 24 Nov 2026 at 10:00\u202fa.m." in confirmation and "+1 905-929-3134" in confirmation
    )
    [document] = [m for m in standin.bot_messages(ana.id) if m.document]
    assert document.document is not None and document.document["file_name"] == "consultation.ics"
    assert document.document_bytes is not None
    [event] = Calendar.from_ical(document.document_bytes).walk("VEVENT")
    assert event.decoded("dtstart") == TUESDAY_10AM
    assert event.decoded("dtend") == TUESDAY_10AM + timedelta(minutes=30)

    [confirmed] = await appointments_of(clinic)
    assert (confirmed.status, confirmed.decided_by) == ("confirmed", "Maria Lopez")
    # Booked 24 h ahead exactly: the day-before reminder is already past, the 2 h one waits.
    reminders = [row for row in await outbox_rows(clinic) if row.kind == "reminder"]
    assert [(row.due_at, row.status) for row in reminders] == [
        (TUESDAY_10AM - timedelta(hours=2), "pending")
    ]


async def test_a_second_press_on_the_card_changes_nothing(
    clinic: RunningBot, ana: User, maria: User
) -> None:
    standin = clinic.standin
    await book(standin, ana, "Tue 24 Nov", "10:00\u202fa.m.")
    card = await staff_card(standin)
    confirm = card.button("✅ Confirm")["callback_data"]
    await act(standin, await standin.press(maria, "✖️ Decline", message=card))
    # Another staff member presses Confirm on the card as their phone still shows it.
    await act(standin, await standin.press_data(maria, card, confirm))
    [appointment] = await appointments_of(clinic)
    assert appointment.status == "declined"
    assert "Already handled." in standin.callback_answers.values()
    await wait_for_text(standin, ana.id, "can't see you on Tue 24 Nov 2026 at 10:00\u202fa.m.")
    assert standin.screen(ana.id).buttons() == ["📅 Choose another time"]
    assert not any("is confirmed" in t for t in texts(standin, ana.id))


async def test_staff_buttons_do_nothing_outside_the_staff_group(
    clinic: RunningBot, ana: User, ben: User
) -> None:
    standin = clinic.standin
    await book(standin, ana, "Tue 24 Nov", "10:00\u202fa.m.")
    [appointment] = await appointments_of(clinic)
    await act(standin, await standin.send_text(ben, "/start"))
    forged = f"staff:ok:{appointment.id}"
    await act(standin, await standin.press_data(ben, standin.screen(ben.id), forged))
    assert (
        "This button only works in the clinic's staff group." in standin.callback_answers.values()
    )
    assert [a.status for a in await appointments_of(clinic)] == ["requested"]


async def test_a_forged_callback_on_another_patients_appointment_changes_nothing(
    clinic: RunningBot, ana: User, ben: User
) -> None:
    standin = clinic.standin
    await book(standin, ana, "Tue 24 Nov", "10:00\u202fa.m.")
    [appointment] = await appointments_of(clinic)
    await act(standin, await standin.send_text(ben, "/start"))
    for data in (
        f"appt:c:{appointment.id}",
        f"appt:x:{appointment.id}:0",
        f"appt:r:{appointment.id}",
        f"appt:y:{appointment.id}",
    ):
        await act(standin, await standin.press_data(ben, standin.screen(ben.id), data))
        assert "can't be changed" in (standin.screen(ben.id).text or "")
    [unchanged] = await appointments_of(clinic)
    assert (unchanged.status, unchanged.starts_at) == ("requested", TUESDAY_10AM)
    assert [row.kind for row in await outbox_rows(clinic)] == ["staff_card"]


# -- moving a confirmed consultation keeps it until the new time is confirmed -------------

WEDNESDAY_10AM = datetime(2026, 11, 25, 15, tzinfo=UTC)
THURSDAY_11AM = datetime(2026, 11, 26, 16, tzinfo=UTC)
WED = "Wed 25 Nov 2026 at 10:00\u202fa.m."
THU = "Thu 26 Nov 2026 at 11:00\u202fa.m."


async def _confirmed_then_moved(standin: StandIn, ana: User, maria: User) -> ChatMessage:
    """Ana books Wednesday 10\u202fa.m., staff confirm, Ana asks to move to Thursday 11\u202fa.m.;
    returns the staff card of the move."""
    await book(standin, ana, "Wed 25 Nov", "10:00\u202fa.m.")
    await act(standin, await standin.press(maria, "✅ Confirm", message=await staff_card(standin)))
    await wait_for_text(standin, ana.id, "is confirmed")
    await act(standin, await standin.send_text(ana, "/appointments"))
    await act(standin, await standin.press(ana, "🔁 Move Wed 25 Nov"))
    await act(standin, await standin.press(ana, "Thu 26 Nov"))
    await act(standin, await standin.press(ana, "11:00\u202fa.m."))
    await act(standin, await standin.press(ana, "✅ Move it"))
    await wait_for_text(standin, STAFF, THU)
    return next(m for m in standin.bot_messages(STAFF) if THU in (m.text or ""))


async def _reminders(running: RunningBot) -> list[tuple[datetime, str]]:
    """(the time each reminder is for, its status)."""
    return [
        (datetime.fromisoformat(row.payload["starts_at"]), row.status)
        for row in await outbox_rows(running)
        if row.kind == "reminder"
    ]


async def test_a_move_keeps_the_confirmed_time_and_a_declined_move_leaves_it(
    clinic: RunningBot, ana: User, maria: User, ben: User
) -> None:
    standin = clinic.standin
    card = await _confirmed_then_moved(standin, ana, maria)
    old, new = await appointments_of(clinic)
    assert (old.status, old.starts_at) == ("confirmed", WEDNESDAY_10AM)
    assert (new.status, new.starts_at, new.rescheduled_from_id) == (
        "requested",
        THURSDAY_11AM,
        old.id,
    )
    assert f"Until then your consultation on {WED} stays booked." in texts(standin, ana.id)[-1]
    assert card.text is not None
    assert f"Move request from {WED}" in card.text and THU in card.text
    assert card.buttons() == ["✅ Confirm", "✖️ Decline"]
    # The confirmed time keeps its reminders while the move waits.
    assert await _reminders(clinic) == [(WEDNESDAY_10AM, "pending")] * 2
    await act(standin, await standin.send_text(ana, "/appointments"))
    listing = standin.screen(ana.id).text or ""
    assert "stays booked until the clinic confirms your new time" in listing
    assert f"move from {WED}: waiting for the clinic to confirm" in listing
    # Both times stay taken meanwhile: Ben is offered neither.
    await act(standin, await standin.send_text(ben, "/book"))
    await act(standin, await standin.press(ben, "Wed 25 Nov"))
    assert "10:00\u202fa.m." not in standin.screen(ben.id).buttons()

    await act(standin, await standin.press(maria, "✖️ Decline", message=card))
    await wait_for_text(standin, ana.id, "Your original time still stands")
    told = texts(standin, ana.id)[-1]
    assert f"can't see you on {THU}" in told and WED in told
    assert standin.screen(ana.id).buttons() == ["🔁 Reschedule", "✖️ Cancel"]
    old, new = await appointments_of(clinic)
    assert (old.status, new.status) == ("confirmed", "declined")
    assert await _reminders(clinic) == [(WEDNESDAY_10AM, "pending")] * 2


async def test_a_confirmed_move_cancels_the_old_time_and_its_reminders_together(
    clinic: RunningBot, clock: FakeClock, ana: User, maria: User
) -> None:
    standin = clinic.standin
    card = await _confirmed_then_moved(standin, ana, maria)
    old, new = await appointments_of(clinic)
    assert (old.status, new.status) == ("confirmed", "requested")

    await act(standin, await standin.press(maria, "✅ Confirm", message=card))
    await wait_for_text(standin, ana.id, "is confirmed", count=2)
    confirmation = next(t for t in texts(standin, ana.id) if "is confirmed" in t and THU in t)
    assert f"Your earlier time, {WED}, is cancelled." in confirmation
    old, new = await appointments_of(clinic)
    assert (old.status, old.cancel_reason) == ("cancelled", "rescheduled")
    assert (new.status, new.starts_at) == ("confirmed", THURSDAY_11AM)
    assert sorted(await _reminders(clinic)) == [
        (WEDNESDAY_10AM, "cancelled"),
        (WEDNESDAY_10AM, "cancelled"),
        (THURSDAY_11AM, "pending"),
        (THURSDAY_11AM, "pending"),
    ]
    [edited] = [m for m in standin.bot_messages(STAFF) if m.message_id == card.message_id]
    assert edited.text is not None and f"Consultation moved (was {WED})" in edited.text

    # Wednesday's reminder times pass in silence; Thursday's reminders come.
    for moment in (WEDNESDAY_10AM - timedelta(hours=24), WEDNESDAY_10AM - timedelta(hours=2)):
        clock.now = moment
        await asyncio.sleep(0.3)
    assert not any(t.startswith("⏰") for t in texts(standin, ana.id))
    clock.now = THURSDAY_11AM - timedelta(hours=24)
    await wait_for_text(standin, ana.id, "⏰")
    clock.now = THURSDAY_11AM - timedelta(hours=2)
    await wait_for_text(standin, ana.id, "⏰", count=2)
    reminders = [t for t in texts(standin, ana.id) if t.startswith("⏰")]
    assert len(reminders) == 2 and all(THU in t for t in reminders)


async def test_withdrawing_a_move_keeps_the_confirmed_time(
    clinic: RunningBot, ana: User, maria: User
) -> None:
    standin = clinic.standin
    await _confirmed_then_moved(standin, ana, maria)
    await act(standin, await standin.send_text(ana, "/appointments"))
    await act(standin, await standin.press(ana, "✖️ Cancel Thu 26 Nov"))
    await act(standin, await standin.press(ana, "Just cancel"))
    assert f"Your consultation on {WED} stays booked." in texts(standin, ana.id)[-1]
    await wait_for_text(standin, STAFF, "Move withdrawn")
    old, new = await appointments_of(clinic)
    assert (old.status, new.status) == ("confirmed", "cancelled")
    assert await _reminders(clinic) == [(WEDNESDAY_10AM, "pending")] * 2


async def test_cancelling_the_old_time_during_a_move_leaves_the_request_and_no_false_promise(
    clinic: RunningBot, ana: User, maria: User
) -> None:
    standin = clinic.standin
    card = await _confirmed_then_moved(standin, ana, maria)
    await act(standin, await standin.send_text(ana, "/appointments"))
    await act(standin, await standin.press(ana, "✖️ Cancel Wed 25 Nov"))
    await act(standin, await standin.press(ana, "Just cancel"))
    assert f"Your consultation on {WED} is cancelled." in texts(standin, ana.id)[-1]
    old, new = await appointments_of(clinic)
    assert (old.status, new.status) == ("cancelled", "requested")
    await act(standin, await standin.press(maria, "✖️ Decline", message=card))
    await wait_for_text(standin, ana.id, f"can't see you on {THU}")
    assert not any("still stands" in t for t in texts(standin, ana.id))


async def test_moving_again_replaces_the_pending_move(
    clinic: RunningBot, ana: User, maria: User
) -> None:
    standin = clinic.standin
    await _confirmed_then_moved(standin, ana, maria)
    # Ana moves the pending Thursday request to Friday: Wednesday still stands.
    await act(standin, await standin.send_text(ana, "/appointments"))
    await act(standin, await standin.press(ana, "🔁 Move Thu 26 Nov"))
    await act(standin, await standin.press(ana, "Fri 27 Nov"))
    await act(standin, await standin.press(ana, "10:00\u202fa.m."))
    await act(standin, await standin.press(ana, "✅ Move it"))
    assert f"Until then your consultation on {WED} stays booked." in texts(standin, ana.id)[-1]
    old, thursday, friday = await appointments_of(clinic)
    assert (old.status, thursday.status, friday.status) == ("confirmed", "cancelled", "requested")
    assert friday.rescheduled_from_id == old.id
    await wait_for_text(standin, STAFF, "Fri 27 Nov")
    card = next(m for m in standin.bot_messages(STAFF) if "Fri 27 Nov" in (m.text or ""))
    assert card.text is not None and f"Move request from {WED}" in card.text
    await act(standin, await standin.press(maria, "✅ Confirm", message=card))
    statuses = [a.status for a in await appointments_of(clinic)]
    assert statuses == ["cancelled", "cancelled", "confirmed"]
