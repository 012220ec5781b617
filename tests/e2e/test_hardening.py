"""What an attacker or a worried patient tried (issue 16), each answered."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from db.models import AftercarePlan, Appointment, FlowState, OutboxMessage, Patient
from tests.botapi.server import StandIn, User
from tests.conftest import RunningBot
from tests.e2e.test_aftercare import opt_in
from tests.e2e.test_booking import STAFF, act, book, staff_card, texts, wait_for_text


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
    await book(standin, ana, "Tue 24 Nov", "10:00 a.m.")
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
    assert "I've let the clinic know" in answer
    assert standin.screen(ana.id).buttons() == ["📞 Call the clinic", "🏠 Main menu"]
    await standin.wait_for(lambda: len(texts(standin, STAFF)) == 1, 5, "the staff alert")
    alert = texts(standin, STAFF)[0]
    assert "Patient reports a warning sign" in alert and "Ana Silva" in alert
    assert "Fever over 38" in alert and "Pus, yellow crusts" in alert
    assert 'They wrote: "fever, pus"' in alert
    assert "CO2 laser, day 1" in alert


async def test_a_problem_after_treatment_is_on_the_menu_for_anyone(
    clinic: RunningBot, ana: User, ben: User, maria: User
) -> None:
    """Ana declined the aftercare messages of a treatment staff recorded, Ben was never
    treated: both reach the warning signs from the menu and are told to call; staff
    hear about Ana, whom the clinic treated."""
    standin = clinic.standin
    await book(standin, ana, "Tue 24 Nov", "10:00 a.m.")
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
    assert "I've let the clinic know" in texts(standin, ana.id)[-1]
    ben_answer = texts(standin, ben.id)[-1]
    assert "Please call the clinic now" in ben_answer and "let the clinic know" not in ben_answer
    await standin.wait_for(
        lambda: len(texts(standin, STAFF)) == staff_before + 1, 5, "one staff alert"
    )
    assert "Ana Silva" in texts(standin, STAFF)[-1] and "Fever" in texts(standin, STAFF)[-1]


async def test_ordinary_text_and_a_denied_symptom_are_not_alarms(
    clinic: RunningBot, ana: User
) -> None:
    standin = clinic.standin
    await opt_in(standin, ana, day="Yesterday")
    for said in ("no fever, all good", "thanks!"):
        await act(standin, await standin.send_text(ana, said))
        assert "I work best with the buttons" in texts(standin, ana.id)[-2]
    assert texts(standin, STAFF) == []
