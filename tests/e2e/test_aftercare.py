"""Aftercare end to end: opting in, a whole plan day by day, check-ins, alerts, stopping."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.playground.botapi import StandIn, User
from clinic.aftercare import Laser
from clinic.content import load_content
from db.models import AftercareCheckin, AftercarePlan, OutboxMessage, Patient
from tests.conftest import FakeClock, RunningBot, start_bot
from tests.e2e.test_booking import STAFF, act, book, texts, wait_for_text

TORONTO = ZoneInfo("America/Toronto")
# Sunday 25 October 2026, 8:00 a.m. in Toronto (EDT, UTC-4); daylight saving time
# ends a week later, on 1 November.
SUNDAY_8AM = datetime(2026, 10, 25, 12, tzinfo=UTC)
MONDAY_10AM = datetime(2026, 11, 23, 15, tzinfo=UTC)
CO2_DAYS = load_content().fallback.aftercare.plans[Laser.CO2].days


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TORONTO).astimezone(UTC)


def nudges(standin: StandIn, user: User) -> list[str]:
    return [text for text in texts(standin, user.id) if " after your " in text.split("\n")[0]]


async def settle() -> None:
    """Gives the dispatcher several ticks (50 ms each) to send anything wrongly due."""
    await asyncio.sleep(0.3)


async def press(standin: StandIn, user: User, label: str) -> None:
    await act(standin, await standin.press(user, label))


async def opt_in(
    standin: StandIn,
    user: User,
    laser: str = "CO2 laser",
    day: str = "Today",
    at: str = "9:00\u202fa.m. (suggested)",
) -> None:
    await act(standin, await standin.send_text(user, "/aftercare"))
    await press(standin, user, laser)
    await press(standin, user, day)
    await press(standin, user, "✅ Yes, send them")
    await press(standin, user, at)


async def plans(running: RunningBot) -> list[AftercarePlan]:
    async with running.database.transaction() as session:
        return list(await session.scalars(select(AftercarePlan).order_by(AftercarePlan.id)))


async def nudge_rows(running: RunningBot) -> list[OutboxMessage]:
    async with running.database.transaction() as session:
        return list(
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.kind == "nudge")
                .order_by(OutboxMessage.due_at, OutboxMessage.id)
            )
        )


async def test_a_co2_plan_sends_one_message_a_day_at_nine_across_dst_and_a_restart(
    standin: StandIn, database_url: str, ana: User
) -> None:
    clock = FakeClock(SUNDAY_8AM)
    running, stop = await start_bot(standin, database_url, clock=clock)
    await opt_in(standin, ana)
    assert "First message: Sun 25 Oct 2026 at 9:00\u202fa.m." in texts(standin, ana.id)[-1]
    treated = date(2026, 10, 25)

    for day in CO2_DAYS:
        due = local(treated + timedelta(days=day), 9)
        if day == 7:  # a restart in the middle of the plan
            await stop()
            running, stop = await start_bot(standin, database_url, clock=clock)
        clock.now = due - timedelta(minutes=1)
        await settle()
        assert len(nudges(standin, ana)) == CO2_DAYS.index(day), f"day {day} came early"
        clock.now = due
        await wait_for_text(standin, ana.id, f"Day {day} after your CO2 laser treatment")
        assert len(nudges(standin, ana)) == CO2_DAYS.index(day) + 1
        assert standin.screen(ana.id).buttons() == [
            "😊 Healing as expected",
            "😟 Something worries me",
            "⏹ Stop aftercare messages",
        ]

    clock.advance(days=30)
    await settle()
    assert len(nudges(standin, ana)) == len(CO2_DAYS) == 19
    rows = await nudge_rows(running)
    assert [row.status for row in rows] == ["sent"] * 19
    sent = [row.sent_at.astimezone(TORONTO) for row in rows if row.sent_at]
    assert [moment.time() for moment in sent] == [time(9)] * 19
    assert [(moment.date() - treated).days for moment in sent] == list(CO2_DAYS)
    # 9:00 a.m. is 13:00 UTC before the change and 14:00 UTC after it.
    assert {moment.utcoffset() for moment in sent} == {timedelta(hours=-4), timedelta(hours=-5)}
    [plan] = await plans(running)
    assert (plan.status, plan.last_nudge_day, plan.laser) == ("completed", 56, "co2")
    await stop()


async def test_a_warning_sign_reaches_the_patient_and_staff_without_waiting_for_a_tick(
    standin: StandIn, database_url: str, ana: User
) -> None:
    clock = FakeClock(MONDAY_10AM)
    # An hour between ticks: only the wake-up after the update can deliver the alert.
    running, stop = await start_bot(
        standin,
        database_url,
        clock=clock,
        outbox_tick=3600,
        staff_chat_id=STAFF,
        booking_confirmation="instant",
    )
    await book(standin, ana, "Tue 24 Nov", "10:00\u202fa.m.")
    await standin.wait_for(
        lambda: any(m.document for m in standin.bot_messages(ana.id)), what="the calendar file"
    )
    await opt_in(standin, ana, day="Yesterday")
    await act(standin, await standin.send_text(ana, "/aftercare"))
    status = standin.screen(ana.id).text or ""
    assert "CO2 laser treatment on Sun 22 Nov: today is day 1 of 56." in status
    assert "Next message: Tue 24 Nov 2026 at 9:00\u202fa.m." in status
    await press(standin, ana, "📋 Today's care")
    assert "Day 1 after your CO2 laser treatment" in texts(standin, ana.id)[-1]

    await press(standin, ana, "😊 Healing as expected")
    assert "Glad to hear it" in texts(standin, ana.id)[-1]
    care = standin.bot_messages(ana.id)[-2]
    await act(standin, await standin.press(ana, "😟 Something worries me", message=care))
    assert standin.screen(ana.id).buttons() == [
        "🌡 Fever over 38 °C (100.4 °F)",
        "😣 Pain that is getting worse",
        "🟡 Pus, yellow crusts or spreading redness",
        "💧 Blisters or a cold sore",
        "👁 Strong swelling around the eyes",
        "👁 Eye pain or a change in vision",
        "🚨 Trouble breathing, or a rash spreading",
        "🩹 Skin still open after two weeks",
        "❓ Something else",
        "🙂 Nothing, I'm fine",
    ]
    staff_before = len(standin.bot_messages(STAFF))
    await press(standin, ana, "🌡 Fever over 38 °C (100.4 °F)")
    call_now = texts(standin, ana.id)[-1]
    assert "Please call the clinic now: +1 905-929-3134" in call_now and "911" in call_now
    await standin.wait_for(
        lambda: len(standin.bot_messages(STAFF)) > staff_before, timeout=3, what="the alert"
    )
    alert = standin.bot_messages(STAFF)[-1].text or ""
    assert "Aftercare alert: 🌡 Fever over 38 °C (100.4 °F)" in alert
    assert "Ana Silva" in alert and "+1 416-555-0123" in alert
    assert "CO2 laser, day 1 (treated Sun 22 Nov)" in alert

    async with running.database.transaction() as session:
        answers = (
            await session.execute(
                select(
                    AftercareCheckin.day, AftercareCheckin.answer, AftercareCheckin.sign
                ).order_by(AftercareCheckin.id)
            )
        ).all()
    assert answers == [(1, "ok", None), (1, "worried", None), (1, "sign", "fever")]
    await stop()


async def test_staff_record_a_treatment_on_the_card_and_the_patient_opts_in(
    standin: StandIn, database_url: str, ana: User, maria: User
) -> None:
    clock = FakeClock(MONDAY_10AM)
    running, stop = await start_bot(standin, database_url, clock=clock, staff_chat_id=STAFF)
    await book(standin, ana, "Tue 24 Nov", "10:00\u202fa.m.")
    await standin.wait_for(lambda: bool(standin.bot_messages(STAFF)), what="the staff card")
    card = standin.bot_messages(STAFF)[0]
    await act(standin, await standin.press(maria, "✅ Confirm", message=card))
    clock.advance(days=1)  # the consultation, then the treatment that day

    await act(standin, await standin.press(maria, "🩹 Record treatment", message=card))
    assert standin.bot_messages(STAFF)[0].buttons() == ["CO2 laser", "Erbium laser", "« Back"]
    await act(standin, await standin.press(maria, "Erbium laser", message=card))
    assert "Erbium laser, on which day?" in (standin.bot_messages(STAFF)[0].text or "")
    await act(standin, await standin.press(maria, "Today", message=card))
    card = standin.bot_messages(STAFF)[0]
    assert (
        "Erbium laser treatment on Tue 24 Nov, recorded by Maria Lopez. "
        "Aftercare: offered to the patient" in (card.text or "")
    )
    assert card.buttons() == ["📋 Outcome", "🩹 Record treatment"]

    await wait_for_text(standin, ana.id, "has recorded your Erbium laser treatment on Tue 24 Nov")
    assert standin.screen(ana.id).buttons() == ["✅ Tell me more", "No, thanks"]
    async with running.database.transaction() as session:
        assert (
            await session.scalar(select(OutboxMessage.id).where(OutboxMessage.kind == "nudge"))
            is None
        )
    await press(standin, ana, "✅ Tell me more")
    assert standin.screen(ana.id).buttons() == ["✅ Yes, send them", "No, thanks", "🏠 Main menu"]
    offer = standin.screen(ana.id).text or ""
    assert "Daily aftercare for your Erbium laser treatment on Tue 24 Nov" in offer
    assert "until day 5" in offer and "stop any time" in offer and "/stop" in offer
    await press(standin, ana, "✅ Yes, send them")
    await press(standin, ana, "8:00\u202fa.m.")
    assert "First message: Wed 25 Nov 2026 at 8:00\u202fa.m." in texts(standin, ana.id)[-1]

    [plan] = await plans(running)
    assert (plan.status, plan.laser, plan.treated_on) == ("active", "erbium", date(2026, 11, 24))
    assert plan.recorded_by == "Maria Lopez" and plan.send_at == time(8)
    redraw = f"staff:card:{plan.appointment_id}"
    await act(standin, await standin.press_data(maria, card, redraw))
    assert "Aftercare: messages on" in (standin.bot_messages(STAFF)[0].text or "")

    # The same record pressed again (a double tap) invites nobody twice.
    again = f"staff:td:{plan.appointment_id}:erbium:0"
    await act(standin, await standin.press_data(maria, card, again))
    assert len(await plans(running)) == 1
    # The same buttons from a private chat do nothing.
    forged = f"staff:td:{plan.appointment_id}:co2:0"
    await act(standin, await standin.press_data(ana, standin.screen(ana.id), forged))
    assert len(await plans(running)) == 1
    await stop()


async def test_stopping_removes_every_pending_message_and_old_buttons_say_so(
    standin: StandIn, database_url: str, ana: User
) -> None:
    clock = FakeClock(MONDAY_10AM)
    running, stop = await start_bot(standin, database_url, clock=clock)
    await opt_in(standin, ana, day="Yesterday", at="8:00\u202fa.m.")
    clock.now = local(date(2026, 11, 24), 8)
    await wait_for_text(standin, ana.id, "Day 2 after your CO2 laser treatment")
    first_nudge = standin.screen(ana.id)

    await press(standin, ana, "⏹ Stop aftercare messages")
    assert "Aftercare messages stopped" in texts(standin, ana.id)[-1]
    [plan] = await plans(running)
    assert (plan.status, plan.end_reason) == ("stopped", "patient")
    # Day 2 went out; the next day is cancelled, or was never queued if the stop came
    # before the send was recorded. Either way nothing is left to send.
    statuses = [row.status for row in await nudge_rows(running)]
    assert statuses[0] == "sent" and set(statuses[1:]) <= {"cancelled"}
    clock.advance(days=3)
    await settle()
    assert len(nudges(standin, ana)) == 1

    # Old buttons of the ended plan: a clear answer, nothing stored.
    await act(standin, await standin.press(ana, "⏹ Stop aftercare messages", message=first_nudge))
    assert texts(standin, ana.id)[-1] == "These aftercare messages have already ended."
    await act(standin, await standin.press(ana, "😊 Healing as expected", message=first_nudge))
    assert "messages have ended" in texts(standin, ana.id)[-1]
    await act(standin, await standin.send_text(ana, "/stop"))
    assert texts(standin, ana.id)[-1] == "You have no aftercare messages running."

    # A new plan; the first plan's buttons still only say it has ended.
    await opt_in(standin, ana, day="Yesterday")
    await act(standin, await standin.press(ana, "⏹ Stop aftercare messages", message=first_nudge))
    assert texts(standin, ana.id)[-1] == "These aftercare messages have already ended."
    assert [plan.status for plan in await plans(running)] == ["stopped", "active"]
    await act(standin, await standin.send_text(ana, "/stop"))
    assert "Aftercare messages stopped" in texts(standin, ana.id)[-1]
    assert [row.status for row in await nudge_rows(running)].count("pending") == 0
    async with running.database.transaction() as session:
        checkins = list(await session.scalars(select(AftercareCheckin)))
    assert checkins == []
    await stop()


async def test_a_patient_who_blocked_the_bot_is_marked_unreachable_and_the_plan_stops(
    standin: StandIn, database_url: str, ana: User
) -> None:
    clock = FakeClock(MONDAY_10AM)
    running, stop = await start_bot(standin, database_url, clock=clock)
    await opt_in(standin, ana, day="Yesterday")
    standin.blocked.add(ana.id)  # Telegram answers 403 from now on
    clock.now = local(date(2026, 11, 24), 9)
    await standin.wait_for(
        lambda: any(m == "sendMessage" for m, p in standin.calls[-3:]), what="the try"
    )
    await settle()
    [plan] = await plans(running)
    assert (plan.status, plan.end_reason) == ("stopped", "unreachable")
    assert [row.status for row in await nudge_rows(running)] == ["failed"]
    async with running.database.transaction() as session:
        assert await session.scalar(select(Patient.reachable)) is False
    clock.advance(days=2)
    await settle()
    assert nudges(standin, ana) == []
    await stop()


async def test_telegram_errors_on_a_nudge_are_retried_and_it_arrives_once(
    standin: StandIn, database_url: str, ana: User
) -> None:
    clock = FakeClock(MONDAY_10AM)
    running, stop = await start_bot(standin, database_url, clock=clock)
    await opt_in(standin, ana, day="Yesterday")
    standin.fail("sendMessage", 502, times=1)
    # python-telegram-bot's rate limiter waits the retry_after and tries again itself.
    standin.fail("sendMessage", 429, times=1, retry_after=1)
    clock.now = local(date(2026, 11, 24), 9)
    await settle()
    assert nudges(standin, ana) == []
    clock.advance(seconds=10)  # the backoff after the 502
    await wait_for_text(standin, ana.id, "Day 2 after your CO2 laser treatment")
    clock.advance(hours=1)
    await settle()
    assert len(nudges(standin, ana)) == 1
    rows = await nudge_rows(running)
    assert [(row.status, row.payload["day"]) for row in rows] == [("sent", 2), ("pending", 3)]
    assert rows[0].attempts == 2  # the 502 and the success; a 429 does not count
    await stop()


async def test_changing_the_time_moves_the_next_message(
    standin: StandIn, database_url: str, ana: User
) -> None:
    clock = FakeClock(MONDAY_10AM)
    running, stop = await start_bot(standin, database_url, clock=clock)
    await opt_in(standin, ana, day="Yesterday")
    await act(standin, await standin.send_text(ana, "/aftercare"))
    await press(standin, ana, "🕘 Change the time")
    assert "✓ 9:00\u202fa.m." in standin.screen(ana.id).buttons()
    await press(standin, ana, "6:00\u202fp.m.")
    assert texts(standin, ana.id)[-1] == (
        "✅ Done: your aftercare messages now come every day at 6:00\u202fp.m.\n"
        "📨 Next one: Mon 23 Nov 2026 at 6:00\u202fp.m."
    )
    clock.now = local(date(2026, 11, 23), 18)
    await wait_for_text(standin, ana.id, "Day 1 after your CO2 laser treatment")
    clock.now = local(date(2026, 11, 24), 9)
    await settle()
    assert len(nudges(standin, ana)) == 1  # not at the old time
    clock.now = local(date(2026, 11, 24), 18)
    await wait_for_text(standin, ana.id, "Day 2 after your CO2 laser treatment")
    await settle()
    rows = await nudge_rows(running)
    assert [(row.status, row.due_at.astimezone(TORONTO).hour) for row in rows] == [
        ("sent", 18),  # Mon
        ("cancelled", 9),  # Tue, queued before the change
        ("sent", 18),  # Tue
        ("pending", 18),  # Wed
    ]
    await stop()


async def test_blocking_the_bot_stops_the_plan_and_coming_back_offers_it_again(
    standin: StandIn, database_url: str, ana: User
) -> None:
    """Unblocking does not restart the messages unasked: the bot offers them, and *Yes*
    brings the next day's message back."""
    clock = FakeClock(MONDAY_10AM)
    running, stop = await start_bot(standin, database_url, clock=clock)
    await opt_in(standin, ana, day="Yesterday")
    await act(standin, await standin.block(ana))
    [plan] = await plans(running)
    assert (plan.status, plan.end_reason) == ("stopped", "unreachable")
    assert [row.status for row in await nudge_rows(running)] == ["cancelled"]

    await act(standin, await standin.block(ana, blocked=False))
    offer = standin.screen(ana.id)
    assert "Welcome back!" in (offer.text or "") and "daily aftercare messages" in (
        offer.text or ""
    )
    assert offer.buttons() == ["✅ Yes, turn them back on", "No, keep them off"]
    clock.now = local(date(2026, 11, 24), 9)
    await settle()
    assert nudges(standin, ana) == []  # not before she says yes

    clock.now = local(date(2026, 11, 24), 10)
    await press(standin, ana, "✅ Yes, turn them back on")
    assert "they're back on" in texts(standin, ana.id)[-1]
    [plan] = await plans(running)
    assert plan.status == "active"
    clock.now = local(date(2026, 11, 25), 9)
    await wait_for_text(standin, ana.id, "Day 3 after your CO2 laser treatment")
    assert len(nudges(standin, ana)) == 1  # Tuesday's, missed while blocked, is not sent
    await stop()
