"""FAQ browsing: patients tapping through "About the treatment", many at once.

Each patient sends /start, then taps the FAQ buttons as a curious patient would: the
menu's "About the treatment", a topic, "Other questions", another topic, "Other
questions", a third topic, "Main menu", and round again, for a fixed number of taps.
Each patient starts at their own topic; every tap makes the same Bot API calls (answer
the button, edit the message), so one calibration walk gives the calls of each step,
for our bot and for the bare bot of bench.ceiling alike.

The measures of a run: updates per second, the time per tap (from the update leaving
getUpdates, or its first webhook post, to the step's last Bot API call; and from the
tap itself), the bot process's CPU per update, and, where the bot logs them, its SQL
statements per update.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.conversation import Act, Load, act_on_bot, closed_loop, learn_calls, open_loop
from bench.harness import BotProcess, statements_per_update
from bot.playground.botapi import StandIn
from clinic.content import load_content

Step = tuple[str, Any]
# A round after /start: the menu's FAQ button, then topics with Back between them.
TOPICS_PER_ROUND = 3


def script(taps: int, first_topic: int = 0) -> list[Step]:
    """/start, then `taps - 1` FAQ button presses, starting at topic `first_topic`."""
    content = load_content().fallback
    about = content.texts("menu.about")
    back = content.texts("faq.back")
    menu = content.texts("menu.back_to_menu")
    topics = [topic.button for topic in content.faq.topics]
    steps: list[Step] = [("text", "/start")]
    topic = first_topic
    while len(steps) < taps:
        steps.append(("press", about))
        for number in range(TOPICS_PER_ROUND):
            steps.append(("press", topics[topic % len(topics)]))
            topic += 1
            steps.append(("press", back if number < TOPICS_PER_ROUND - 1 else menu))
    return steps[:taps]


def scripts(taps: int) -> Callable[[int], list[Step]]:
    """Patient n's own script: the same taps, from topic n on."""
    return lambda number: script(taps, first_topic=number)


async def learn(server: StandIn, taps: int, act: Act = act_on_bot) -> list[list[str]]:
    """The Bot API calls of each step, from one patient walking the script alone."""
    plan = await learn_calls(server, script(taps), act)
    if not all(plan):
        raise SystemExit(f"a FAQ step made no Bot API call: {plan}")
    return plan


@dataclass
class Run:
    """One closed or open loop against one bot process."""

    load: Load
    cpu_ms_per_update: float | None = None  # the bot process's CPU, user + system
    statements: float | None = None  # SQL statements per update, from the bot's log
    handler_ms: float | None = None  # median `update done ms=` the bot logged

    @property
    def rate(self) -> float:
        return self.load.rate


async def measure(
    server: StandIn,
    bot: BotProcess | None,
    plan: list[list[str]],
    *,
    patients: int,
    taps: int,
    first_id: int,
    act: Act = act_on_bot,
    delay: float | None = None,
    max_seconds: float | None = None,
    open_every: float | None = None,
    open_duration: float = 45.0,
    open_warmup: float = 0.0,
    think: float = 0.0,
) -> Run:
    """A closed loop (or with `open_every`, an open loop) of FAQ browsing on a running
    bot; the stand-in's round trip is set to `delay` first."""
    if delay is not None:
        server.delay = delay
    cpu_before = bot.cpu_seconds() if bot is not None else 0.0
    log_from = bot.log_size() if bot is not None else 0
    steps = script(taps)
    if open_every is None:
        load = await closed_loop(
            server,
            act,
            steps,
            plan,
            patients,
            first_id,
            max_seconds=max_seconds,
            script_for=scripts(taps),
            think=think,
        )
    else:
        load = await open_loop(
            server,
            act,
            steps,
            plan,
            patients,
            first_id,
            every=open_every,
            duration=open_duration,
            warmup=open_warmup,
            script_for=scripts(taps),
        )
    run = Run(load)
    if bot is not None and load.updates:
        run.cpu_ms_per_update = (bot.cpu_seconds() - cpu_before) * 1000 / load.updates
        lines = [line for line in bot.update_lines(log_from) if line.update_id in load.update_ids]
        run.statements = statements_per_update(lines, load.update_ids)
        if lines:
            run.handler_ms = statistics.median(line.ms for line in lines)
    return run
