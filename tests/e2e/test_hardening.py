"""What an attacker or a worried patient tried (issue 16), each answered."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from db.models import AftercarePlan, Appointment, FlowState, OutboxMessage, Patient
from tests.botapi.server import StandIn, User
from tests.conftest import RunningBot
from tests.e2e.test_booking import STAFF, act, book, staff_card, wait_for_text


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
    await act(standin, await standin.press(maria, "✅ Confirm", message=staff_card(standin)))
    await wait_for_text(standin, ana.id, "is confirmed")
    await act(standin, await standin.send_text(ana, "/aftercare"))
    await act(standin, await standin.press(ana, "CO2 laser"))
    await act(standin, await standin.send_text(ana, "/appointments"))
    await act(standin, await standin.send_text(ben, "/start"))
    buttons = every_button_sent_to(standin, ana.id)
    assert len(buttons) > 25 and any(data.startswith("appt:c:") for data in buttons)

    before = await ana_as_stored(clinic, ana)
    ana_chat = [(m.message_id, m.text, m.keyboard) for m in standin.bot_messages(ana.id)]
    card = staff_card(standin)
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
