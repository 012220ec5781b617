"""What an attacker or a worried patient tried (issue 16), each answered."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select

from bot.playground.botapi import StandIn, User
from db.models import AftercarePlan, Appointment, Audit, FlowState, OutboxMessage, Patient
from tests.conftest import FakeClock, RunningBot, start_bot
from tests.e2e.test_aftercare import opt_in
from tests.e2e.test_booking import (
    MONDAY_10AM,
    STAFF,
    act,
    book,
    staff_card,
    texts,
    wait_for_text,
)


def every_button_sent_to(standin: StandIn, chat_id: int) -> set[str]:
    """The callback data of every button the bot ever showed this chat, edits included."""
    found: set[str] = set()
    for method, params in standin.calls:
        if method in ("sendMessage", "editMessageText") and params.get("chat_id") == str(chat_id):
            markup = json.loads(params.get("reply_markup") or "{}")
            for row in markup.get("inline_keyboard", []):
                found.update(button["callback_data"] for button in row)
    return found


async def ana_as_stored(running: RunningBot, ana: User) -> list[Any]:
    async with running.database.transaction() as session:
        patient_id = await session.scalar(select(Patient.id).where(Patient.telegram_id == ana.id))
        appointments = (
            await session.execute(
                select(Appointment.id, Appointment.status, Appointment.starts_at).where(
                    Appointment.patient_id == patient_id
                )
            )
        ).all()
        plans = (
            await session.execute(
                select(AftercarePlan.id, AftercarePlan.status).where(
                    AftercarePlan.patient_id == patient_id
                )
            )
        ).all()
        flow = (
            await session.execute(
                select(FlowState.flow, FlowState.step, FlowState.data).where(
                    FlowState.patient_id == patient_id
                )
            )
        ).all()
        pending = (
            await session.execute(
                select(OutboxMessage.kind, OutboxMessage.status).where(
                    OutboxMessage.patient_id == patient_id
                )
            )
        ).all()
    return [appointments, plans, flow, sorted(pending)]


async def test_a_patients_buttons_replayed_elsewhere_change_nothing(
    clinic: RunningBot, ana: User, ben: User, maria: User
) -> None:
    """Every button Ana was ever shown, pressed in the staff group and in Ben's chat:
    her appointment, plan, place in the conversation and chat stay as they were, and so
    does the staff card."""
    standin = clinic.standin
    await book(standin, ana, "Tue 24 Nov", "10:00\u202fa.m.")
    await act(standin, await standin.press(maria, "✅ Confirm", message=await staff_card(standin)))
    await wait_for_text(standin, ana.id, "is confirmed")
    await act(standin, await standin.send_text(ana, "/aftercare"))
    await act(standin, await standin.press(ana, "CO2 laser"))
    await act(standin, await standin.send_text(ana, "/appointments"))
    await act(standin, await standin.send_text(ben, "/start"))
    buttons = every_button_sent_to(standin, ana.id)
    assert len(buttons) > 25 and any(data.startswith("appt:c:") for data in buttons)

    before = await ana_as_stored(clinic, ana)
    ana_chat = [(m.message_id, m.text, m.keyboard) for m in standin.bot_messages(ana.id)]
    card = await staff_card(standin)
    card_before = (card.text, card.keyboard)
    for data in sorted(buttons):
        await act(standin, await standin.press_data(maria, card, data))
        await act(standin, await standin.press_data(ben, standin.screen(ben.id), data))

    assert await ana_as_stored(clinic, ana) == before
    assert [(m.message_id, m.text, m.keyboard) for m in standin.bot_messages(ana.id)] == ana_chat
    assert (card.text, card.keyboard) == card_before
    # In the group each press got the same short answer, and nothing was posted there.
    answers = {standin.callback_answers[q] for q in standin.callback_answers}
    assert "This button works only in your private chat with the clinic's assistant." in answers
    assert [m.text for m in standin.bot_messages(STAFF)] == [card.text]


async def test_symptoms_typed_as_text_get_the_call_now_answer_and_alert_staff(
    clinic: RunningBot, ana: User
) -> None:
    """A patient on a plan types what a warning sign sounds like: they are told to call
    the clinic now, with the phone; staff get an alert with her name and the words."""
    standin = clinic.standin
    await opt_in(standin, ana, day="Yesterday")
    await act(
        standin,
        await standin.send_text(ana, "my face is swollen, pus everywhere and 39.5 fever"),
    )
    answer = texts(standin, ana.id)[-1]
    assert "Please call the clinic now: +1 905-929-3134" in answer and "911" in answer
    assert "Health811" not in answer  # Monday morning: the clinic is open
    assert standin.screen(ana.id).buttons() == ["📞 Call the clinic", "🏠 Main menu"]
    await standin.wait_for(lambda: len(texts(standin, STAFF)) == 1, 5, "the staff alert")
    alert = texts(standin, STAFF)[0]
    assert "Patient reports a warning sign" in alert and "Ana Silva" in alert
    assert "Fever over 38" in alert and "Pus, yellow crusts" in alert
    assert 'They wrote: "fever, pus"' in alert
    assert "CO2 laser, day 1" in alert
    # Only now that staff have it is Ana told so.
    await wait_for_text(standin, ana.id, "The clinic's team has been told")


async def test_a_problem_after_treatment_is_on_the_menu_for_anyone(
    clinic: RunningBot, ana: User, ben: User, maria: User
) -> None:
    """Ana declined the aftercare messages of a treatment staff recorded, Ben was never
    treated: both reach the warning signs from the menu and are told to call; staff
    hear about Ana, whom the clinic treated."""
    standin = clinic.standin
    await book(standin, ana, "Tue 24 Nov", "10:00\u202fa.m.")
    card = await staff_card(standin)
    await act(standin, await standin.press(maria, "✅ Confirm", message=card))
    await act(standin, await standin.press(maria, "🩹 Record treatment", message=card))
    await act(standin, await standin.press(maria, "CO2 laser", message=card))
    await act(standin, await standin.press(maria, "Today", message=card))
    await wait_for_text(standin, ana.id, "has recorded your CO2 laser treatment")
    await act(standin, await standin.press(ana, "No, thanks"))
    staff_before = len(texts(standin, STAFF))
    for user in (ana, ben):
        await act(standin, await standin.send_text(user, "/start"))
        await act(standin, await standin.press(user, "🩺 A problem after my treatment"))
        assert "What do you notice?" in (standin.screen(user.id).text or "")
        await act(standin, await standin.press(user, "🌡 Fever over 38 °C (100.4 °F)"))
    for user in (ana, ben):
        assert "Please call the clinic now" in texts(standin, user.id)[-1]
    await standin.wait_for(
        lambda: len(texts(standin, STAFF)) == staff_before + 1, 5, "one staff alert"
    )
    assert "Ana Silva" in texts(standin, STAFF)[-1] and "Fever" in texts(standin, STAFF)[-1]
    await wait_for_text(standin, ana.id, "The clinic's team has been told")
    assert not any("has been told" in text for text in texts(standin, ben.id))


async def test_ordinary_text_and_a_denied_symptom_are_not_alarms(
    clinic: RunningBot, ana: User
) -> None:
    standin = clinic.standin
    await opt_in(standin, ana, day="Yesterday")
    for said in ("no fever, all good", "thanks!"):
        await act(standin, await standin.send_text(ana, said))
        assert "I work best with the buttons" in texts(standin, ana.id)[-2]
    assert texts(standin, STAFF) == []


FEVER = "🌡 Fever over 38 °C (100.4 °F)"


async def report_fever(standin: StandIn, ana: User) -> None:
    await act(standin, await standin.send_text(ana, "/start"))
    await act(standin, await standin.press(ana, "🩺 A problem after my treatment"))
    await act(standin, await standin.press(ana, FEVER))


async def test_with_no_staff_group_the_patient_is_not_told_the_clinic_knows(
    standin: StandIn, database_url: str, ana: User
) -> None:
    """No staff group is set: a sign tapped on an aftercare message, one tapped from the
    menu and one typed each get "call the clinic now", never "they expect your call"."""
    running, stop = await start_bot(standin, database_url, clock=FakeClock(MONDAY_10AM))
    await opt_in(standin, ana, day="Yesterday")
    await act(standin, await standin.send_text(ana, "/aftercare"))
    await act(standin, await standin.press(ana, "📋 Today's care"))
    await act(standin, await standin.press(ana, "😟 Something worries me"))
    await act(standin, await standin.press(ana, FEVER))
    await report_fever(standin, ana)
    await act(standin, await standin.send_text(ana, "my skin has pus and a fever"))
    async with running.database.transaction() as session:
        assert (await session.scalars(select(OutboxMessage.kind))).all() == ["nudge"]
    said = texts(standin, ana.id)
    assert sum("Please call the clinic now" in text for text in said) == 3
    assert not any("has been told" in text or "expect your call" in text for text in said)
    await stop()


async def test_an_alert_the_staff_group_refuses_is_not_reported_to_the_patient(
    clinic: RunningBot, ana: User
) -> None:
    standin = clinic.standin
    await opt_in(standin, ana, day="Yesterday")
    standin.fail("sendMessage", 400, 10, description="Bad Request: chat not found", chat_id=STAFF)
    await report_fever(standin, ana)

    async def alert_given_up() -> bool:
        async with clinic.database.transaction() as session:
            statuses = await session.scalars(
                select(OutboxMessage.status).where(OutboxMessage.kind == "triage_alert")
            )
            return list(statuses) == ["failed"]

    for _ in range(100):
        if await alert_given_up():
            break
        await asyncio.sleep(0.05)
    assert await alert_given_up()
    assert "Please call the clinic now" in texts(standin, ana.id)[-1]
    assert not any("has been told" in text for text in texts(standin, ana.id))
    async with clinic.database.transaction() as session:
        kinds = (await session.scalars(select(OutboxMessage.kind))).all()
    assert "alert_heard" not in kinds


async def test_out_of_hours_the_patient_is_given_health811(
    clinic: RunningBot, clock: FakeClock, ana: User
) -> None:
    standin = clinic.standin
    await opt_in(standin, ana, day="Yesterday")
    clock.advance(hours=12)  # Monday 10 p.m.: the clinic closed at 6
    await report_fever(standin, ana)
    answer = texts(standin, ana.id)[-1]
    assert "Please call the clinic now" in answer
    assert "The clinic is closed right now" in answer and "Health811" in answer


async def test_staff_take_an_alert_and_the_patient_hears_who_calls_back(
    clinic: RunningBot, ana: User, maria: User
) -> None:
    standin = clinic.standin
    await opt_in(standin, ana, day="Yesterday")
    await report_fever(standin, ana)
    await standin.wait_for(lambda: bool(texts(standin, STAFF)), what="the alert")
    alert = standin.screen(STAFF)
    assert alert.buttons() == ["🙋 I'm on it"]
    # A member of the group who is not staff cannot take it.
    refused = await standin.press(User(7777, "Tom"), "🙋 I'm on it", message=alert)
    await act(standin, refused)
    assert standin.callback_answers[refused["callback_query"]["id"]] == (
        "Only clinic staff can do this."
    )
    assert standin.screen(STAFF).buttons() == ["🙋 I'm on it"]
    await act(standin, await standin.press(maria, "🙋 I'm on it", message=alert))
    await wait_for_text(standin, ana.id, "Maria from the clinic has seen your message")
    taken = standin.bot_messages(STAFF)[-1]
    assert taken.message_id == alert.message_id and not taken.keyboard
    assert "Patient reports a warning sign" in (taken.text or "")
    assert "Maria is calling them back" in (taken.text or "")
    assert not any("Tom" in text for text in texts(standin, ana.id))
    async with clinic.database.transaction() as session:
        audited = (await session.execute(select(Audit.user_id, Audit.action))).all()
    assert [tuple(row) for row in audited] == [(maria.id, "alert.taken")]


async def pending_reminders(running: RunningBot) -> list[datetime]:
    async with running.database.transaction() as session:
        return list(
            await session.scalars(
                select(OutboxMessage.due_at)
                .where(OutboxMessage.kind == "reminder", OutboxMessage.status == "pending")
                .order_by(OutboxMessage.due_at)
            )
        )


async def test_a_patient_back_after_blocking_gets_the_reminders_back_if_she_wants(
    clinic: RunningBot, ana: User, maria: User
) -> None:
    """Ana's confirmed consultation lost its reminders when she blocked the bot. She
    unblocks it: the bot names what was paused; Yes queues the same reminders again,
    once, however often she presses it."""
    standin = clinic.standin
    await book(standin, ana, "Tue 24 Nov", "10:00\u202fa.m.")
    await act(standin, await standin.press(maria, "✅ Confirm", message=await staff_card(standin)))
    await wait_for_text(standin, ana.id, "is confirmed")
    before = await pending_reminders(clinic)
    assert before
    await act(standin, await standin.block(ana))
    assert await pending_reminders(clinic) == []

    await act(standin, await standin.block(ana, blocked=False))
    offer = standin.screen(ana.id).text or ""
    assert "the reminders for your consultation on Tue 24 Nov 2026 at 10:00\u202fa.m." in offer
    offered = standin.screen(ana.id)
    await act(standin, await standin.press(ana, "✅ Yes, turn them back on"))
    await act(standin, await standin.press_data(ana, offered, "back:yes"))  # a double tap
    assert await pending_reminders(clinic) == before


async def test_a_patient_found_unreachable_who_writes_again_is_offered_her_messages(
    clinic: RunningBot, clock: FakeClock, ana: User
) -> None:
    """Telegram refused a message (403), so the bot stopped Ana's plan; she never
    unblocked through a member update, she just writes /start: the offer comes first,
    then the menu; No keeps them off."""
    standin = clinic.standin
    await opt_in(standin, ana, day="Yesterday")
    standin.blocked.add(ana.id)
    clock.advance(hours=23)  # Tuesday 9 a.m.: the day's message is refused
    await standin.wait_for(
        lambda: any(
            m == "sendMessage" and p.get("chat_id") == str(ana.id) for m, p in standin.calls[-3:]
        ),
        what="the refused message",
    )

    async def unreachable() -> bool:
        async with clinic.database.transaction() as session:
            return await session.scalar(select(Patient.reachable)) is False

    for _ in range(100):
        if await unreachable():
            break
        await asyncio.sleep(0.05)
    assert await unreachable()
    standin.blocked.discard(ana.id)
    await act(standin, await standin.send_text(ana, "/start"))
    said = standin.bot_messages(ana.id)[-2:]
    assert "Welcome back!" in (said[0].text or "") and said[1].buttons()[0] == (
        "ℹ️ About the treatment"
    )
    await act(standin, await standin.press(ana, "No, keep them off", message=said[0]))
    assert "they stay off" in (standin.last_texts(ana.id, 1)[0] or "")
    async with clinic.database.transaction() as session:
        assert await session.scalar(select(AftercarePlan.status)) == "stopped"
    # Only the first message after coming back brings the offer.
    await act(standin, await standin.send_text(ana, "/start"))
    assert not any("Welcome back" in text for text in texts(standin, ana.id)[-1:])
