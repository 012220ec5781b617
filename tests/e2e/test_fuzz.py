"""Fuzz: random text, commands, stickers, photos, contacts and button data at every step.

Each example is a new patient doing a random sequence of things. Pressing a button the
screen shows is the commonest action, so the sequences walk deep into the pre-screen,
booking, appointments, aftercare and privacy flows, and the other actions land in the
middle of them. After every update: no error logged, a button press answered, a
message answered with a message. After every example: the patient's rows agree.
"""

from __future__ import annotations

import itertools
import logging
import os
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from clinic.content import load_content
from db.models import (
    AftercarePlan,
    Appointment,
    FlowState,
    OutboxMessage,
    Patient,
    Prescreen,
    PrescreenAnswer,
)
from handlers import COMMANDS, STAFF_COMMANDS, callbacks
from tests.botapi.server import StandIn, User
from tests.conftest import RunningBot

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
PREFIXES = sorted(
    value for name, value in vars(callbacks).items() if name.isupper() and isinstance(value, str)
)
QUESTION_KEYS = {question.key for question in load_content().questionnaire.questions}
ACTIVE = ("requested", "confirmed")


def _callback_data(prefix: str, tail: str) -> str:
    return (prefix + tail).encode()[:64].decode(errors="ignore") or "x"


press = st.tuples(st.just("press"), st.integers(0, 30))
actions = st.one_of(
    press,
    press,
    press,
    st.tuples(
        st.just("data"),
        st.builds(
            _callback_data,
            st.sampled_from([*PREFIXES, ""]),
            st.one_of(st.integers(-5, 10**12).map(str), st.text(max_size=30)),
        ),
    ),
    st.tuples(st.just("text"), st.text(min_size=1, max_size=4096).filter(str.strip)),
    st.tuples(
        st.just("command"),
        st.sampled_from([*COMMANDS, *STAFF_COMMANDS, "nonsense", "start@clinic_test_bot"]).map(
            lambda name: f"/{name}"
        ),
    ),
    st.tuples(st.just("sticker"), st.none()),
    st.tuples(st.just("photo"), st.one_of(st.none(), st.text(min_size=1, max_size=1024))),
    st.tuples(st.just("contact"), st.from_regex(r"\+?[0-9]{0,15}", fullmatch=True)),
    st.tuples(st.just("reply"), st.integers(0, 5)),
)

_patients = itertools.count(8_000_000)


async def _do(standin: StandIn, user: User, kind: str, value: Any) -> dict[str, Any] | None:
    if kind in ("press", "data", "reply"):
        shown = [m for m in standin.bot_messages(user.id) if m.keyboard]
        if kind == "reply":
            keyboard = [b["text"] for row in standin.reply_keyboards.get(user.id, []) for b in row]
            if not keyboard:
                return None
            return await standin.press_reply(user, keyboard[value % len(keyboard)])
        if not shown:
            return None
        screen = standin.screen(user.id)
        if kind == "data":
            return await standin.press_data(user, screen, value)
        labels = screen.buttons()
        return await standin.press(user, labels[value % len(labels)], screen)
    if kind in ("text", "command"):
        return await standin.send_text(user, value)
    if kind == "sticker":
        return await standin.send_sticker(user)
    if kind == "photo":
        return await standin.send_photo(user, caption=value)
    return await standin.send_contact(user, value)


def _replies(standin: StandIn, chat_id: int) -> int:
    return sum(
        1
        for method, params in standin.calls
        if method in ("sendMessage", "editMessageText", "sendDocument", "sendContact")
        and str(params.get("chat_id")) == str(chat_id)
    )


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(actions, min_size=1, max_size=25))
async def test_random_input_at_every_step(
    bot: RunningBot,
    standin: StandIn,
    caplog: pytest.LogCaptureFixture,
    steps: list[tuple[str, Any]],
) -> None:
    user = User(next(_patients), "Fuzz")
    logged = len(caplog.records)
    for kind, value in steps:
        replies = _replies(standin, user.id)
        update = await _do(standin, user, kind, value)
        if update is None:
            continue
        await standin.handled(update, timeout=30)
        if "callback_query" in update:
            query = update["callback_query"]["id"]
            assert query in standin.callback_answers, f"{kind} {value!r}: button left spinning"
        else:
            assert _replies(standin, user.id) > replies, f"{kind} {value!r}: no answer"
        problems = [
            record.getMessage()
            for record in caplog.records[logged:]
            if record.levelno >= logging.ERROR or record.getMessage().startswith("update failed")
        ]
        assert problems == [], f"after {kind} {value!r}"
    await _check_rows(bot, user)


async def _check_rows(bot: RunningBot, user: User) -> None:
    now = datetime.now(UTC)
    async with bot.database.transaction() as session:
        patient_id = await session.scalar(select(Patient.id).where(Patient.telegram_id == user.id))
        if patient_id is None:
            return  # only old or forged buttons before any message: nothing to keep
        upcoming = await session.scalar(
            select(func.count())
            .select_from(Appointment)
            .where(
                Appointment.patient_id == patient_id,
                Appointment.status.in_(ACTIVE),
                Appointment.starts_at > now,
            )
        )
        assert upcoming <= load_content().schedule.per_patient
        for appointment in await session.scalars(
            select(Appointment).where(Appointment.patient_id == patient_id)
        ):
            assert appointment.ends_at > appointment.starts_at
            assert appointment.phone is None or appointment.phone.startswith("+")
        active_plans = await session.scalar(
            select(func.count())
            .select_from(AftercarePlan)
            .where(AftercarePlan.patient_id == patient_id, AftercarePlan.status == "active")
        )
        assert active_plans <= 1
        answered = await session.scalars(
            select(PrescreenAnswer.question_key)
            .join(Prescreen, Prescreen.id == PrescreenAnswer.prescreen_id)
            .where(Prescreen.patient_id == patient_id)
        )
        assert set(answered) <= QUESTION_KEYS
        pending_to = set(
            await session.scalars(
                select(OutboxMessage.chat_id).where(
                    OutboxMessage.patient_id == patient_id, OutboxMessage.status == "pending"
                )
            )
        )
        assert pending_to <= {user.id, bot.application.bot_data["services"].staff_chat_id}
        states = await session.scalar(
            select(func.count()).select_from(FlowState).where(FlowState.patient_id == patient_id)
        )
        assert states <= 1
