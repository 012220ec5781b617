"""Fuzz: two patients and a staff member doing random things, with time and Telegram
misbehaving around them.

Each example is two new patients and the clinic's staff group. The actions: pressing a
button the screen shows (the commonest, so the sequences walk deep into the
pre-screen, booking, appointments, aftercare and privacy flows), a whole booking at
once, random text, commands, stickers, photos and contacts, editing an earlier message,
forged button data, replaying any button the bot ever showed (from the patient's own
chat, the other patient's and the staff group), staff pressing their cards and typing
their commands, blocking and unblocking the bot, the clock moving on (reminders and
nudges fall due), and Telegram failing the next calls (502, 429).

After every update: no error logged, a button press answered, a patient's message
answered with a message. After every example, over the whole database: the
invariants below (`_check_database`).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.playground.botapi import ChatMessage, StandIn, User
from clinic.content import load_content
from db.models import (
    AftercarePlan,
    Appointment,
    FlowState,
    MessageLog,
    OutboxMessage,
    Patient,
    Prescreen,
    PrescreenAnswer,
    ProcessedUpdate,
)
from db.outbox import REPLY
from handlers import (
    COMMANDS,
    STAFF_COMMANDS,
    aftercare,
    booking,
    callbacks,
    info,
    my_appointments,
    prescreen,
)
from handlers.aftercare.common import Step as AftercareStep
from tests.conftest import FakeClock, RunningBot
from tests.e2e.test_booking import STAFF

# CI runs the default; FUZZ_EXAMPLES=200 for a long local run.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
# FUZZ_RANDOM=1: new examples on each run, and a failure shrunk to its simplest.
EXPLORING = bool(os.environ.get("FUZZ_RANDOM"))
PREFIXES = sorted(
    value for name, value in vars(callbacks).items() if name.isupper() and isinstance(value, str)
)
CONTENT = load_content().fallback
QUESTION_KEYS = {question.key for question in CONTENT.questionnaire.questions}
ACTIVE = ("requested", "confirmed")
MARIA = User(7001, "Maria", "Lopez")  # a member of the staff group
# Every flow and the steps it may be on: the flow modules' own constants.
STEPS: dict[str, set[str]] = {
    module.FLOW: {
        value for name, value in vars(module).items() if name.isupper() and isinstance(value, str)
    }
    for module in (aftercare, booking, info, my_appointments, prescreen)
}
STEPS[info.FLOW] |= {topic.key for topic in CONTENT.faq.topics}
# The aftercare set-up names its steps in an enum.
STEPS[aftercare.FLOW] |= {str(step) for step in AftercareStep}
# Flow data naming a row: the row must exist and be the patient's own.
ROW_KEYS = {
    "appointment": Appointment,
    "reschedule": Appointment,
    "plan": AftercarePlan,
    "run": Prescreen,
}


def _callback_data(prefix: str, tail: str) -> str:
    return (prefix + tail).encode()[:64].decode(errors="ignore") or "x"


who = st.integers(0, 1)  # which of the two patients
press = st.tuples(st.just("press"), st.tuples(who, st.integers(0, 30)))
actions = st.one_of(
    press,
    press,
    press,
    press,
    st.tuples(st.just("book"), st.tuples(who, st.integers(0, 5))),
    st.tuples(
        st.just("data"),
        st.tuples(
            st.integers(0, 2),  # 2: the staff member, in the group
            st.builds(
                _callback_data,
                st.sampled_from([*PREFIXES, ""]),
                st.one_of(st.integers(-5, 10**12).map(str), st.text(max_size=30)),
            ),
        ),
    ),
    st.tuples(st.just("replay"), st.tuples(st.integers(0, 2), st.integers(0, 10**6))),
    st.tuples(st.just("staff_press"), st.integers(0, 30)),
    st.tuples(st.just("staff_press"), st.integers(0, 30)),
    st.tuples(
        st.just("staff_text"),
        st.one_of(
            st.sampled_from([*STAFF_COMMANDS, *COMMANDS]).map(lambda name: f"/{name}"),
            st.sampled_from(["/patient Fuzz", "/export audit", "/export"]),
            st.text(min_size=1, max_size=200).filter(str.strip),
        ),
    ),
    st.tuples(
        st.just("text"), st.tuples(who, st.text(min_size=1, max_size=4096).filter(str.strip))
    ),
    st.tuples(
        st.just("command"),
        st.tuples(
            who,
            st.sampled_from([*COMMANDS, *STAFF_COMMANDS, "nonsense", "start@clinic_test_bot"]).map(
                lambda name: f"/{name}"
            ),
        ),
    ),
    st.tuples(
        st.just("edit"),
        st.tuples(
            who,
            st.integers(0, 100),
            st.one_of(
                st.sampled_from([*COMMANDS, "start"]).map(lambda name: f"/{name}"),
                st.text(min_size=1, max_size=200).filter(str.strip),
            ),
        ),
    ),
    st.tuples(st.just("sticker"), st.tuples(who, st.none())),
    st.tuples(st.just("photo"), st.tuples(who, st.one_of(st.none(), st.text(max_size=200)))),
    st.tuples(st.just("contact"), st.tuples(who, st.from_regex(r"\+?[0-9]{0,15}", fullmatch=True))),
    st.tuples(st.just("reply"), st.tuples(who, st.integers(0, 5))),
    st.tuples(st.just("block"), who),
    st.tuples(st.just("clock"), st.sampled_from([0.5, 2, 13, 25, 24 * 8])),
    st.tuples(
        st.just("fault"),
        st.tuples(
            st.sampled_from(["sendMessage", "editMessageText"]),
            st.sampled_from([502, 429]),
            st.integers(1, 2),
        ),
    ),
)

_patients = itertools.count(8_000_000)


@dataclass
class World:
    """One example's actors and what they did."""

    standin: StandIn
    clock: FakeClock
    patients: tuple[User, User]
    sent: dict[int, list[dict[str, Any]]] = field(default_factory=dict)

    def shown_data(self) -> list[str]:
        """Every button's data the bot ever showed, in any chat, in a stable order."""
        chats = [*self.patients, MARIA]
        found: list[str] = []
        for chat_id in [user.id for user in chats[:2]] + [STAFF]:
            for message in self.standin.bot_messages(chat_id):
                for row in message.keyboard:
                    found.extend(b["callback_data"] for b in row if "callback_data" in b)
        return found


async def _booking(world: World, user: User, choice: int) -> list[dict[str, Any]]:
    """A whole booking, through to the confirmation: the flow's end, not just its start.
    Stops early where a screen has not the expected button (the patient has one
    booked already, the pre-screen is asked, ...); what was sent is checked as usual."""
    standin = world.standin
    updates = [await standin.send_text(user, "/book")]
    await standin.handled(*updates, timeout=30)
    for pick in ("day", "time", "✅ That's me", "share", "Skip", "✅ Confirm booking"):
        if pick == "share":
            keyboard = [b["text"] for row in standin.reply_keyboards.get(user.id, []) for b in row]
            if "📱 Share my number" not in keyboard:
                break
            update = await standin.press_reply(user, "📱 Share my number")
            updates.append(update)
            await standin.handled(update, timeout=30)
            continue
        if not any(m.keyboard for m in standin.bot_messages(user.id)):
            break
        screen = standin.screen(user.id)
        buttons = screen.buttons()
        if pick in ("day", "time"):
            choices = [b for b in buttons if any(ch.isdigit() for ch in b)]
            if not choices:
                break
            update = await standin.press(user, choices[choice % len(choices)], screen)
        elif pick in buttons:
            update = await standin.press(user, pick, screen)
        else:
            break
        updates.append(update)
        await standin.handled(update, timeout=30)
    return updates


async def _do(world: World, kind: str, value: Any) -> list[tuple[dict[str, Any], User]]:
    """Does one action; returns the updates it made and who sent each."""
    standin = world.standin
    if kind == "clock":
        world.clock.advance(hours=value)
        return []
    if kind == "fault":
        method, status, times = value
        standin.fail(method, status, times=times, retry_after=1 if status == 429 else None)
        return []
    if kind == "block":
        user = world.patients[value]
        return [(await standin.block(user, blocked=user.id not in standin.blocked), user)]
    if kind in ("staff_press", "staff_text"):
        if kind == "staff_text":
            return [(await standin.send_group_text(MARIA, STAFF, value), MARIA)]
        cards = [m for m in standin.bot_messages(STAFF) if m.keyboard]
        if not cards:
            return []
        card = cards[value % len(cards)]
        labels = card.buttons()
        return [(await standin.press(MARIA, labels[value % len(labels)], card), MARIA)]
    if kind in ("data", "replay"):
        actor, what = value
        if kind == "replay":
            shown = world.shown_data()
            if not shown:
                return []
            what = shown[what % len(shown)]
        if actor == 2:
            user, chat_id = MARIA, STAFF
        else:
            user = world.patients[actor]
            chat_id = user.id
            if user.id in standin.blocked:
                return []  # a patient who blocked the bot cannot press its buttons
        on: list[ChatMessage] = [m for m in standin.bot_messages(chat_id) if m.keyboard]
        if not on:
            return []
        return [(await standin.press_data(user, on[-1], what), user)]
    number, detail = value[0], value[1:]
    user = world.patients[number]
    if user.id in standin.blocked:
        return []  # Telegram does not let a user who blocked the bot write to it
    if kind == "book":
        return [(update, user) for update in await _booking(world, user, detail[0])]
    if kind == "press":
        if not any(m.keyboard for m in standin.bot_messages(user.id)):
            return []
        screen = standin.screen(user.id)
        labels = screen.buttons()
        return [(await standin.press(user, labels[detail[0] % len(labels)], screen), user)]
    if kind == "reply":
        keyboard = [b["text"] for row in standin.reply_keyboards.get(user.id, []) for b in row]
        if not keyboard:
            return []
        return [(await standin.press_reply(user, keyboard[detail[0] % len(keyboard)]), user)]
    if kind == "edit":
        earlier = [u for u in world.sent.get(user.id, []) if "text" in u["message"]]
        if not earlier:
            return []
        index, text = detail
        return [(await standin.edit_text(user, earlier[index % len(earlier)], text), user)]
    if kind in ("text", "command"):
        update = await standin.send_text(user, detail[0])
    elif kind == "sticker":
        update = await standin.send_sticker(user)
    elif kind == "photo":
        update = await standin.send_photo(user, caption=detail[0] or None)
    else:
        update = await standin.send_contact(user, detail[0])
    world.sent.setdefault(user.id, []).append(update)
    return [(update, user)]


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
    # The same examples on every run (CI is not a lottery); FUZZ_RANDOM=1 explores.
    derandomize=not EXPLORING,
    database=None,
    # Shrinking a failure replays it again and again (minutes): only when exploring.
    phases=[
        Phase.explicit,
        Phase.generate,
        *([Phase.shrink] if os.environ.get("FUZZ_RANDOM") else []),
    ],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(actions, min_size=10, max_size=60))
async def test_random_input_at_every_step(
    clinic: RunningBot,
    standin: StandIn,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    steps: list[tuple[str, Any]],
) -> None:
    world = World(
        standin, clock, (User(next(_patients), "Fuzz"), User(next(_patients), "Fuzzy", "Two"))
    )
    for kind, value in steps:
        logged = len(caplog.records)
        before = {user.id: _replies(standin, user.id) for user in world.patients}
        made = await _do(world, kind, value)
        if not made:
            continue
        event(f"did {kind}")  # --hypothesis-show-statistics shows what the runs reached
        await standin.handled(*(update for update, _ in made), timeout=30)
        for update, user in made:
            if "callback_query" in update:
                query = update["callback_query"]["id"]
                assert query in standin.callback_answers, f"{kind} {value!r}: button left spinning"
            elif "message" in update and user in world.patients and kind != "book":
                # Telegram failing a reply three times puts it (and the chat's later
                # replies, in order) back in the outbox, due later: kept, not lost.
                answered = _replies(standin, user.id) > before[user.id]
                assert answered or await _deferred(clinic, user.id), f"{kind} {value!r}: no answer"
        problems = [
            record.getMessage()
            for record in caplog.records[logged:]
            if record.levelno >= logging.ERROR or record.getMessage().startswith("update failed")
        ]
        assert problems == [], f"after {kind} {value!r}"
    # Telegram is well again and time passes: every reply held back goes out.
    standin.clear_faults()
    for _ in range(20):
        if not any([await _deferred(clinic, user.id) for user in world.patients]):
            break
        clock.advance(minutes=5)
        await _pause()
    for user in world.patients:
        assert not await _deferred(clinic, user.id) or user.id in standin.blocked
    await _check_database(clinic, world)


async def _pause() -> None:
    await asyncio.sleep(0.3)  # the dispatcher's tick (0.05 s) sends what fell due


async def _deferred(bot: RunningBot, chat_id: int) -> int:
    """Replies to this chat waiting in the outbox (Telegram failed them)."""
    async with bot.database.transaction() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.chat_id == chat_id,
                OutboxMessage.kind == REPLY,
                OutboxMessage.status == "pending",
            )
        )
    return int(count or 0)


async def _check_database(bot: RunningBot, world: World) -> None:
    """What must hold whatever was done, over every row (earlier examples' too)."""
    standin = bot.standin
    now = datetime.now(UTC)
    async with bot.database.transaction() as session:
        patients = {row.id: row for row in await session.scalars(select(Patient))}
        chats = {patient.telegram_id: patient.id for patient in patients.values()}
        mine = {chats[user.id] for user in world.patients if user.id in chats}
        # The staff member only ever acted in the group: never a patient there.
        assert MARIA.id not in chats, "a staff member's group action made them a patient"
        appointments = list(await session.scalars(select(Appointment)))
        active = [a for a in appointments if a.status in ACTIVE]
        for appointment in appointments:
            assert appointment.patient_id in patients
            assert appointment.ends_at > appointment.starts_at
            assert appointment.phone is None or appointment.phone.startswith("+")
        # At most `capacity` (1) active appointments over any moment.
        for first, second in itertools.combinations(active, 2):
            overlap = first.starts_at < second.ends_at and second.starts_at < first.ends_at
            assert not overlap, f"appointments {first.id} and {second.id} share a slot"
        for patient_id in patients:
            upcoming = [a for a in active if a.patient_id == patient_id and a.starts_at > now]
            assert len(upcoming) <= CONTENT.schedule.per_patient
        plans = list(await session.scalars(select(AftercarePlan)))
        for patient_id in patients:
            live = [p for p in plans if p.patient_id == patient_id and p.status == "active"]
            assert len(live) <= 1
        answered = await session.scalars(select(PrescreenAnswer.question_key))
        assert set(answered) <= QUESTION_KEYS
        runs = {run.id: run.patient_id for run in await session.scalars(select(Prescreen))}
        # Every pending message goes to its patient's own chat or to the staff group.
        for row in await session.scalars(
            select(OutboxMessage).where(OutboxMessage.status == "pending")
        ):
            if row.patient_id is None:
                assert row.chat_id == STAFF, f"outbox {row.id} to {row.chat_id}"
            else:
                own = patients[row.patient_id].telegram_id
                assert row.chat_id in (own, STAFF), f"outbox {row.id} to another chat"
        # Flow states name a real flow and step, and rows that exist and are the patient's.
        owners = {
            Appointment: {a.id: a.patient_id for a in appointments},
            AftercarePlan: {p.id: p.patient_id for p in plans},
            Prescreen: runs,
        }
        for state in await session.scalars(select(FlowState)):
            if state.flow is None:
                continue
            assert state.flow in STEPS, f"unknown flow {state.flow!r}"
            assert state.step in STEPS[state.flow], f"{state.flow} at unknown {state.step!r}"
            for key, model in ROW_KEYS.items():
                if (row_id := (state.data or {}).get(key)) is not None:
                    owner = owners[model].get(int(row_id))
                    assert owner == state.patient_id, f"{state.flow} names {key} {row_id}"
        # No update both confirmed to Telegram and left unhandled, none handled twice.
        unhandled = set(
            await session.scalars(
                select(ProcessedUpdate.update_id).where(ProcessedUpdate.handled_at.is_(None))
            )
        )
        assert [u for u in unhandled if standin.confirmed(u)] == []
        twice = (
            await session.execute(
                select(MessageLog.update_id)
                .where(MessageLog.direction == "in", MessageLog.update_id.is_not(None))
                .group_by(MessageLog.update_id)
                .having(func.count() > 1)
            )
        ).all()
        assert twice == [], "an update logged twice"
        for status in {a.status for a in appointments if a.patient_id in mine}:
            event(f"an appointment {status}")
        for plan in plans:
            if plan.patient_id in mine:
                event(f"an aftercare plan {plan.status}")
        done = await session.scalars(
            select(Prescreen.outcome).where(
                Prescreen.patient_id.in_(mine), Prescreen.outcome.is_not(None)
            )
        )
        for outcome in set(done):
            event(f"a pre-screen ended {outcome}")
    # The staff group never shows a patient's screen (the main menu and its buttons);
    # /patient may quote what a patient was told, as text.
    book = CONTENT.texts("menu.book")
    assert not any(book in m.buttons() for m in standin.bot_messages(STAFF))
