"""Reminders through the outbox: on time, once, across restarts, never after a change."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.playground.botapi import StandIn, User
from db.models import Appointment, OutboxMessage, Patient
from tests.conftest import FakeClock, RunningBot, start_bot
from tests.e2e.test_booking import STAFF, act, book, staff_card, texts, wait_for_text

MONDAY_10AM = datetime(2026, 11, 23, 15, tzinfo=UTC)
WEDNESDAY_10AM = datetime(2026, 11, 25, 15, tzinfo=UTC)


def reminders(standin: StandIn, user: User) -> list[str]:
    return [text for text in texts(standin, user.id) if text.startswith("⏰")]


async def settle(standin: StandIn) -> None:
    """Gives the dispatcher several ticks (50 ms each) to send anything wrongly due."""
    await asyncio.sleep(0.3)


async def test_both_reminders_arrive_once_at_their_time_across_a_restart(
    standin: StandIn, database_url: str, ana: User
) -> None:
    clock = FakeClock(MONDAY_10AM)
    # No staff group: bookings are confirmed at once.
    running, stop = await start_bot(standin, database_url, clock=clock)
    await book(standin, ana, "Wed 25 Nov", "10:00\u202fa.m.")
    await wait_for_text(standin, ana.id, "is confirmed")
    await stop()  # the bot is down when the first reminder falls due

    clock.now = WEDNESDAY_10AM - timedelta(hours=24, seconds=1)
    running, stop = await start_bot(standin, database_url, clock=clock)
    await settle(standin)
    assert reminders(standin, ana) == []
    clock.advance(seconds=2)
    await wait_for_text(standin, ana.id, "⏰")
    [day_before] = reminders(standin, ana)
    assert "tomorrow:\n📅 Wed 25 Nov 2026 at 10:00\u202fa.m.\n" in day_before
    assert standin.screen(ana.id).buttons() == ["👍 I'll be there", "🔁 Reschedule", "✖️ Cancel"]
    await stop()

    running, stop = await start_bot(standin, database_url, clock=clock)
    await settle(standin)
    assert len(reminders(standin, ana)) == 1  # a restart sends nothing again
    clock.now = WEDNESDAY_10AM - timedelta(hours=2)
    await wait_for_text(standin, ana.id, "⏰", count=2)
    assert "in 2 hours:\n📅 Wed 25 Nov 2026 at 10:00\u202fa.m.\n" in reminders(standin, ana)[1]

    await act(standin, await standin.press(ana, "👍 I'll be there"))
    assert "See you on Wed 25 Nov 2026 at 10:00\u202fa.m." in texts(standin, ana.id)[-1]
    clock.advance(days=3)
    await settle(standin)
    assert len(reminders(standin, ana)) == 2
    async with running.database.transaction() as session:
        appointment = (await session.scalars(select(Appointment))).one()
        assert appointment.attendance_confirmed_at == WEDNESDAY_10AM - timedelta(hours=2)
        rows = list(await session.scalars(select(OutboxMessage.status)))
    assert sorted(rows) == ["sent"] * 4  # confirmation, .ics, two reminders
    await stop()


async def test_after_a_move_and_a_cancel_the_old_reminders_never_arrive(
    standin: StandIn, database_url: str, ana: User
) -> None:
    clock = FakeClock(MONDAY_10AM)
    running, stop = await start_bot(
        standin, database_url, clock=clock, staff_chat_id=STAFF, booking_confirmation="instant"
    )
    await book(standin, ana, "Wed 25 Nov", "10:00\u202fa.m.")
    await wait_for_text(standin, ana.id, "is confirmed")

    await act(standin, await standin.send_text(ana, "/appointments"))
    listing = standin.screen(ana.id)
    assert "Wed 25 Nov 2026 at 10:00\u202fa.m." in (listing.text or "")
    assert "✅ confirmed" in (listing.text or "")
    await act(standin, await standin.press(ana, "🔁 Move Wed 25 Nov"))
    await act(standin, await standin.press(ana, "Thu 26 Nov"))
    await act(standin, await standin.press(ana, "11:00\u202fa.m."))
    summary = standin.screen(ana.id).text or ""
    assert "Thu 26 Nov 2026 at 11:00\u202fa.m." in summary
    assert "Instead of: Wed 25 Nov 2026 at 10:00\u202fa.m." in summary
    await act(standin, await standin.press(ana, "✅ Move it"))
    await wait_for_text(standin, ana.id, "is confirmed", count=2)
    await wait_for_text(standin, STAFF, "Consultation moved")

    await act(standin, await standin.send_text(ana, "/appointments"))
    await act(standin, await standin.press(ana, "✖️ Cancel Thu 26 Nov"))
    await act(standin, await standin.send_text(ana, "Flight got moved"))
    assert "is cancelled" in texts(standin, ana.id)[-1]
    await wait_for_text(standin, STAFF, "Cancelled by the patient")
    assert "Reason: Flight got moved" in texts(standin, STAFF)[-1]

    for _ in range(4):
        clock.advance(days=1)
        await settle(standin)
    assert reminders(standin, ana) == []
    async with running.database.transaction() as session:
        rows = (await session.execute(select(OutboxMessage.kind, OutboxMessage.status))).all()
        statuses = [
            a.status for a in await session.scalars(select(Appointment).order_by(Appointment.id))
        ]
    assert sorted(status for kind, status in rows if kind == "reminder") == ["cancelled"] * 4
    assert statuses == ["cancelled", "cancelled"]
    staff_texts = texts(standin, STAFF)
    assert [t.split("\n")[0] for t in staff_texts] == [
        "🆕 Consultation booked",
        "🔁 Consultation moved (was Wed 25 Nov 2026 at 10:00\u202fa.m.)",
        "✖️ Cancelled by the patient",
    ]
    await stop()


async def test_telegram_errors_retry_a_reminder_and_a_block_stops_the_rest(
    standin: StandIn, database_url: str, ana: User
) -> None:
    clock = FakeClock(MONDAY_10AM)
    running, stop = await start_bot(standin, database_url, clock=clock)
    await book(standin, ana, "Wed 25 Nov", "10:00\u202fa.m.")
    await standin.wait_for(lambda: any(m.document for m in standin.bot_messages(ana.id)))

    standin.fail("sendMessage", 502, times=2)
    clock.now = WEDNESDAY_10AM - timedelta(hours=24)
    await standin.wait_for(lambda: _attempts(standin) == 1, what="a first, failed try")
    await settle(standin)
    assert reminders(standin, ana) == []  # waits its backoff (10 s) on the clock
    clock.advance(seconds=10)
    await standin.wait_for(lambda: _attempts(standin) == 2, what="a second, failed try")
    clock.advance(seconds=20)
    await wait_for_text(standin, ana.id, "⏰")
    await settle(standin)
    assert len(reminders(standin, ana)) == 1

    standin.blocked.add(ana.id)  # Ana blocks the bot; Telegram answers 403 from now on
    clock.now = WEDNESDAY_10AM - timedelta(hours=2)
    await standin.wait_for(lambda: _attempts(standin) == 4, what="the 2-hour reminder's try")
    await settle(standin)
    async with running.database.transaction() as session:
        reachable = (await session.scalars(select(Patient.reachable))).one()
        pending = list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.status == "pending"))
        )
        failed = list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.status == "failed"))
        )
    assert reachable is False
    assert pending == []
    assert [(row.kind, row.last_error) for row in failed] == [("reminder", "403 blocked")]
    await stop()


def _attempts(standin: StandIn) -> int:
    """How often the bot asked Telegram to send Ana a reminder."""
    return sum(
        1 for method, params in standin.calls if method == "sendMessage" and "⏰" in params["text"]
    )


async def _outbox(running: RunningBot) -> list[tuple[str, str]]:
    async with running.database.transaction() as session:
        rows = await session.execute(
            select(OutboxMessage.kind, OutboxMessage.status).order_by(OutboxMessage.id)
        )
        return [(kind, status) for kind, status in rows]


async def _settled(running: RunningBot, kinds: tuple[str, ...]) -> list[tuple[str, str]]:
    """The outbox once no row of these kinds is pending (or after 30 s, as it is)."""
    for _ in range(300):
        rows = await _outbox(running)
        if all(status != "pending" for kind, status in rows if kind in kinds):
            break
        await asyncio.sleep(0.1)
    return rows


async def test_after_an_outage_past_the_consultation_no_reminder_is_sent(
    standin: StandIn, database_url: str, ana: User
) -> None:
    """The bot was down from Monday to Wednesday 1\u202fp.m.: both reminders of the 10\u202fa.m.
    consultation are past their moment; they are recorded as expired, never sent."""
    clock = FakeClock(MONDAY_10AM)
    running, stop = await start_bot(standin, database_url, clock=clock)
    await book(standin, ana, "Wed 25 Nov", "10:00\u202fa.m.")
    await wait_for_text(standin, ana.id, "is confirmed")
    await standin.wait_for(lambda: any(m.document for m in standin.bot_messages(ana.id)))
    await stop()

    clock.now = WEDNESDAY_10AM + timedelta(hours=3)
    running, stop = await start_bot(standin, database_url, clock=clock)
    rows = await _settled(running, ("reminder",))
    await settle(standin)
    assert reminders(standin, ana) == []
    assert not any("⏰" in params.get("text", "") for _, params in standin.calls)
    assert rows == [
        ("confirmed", "sent"),
        ("ics", "sent"),
        ("reminder", "expired"),
        ("reminder", "expired"),
    ]
    await stop()


async def test_a_reminder_a_little_late_goes_a_day_reminder_hours_late_does_not(
    standin: StandIn, database_url: str, ana: User
) -> None:
    """Down until Tuesday 5\u202fp.m.: "tomorrow" is 7 hours late (more than the 6 allowed)
    and expires; the 2-hour one, 10 minutes late on Wednesday, still goes."""
    clock = FakeClock(MONDAY_10AM)
    running, stop = await start_bot(standin, database_url, clock=clock)
    await book(standin, ana, "Wed 25 Nov", "10:00\u202fa.m.")
    await standin.wait_for(lambda: any(m.document for m in standin.bot_messages(ana.id)))
    await stop()

    clock.now = WEDNESDAY_10AM - timedelta(hours=17)
    running, stop = await start_bot(standin, database_url, clock=clock)
    for _ in range(300):
        if ("reminder", "expired") in await _outbox(running):
            break
        await asyncio.sleep(0.1)
    await settle(standin)
    assert reminders(standin, ana) == []
    clock.now = WEDNESDAY_10AM - timedelta(hours=2) + timedelta(minutes=10)
    await wait_for_text(standin, ana.id, "⏰")
    await settle(standin)
    [reminder] = reminders(standin, ana)
    assert "in 2 hours" in reminder
    assert [status for kind, status in await _outbox(running) if kind == "reminder"] == [
        "expired",
        "sent",
    ]
    await stop()


async def test_a_confirmation_held_up_past_the_consultation_is_never_sent(
    standin: StandIn, database_url: str, ana: User, maria: User
) -> None:
    """Staff confirm; Telegram fails the confirmation and its calendar file until the
    consultation has begun: neither is sent late, both are recorded as expired."""
    clock = FakeClock(MONDAY_10AM)
    running, stop = await start_bot(standin, database_url, clock=clock, staff_chat_id=STAFF)
    await book(standin, ana, "Wed 25 Nov", "10:00\u202fa.m.")
    card = await staff_card(standin)
    standin.fail("sendMessage", 502, times=1, chat_id=ana.id)
    standin.fail("sendDocument", 502, times=1, chat_id=ana.id)
    await act(standin, await standin.press(maria, "✅ Confirm", message=card))
    await standin.wait_for(
        lambda: sum(method == "sendDocument" for method, _ in standin.calls) == 1,
        what="the calendar file's failed try",
    )
    await settle(standin)
    clock.now = WEDNESDAY_10AM + timedelta(minutes=5)
    # The failed chat is held for the backoff (10 s) in real time too: wait till both
    # rows are settled, one way or the other.
    rows = await _settled(running, ("confirmed", "ics", "reminder"))
    await settle(standin)
    assert not any("is confirmed" in text for text in texts(standin, ana.id))
    assert not any(m.document for m in standin.bot_messages(ana.id))
    assert reminders(standin, ana) == []
    assert [(kind, status) for kind, status in rows if kind != "staff_card"] == [
        ("confirmed", "expired"),
        ("ics", "expired"),
        ("reminder", "expired"),
        ("reminder", "expired"),
    ]
    await stop()
