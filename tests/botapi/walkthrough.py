"""Runs `python -m bot run` against the stand-in and prints what a patient sees.

    python -m tests.botapi.walkthrough

Starts the stand-in Bot API server, launches the bot as a separate process on a fresh
SQLite file, times five /start replies (update queued to reply received), walks the
main menu and the FAQ, and prints each screen with its buttons: a quick way to read
the bot as a patient would, and a check that every request met the specification.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tests.botapi.server import TOKEN, StandIn, User

WALK = [
    "ℹ️ About the treatment",
    "Who should avoid it?",
    "« Other questions",
    "Recovery: CO2 vs erbium",
    "🏠 Main menu",
    "📅 Book a free consultation",
    "🏠 Main menu",
    "📞 Contact the clinic",
]


async def main() -> int:
    standin = StandIn()
    await standin.start()
    folder = Path(tempfile.mkdtemp(prefix="clinic-walk-"))
    env = dict(
        os.environ,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=standin.base_url,
        DATABASE_URL=f"sqlite+aiosqlite:///{folder / 'clinic.db'}",
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
                await standin.handled(await standin.press(patient, label))
                screen = standin.screen(patient.id)
                print(f"\n[{label}]\n{screen.text}\n  buttons: {screen.buttons()}")
        finally:
            bot.terminate()
            await bot.wait()
            await standin.close()
    print("\nspecification violations:", standin.violations or "none")
    return 1 if standin.violations else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
