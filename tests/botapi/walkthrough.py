"""Runs `python -m bot run` against the stand-in and prints what a patient sees.

    python -m tests.botapi.walkthrough

Starts the stand-in Bot API server, launches the bot as a separate process on a fresh
SQLite file, times five /start replies (update queued to reply received), walks the
main menu and the FAQ, books the first free time and confirms it as staff, records a
treatment, opts in to aftercare and reports a warning sign, and prints each screen
with its buttons: a quick way to read the bot as a patient and the staff
group would, and a check that every request met the specification.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bot.playground.botapi import TOKEN, StandIn, User

STAFF = -1001234567890
FIRST = "<the first button>"
SHARE = "📱 Share my number"
WALK = [
    "ℹ️ About the treatment",
    "Who should avoid it?",
    "« Other questions",
    "Recovery: CO2 vs erbium",
    "🏠 Main menu",
    "📞 Contact the clinic",
    "🏠 Main menu",
    "📅 Book a free consultation",
    FIRST,  # day
    FIRST,  # time
    "✅ That's me",
    SHARE,
    "Skip",
    "✅ Confirm booking",
]


async def main() -> int:
    standin = StandIn()
    # The staff member who confirms below administers the staff group.
    standin.default_administrators = [User(78, "Maria", "Lopez")]
    await standin.start()
    folder = Path(tempfile.mkdtemp(prefix="clinic-walk-"))
    env = dict(
        os.environ,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=standin.base_url,
        DATABASE_URL=f"sqlite+aiosqlite:///{folder / 'clinic.db'}",
        STAFF_CHAT_ID=str(STAFF),
    )
    with (folder / "bot.log").open("wb") as log:
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=folder, env=env, stdout=log, stderr=log
        )
        try:
            await standin.wait_for(lambda: bool(standin.commands), 30, "the bot to start")
            patient = User(77, "Ana")
            timings = []
            for _ in range(5):
                sent = len(standin.bot_messages(patient.id))
                started = time.perf_counter()
                update = await standin.send_text(patient, "/start")
                await standin.wait_for(lambda n=sent: len(standin.bot_messages(patient.id)) > n)
                timings.append((time.perf_counter() - started) * 1000)
                await standin.handled(update)
            print(
                "/start reply, ms:",
                ", ".join(f"{t:.1f}" for t in timings),
                f"(median {statistics.median(timings):.1f})",
            )
            print(f"\n[/start]\n{standin.screen(patient.id).text}")
            for label in WALK:
                if label == SHARE:
                    await standin.handled(await standin.press_reply(patient, label))
                    print(f"\n[{label}]\n{standin.last_texts(patient.id, 2)[0]}")
                else:
                    if label == FIRST:
                        label = standin.screen(patient.id).buttons()[0]
                    await standin.handled(await standin.press(patient, label))
                latest = max(standin.bot_messages(patient.id), key=lambda m: m.touched)
                print(f"\n[{label}]\n{latest.text}\n  buttons: {latest.buttons()}")
            await standin.wait_for(lambda: bool(standin.bot_messages(STAFF)), 10, "a staff card")
            print(f"\n[staff group]\n{standin.screen(STAFF).text}")
            print(f"  buttons: {standin.screen(STAFF).buttons()}")
            staff = User(78, "Maria", "Lopez")
            await standin.handled(await standin.press(staff, "✅ Confirm", standin.screen(STAFF)))
            print(f"\n[staff group, after ✅ Confirm]\n{standin.bot_messages(STAFF)[0].text}")
            await standin.wait_for(
                lambda: any(m.document for m in standin.bot_messages(patient.id)), 10, "the .ics"
            )
            for message in standin.bot_messages(patient.id)[-2:]:
                name = message.document["file_name"] if message.document else ""
                print(
                    f"\n[patient receives] {name}\n{message.text}\n  buttons: {message.buttons()}"
                )
            await aftercare(standin, patient, staff)
        finally:
            bot.terminate()
            await bot.wait()
            await standin.close()
    print("\nspecification violations:", standin.violations or "none")
    return 1 if standin.violations else 0


AFTERCARE = [
    "✅ Tell me more",
    "✅ Yes, send them",
    "9:00\u202fa.m. (suggested)",
    "/aftercare",
    "📋 Today's care",
    "😟 Something worries me",
    "🌡 Fever over 38 °C (100.4 °F)",
]


async def aftercare(standin: StandIn, patient: User, staff: User) -> None:
    """Staff record a treatment on the card; the patient opts in and reports a sign."""
    card = standin.bot_messages(STAFF)[0]
    for label in ("🩹 Record treatment", "CO2 laser", "Today"):
        await standin.handled(await standin.press(staff, label, card))
        card = standin.bot_messages(STAFF)[0]
        print(f"\n[staff group, {label}]\n{card.text}\n  buttons: {card.buttons()}")
    await standin.wait_for(lambda: "Tell me more" in str(standin.screen(patient.id).buttons()))
    print(f"\n[patient receives]\n{standin.screen(patient.id).text}")
    for label in AFTERCARE:
        if label.startswith("/"):
            await standin.handled(await standin.send_text(patient, label))
        else:
            await standin.handled(await standin.press(patient, label))
        latest = max(standin.bot_messages(patient.id), key=lambda m: m.touched)
        print(f"\n[{label}]\n{latest.text}\n  buttons: {latest.buttons()}")
    await standin.wait_for(lambda: len(standin.bot_messages(STAFF)) > 1, 10, "the alert")
    print(f"\n[staff group]\n{standin.bot_messages(STAFF)[-1].text}")


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
