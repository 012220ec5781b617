"""Patients taking the whole pre-screen and booking a consultation, many at once.

One patient first walks the script alone, each step confirmed before the next, to
learn which Bot API calls each step makes. Then:

- closed loop: N patients at once, each acting as soon as their reply is complete;
  updates per second, and per step the time from the update leaving getUpdates to the
  step's last Bot API call (the patient then sees the whole answer);
- open loop: patients acting every `every` seconds on average (exponential gaps); a
  finished patient is replaced by a new one, so the offered load stays the same.

The same load runs against the bare bot in bench.ceiling with the calls learnt above.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.harness import percentiles
from bot.playground.botapi import StandIn, User
from clinic.content import PACKAGED_CONTENT, load_content

FIRST = object()  # the first button of the screen: the soonest day, the soonest time


def script() -> list[tuple[str, Any]]:
    """The steps: /start, the whole questionnaire (a good candidate), then a booking."""
    steps: list[tuple[str, Any]] = [
        ("text", "/start"),
        ("press", "✅ Am I a good candidate?"),
        ("press", "✅ I agree, let's start"),
    ]
    for question in load_content().fallback.questionnaire.questions:
        # No to each yes/no question; a middle answer on the skin-type ones.
        steps.append(("press", "No" if question.answers == ("Yes", "No") else question.answers[2]))
    steps += [
        ("press", "📅 Book a free consultation"),
        ("press", FIRST),
        ("press", FIRST),
        ("press", "✅ That's me"),
        ("contact", "+14165550123"),
        ("press", "✅ Confirm booking"),
    ]
    return steps


def roomy_content(folder: Path) -> Path:
    """The clinic's content with room for every simulated patient in each time slot,
    so each of them books the soonest time and all walk the same steps."""
    target = folder / "content"
    shutil.copytree(PACKAGED_CONTENT, target, dirs_exist_ok=True)
    schedule = target / "schedule.toml"
    schedule.write_text(schedule.read_text().replace("capacity = 1\n", "capacity = 100000\n"))
    return target


class Tracker:
    """Counts the calls that concern each chat and wakes the patient waiting on them."""

    def __init__(self, server: StandIn) -> None:
        self.counts: dict[int, int] = defaultdict(int)
        self.methods: dict[int, list[str]] = defaultdict(list)
        self.last_at: dict[int, float] = {}
        self._waiting: dict[int, tuple[int, asyncio.Event]] = {}
        server.on_call = self._on_call

    def _on_call(self, chat_id: int, method: str) -> None:
        self.counts[chat_id] += 1
        self.methods[chat_id].append(method)
        self.last_at[chat_id] = time.perf_counter()
        waiting = self._waiting.get(chat_id)
        if waiting is not None and self.counts[chat_id] >= waiting[0]:
            waiting[1].set()

    async def until(self, chat_id: int, count: int, timeout: float = 120) -> None:
        if self.counts[chat_id] >= count:
            return
        event = asyncio.Event()
        self._waiting[chat_id] = (count, event)
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            raise SystemExit(
                f"chat {chat_id}: {self.counts[chat_id]} calls after {timeout:.0f}s, "
                f"expected {count}"
            ) from None
        finally:
            self._waiting.pop(chat_id, None)


Act = Callable[[StandIn, User, tuple[str, Any]], Any]


async def act_on_bot(server: StandIn, user: User, step: tuple[str, Any]) -> dict[str, Any]:
    kind, value = step
    if kind == "text":
        return await server.send_text(user, value)
    if kind == "contact":
        return await server.send_contact(user, value)
    screen = server.screen(user.id)
    label = screen.buttons()[0] if value is FIRST else value
    return await server.press(user, label, screen)


async def act_on_ceiling(server: StandIn, user: User, step: tuple[str, Any]) -> dict[str, Any]:
    kind, value = step
    if kind == "text":
        return await server.send_text(user, value)
    if kind == "contact":
        return await server.send_contact(user, value)
    return await server.press_data(user, server.screen(user.id), "n")


async def learn_calls(
    server: StandIn,
    steps: list[tuple[str, Any]],
    act: Act | None = None,
    *,
    user_id: int = 9_000_000,
    quiet: float = 0.3,
) -> list[list[str]]:
    """One patient alone, each step confirmed before the next: the calls of each step.

    A step is over once the bot confirmed its update and no call for the chat came for
    `quiet` seconds (a bot that sends after the commit may confirm first). The stand-in
    answers at once meanwhile, whatever its `delay`.
    """
    tracker = Tracker(server)
    user = User(user_id, "Calibration")
    plan = []
    delay, server.delay = server.delay, 0.0
    try:
        for step in steps:
            before = len(tracker.methods[user.id])
            update = await (act or act_on_bot)(server, user, step)
            await server.handled(update, timeout=60)
            seen = -1
            while len(tracker.methods[user.id]) != seen:
                seen = len(tracker.methods[user.id])
                await asyncio.sleep(quiet)
            plan.append(tracker.methods[user.id][before:])
    finally:
        server.delay = delay
        server.on_call = None
    return plan


@dataclass
class Load:
    updates: int = 0
    seconds: float = 0.0
    # From the update leaving getUpdates (or its first webhook post) to the step's last
    # Bot API call; and from the patient's tap (the update queued at the stand-in).
    latencies_ms: list[float] = field(default_factory=list)
    from_tap_ms: list[float] = field(default_factory=list)
    calls: int = 0
    late: int = 0  # open loop: actions that had to wait for the previous reply
    # Open loop: taps during the warm-up (patients' first contacts, the pool filling),
    # from the tap; not in the figures above.
    warmup_ms: list[float] = field(default_factory=list)
    planned: int = 0  # closed loop: the taps the script has for all patients
    update_ids: set[int] = field(default_factory=set)

    @property
    def rate(self) -> float:
        return self.updates / self.seconds if self.seconds else 0.0

    @property
    def capped(self) -> bool:
        """The closed loop stopped at its time limit before every tap was made."""
        return bool(self.planned) and self.updates < self.planned

    def percentiles(self) -> tuple[float, float, float]:
        return percentiles(self.latencies_ms)

    def tap_percentiles(self) -> tuple[float, float, float]:
        return percentiles(self.from_tap_ms)


async def _step(
    server: StandIn,
    tracker: Tracker,
    load: Load,
    act: Act,
    user: User,
    step: tuple[str, Any],
    calls: int,
    *,
    warming_up: bool = False,
) -> None:
    target = tracker.counts[user.id] + calls
    update = await act(server, user, step)
    await tracker.until(user.id, target)
    update_id = update["update_id"]
    done = tracker.last_at[user.id]
    if warming_up:
        load.warmup_ms.append((done - server.queued_at[update_id]) * 1000)
        return
    load.latencies_ms.append((done - server.delivered_at[update_id]) * 1000)
    load.from_tap_ms.append((done - server.queued_at[update_id]) * 1000)
    load.update_ids.add(update_id)
    load.updates += 1
    load.calls += calls


async def closed_loop(
    server: StandIn,
    act: Act,
    steps: list[tuple[str, Any]],
    plan: list[list[str]],
    patients: int,
    first_id: int,
    *,
    max_seconds: float | None = None,
    script_for: Callable[[int], list[tuple[str, Any]]] | None = None,
    think: float = 0.0,
) -> Load:
    """Every patient walks the whole script, acting as soon as each reply is complete
    (or `think` seconds after it: reading the answer before the next tap).

    With `max_seconds`, no patient starts a step after that many seconds (the steps
    under way finish): a slow bot is measured on what it did by then. `script_for`
    gives patient n their own steps (the same calls per step as `steps`)."""
    tracker = Tracker(server)
    load = Load(planned=patients * len(steps))

    started = time.perf_counter()
    stop_at = started + max_seconds if max_seconds else float("inf")

    async def patient(number: int) -> None:
        user = User(first_id + number, f"Patient{number}")
        own = script_for(number) if script_for is not None else steps
        for number, (step, calls) in enumerate(zip(own, plan, strict=True)):
            if think and number:
                await asyncio.sleep(think)
            if time.perf_counter() >= stop_at:
                return
            await _step(server, tracker, load, act, user, step, len(calls))

    await asyncio.gather(*(patient(number) for number in range(patients)))
    load.seconds = time.perf_counter() - started
    server.on_call = None
    return load


async def open_loop(
    server: StandIn,
    act: Act,
    steps: list[tuple[str, Any]],
    plan: list[list[str]],
    patients: int,
    first_id: int,
    *,
    every: float,
    duration: float,
    warmup: float = 0.0,
    seed: int = 7,
    script_for: Callable[[int], list[tuple[str, Any]]] | None = None,
) -> Load:
    """`patients` at a time, each acting every `every` s on average, for `duration` s
    after `warmup` s, whose taps are kept apart (Load.warmup_ms)."""
    tracker = Tracker(server)
    load = Load()
    rng = random.Random(seed)
    started = time.perf_counter()
    measured_from = started + warmup
    stop_at = measured_from + duration
    next_id = iter(range(first_id, first_id + 10_000_000))

    async def seat(number: int) -> None:
        at = started + rng.uniform(0, every)
        while True:
            user_id = next(next_id)
            user = User(user_id, f"Patient{number}")
            own = script_for(user_id - first_id) if script_for is not None else steps
            for step, calls in zip(own, plan, strict=True):
                now = time.perf_counter()
                # A slow bot leaves patients behind their schedule: none starts a tap
                # after the end either.
                if at >= stop_at or now >= stop_at:
                    return
                warming_up = max(at, now) < measured_from
                if at > now:
                    await asyncio.sleep(at - now)
                elif not warming_up:
                    load.late += 1
                await _step(
                    server, tracker, load, act, user, step, len(calls), warming_up=warming_up
                )
                at += rng.expovariate(1 / every)

    await asyncio.gather(*(seat(number) for number in range(patients)))
    load.seconds = time.perf_counter() - measured_from
    server.on_call = None
    return load
