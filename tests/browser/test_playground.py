"""`clinic-bot playground` in a real browser: headless Chromium books a consultation in
the patient pane, confirms it in the staff pane, and moves the clock for the reminder.

The playground runs as a separate process, as a visitor starts it; the browser is
Debian's `chromium` driven by Playwright (no browser is downloaded). Without chromium
the test is skipped, unless REQUIRE_BROWSER is set (CI installs it and sets it).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Where to keep the last screen (README's picture: PLAYGROUND_SCREENSHOT=docs/playground.png).
SCREENSHOT = os.environ.get("PLAYGROUND_SCREENSHOT")

if CHROMIUM is None:
    if os.environ.get("REQUIRE_BROWSER"):
        raise RuntimeError("REQUIRE_BROWSER is set but no chromium is installed")
    pytest.skip("no chromium on this machine (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Locator, Page, expect, sync_playwright  # noqa: E402


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def playground(tmp_path: Path) -> Iterator[str]:
    """`python -m bot playground` on a free port; its address."""
    port = _free_port()
    log = (tmp_path / "playground.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "playground", "--port", str(port), "--data", str(tmp_path)],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 60
        while "Playground: http" not in (tmp_path / "playground.log").read_text():
            assert process.poll() is None, (tmp_path / "playground.log").read_text()
            assert time.monotonic() < deadline, "the playground did not start in 60 s"
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
    assert process.returncode == 0, (tmp_path / "playground.log").read_text()
    assert "Traceback" not in (tmp_path / "playground.log").read_text()


@pytest.fixture
def page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 860})
        page.set_default_timeout(15_000)
        yield page
        browser.close()


def last_bot_message(pane: Locator) -> Locator:
    return pane.locator("li.message.bot").last


def tap(pane: Locator, label: str) -> None:
    """Taps the button with this label on the last message that shows it."""
    pane.locator("li.message.bot button", has_text=label).last.click()


def write(pane: Locator, text: str) -> None:
    pane.locator("[data-composer] input").fill(text)
    pane.locator("[data-composer] input").press("Enter")


def test_a_visitor_books_staff_confirm_and_the_reminder_comes_with_the_clock(
    playground: str, page: Page, tmp_path: Path
) -> None:
    page.goto(playground)
    patient, staff = page.locator('[data-pane="patient"]'), page.locator('[data-pane="staff"]')

    write(patient, "/start")
    expect(last_bot_message(patient)).to_contain_text("How can I help you today?")
    tap(patient, "📅 Book a free consultation")
    expect(last_bot_message(patient)).to_contain_text("Choose a day")
    last_bot_message(patient).locator("button").first.click()  # the first day with times
    expect(last_bot_message(patient)).to_contain_text("Choose a time")
    last_bot_message(patient).locator("button").first.click()
    tap(patient, "✅ That's me")
    patient.locator("[data-reply-keyboard] button", has_text="Share my number").click()
    tap(patient, "Skip")  # the pre-screen
    tap(patient, "✅ Confirm booking")
    expect(last_bot_message(patient)).to_contain_text("Request sent")

    expect(last_bot_message(staff)).to_contain_text("Consultation request")
    expect(last_bot_message(staff)).to_contain_text("Ana Silva")
    tap(staff, "✅ Confirm")
    expect(patient.locator("li.message.bot", has_text="is confirmed")).to_have_count(1)
    expect(patient.locator("a.document")).to_have_count(1)  # the calendar file
    expect(last_bot_message(staff)).to_contain_text("Confirmed by Maria")

    reminders = patient.locator("li.message.bot", has_text="Reminder:")
    page.locator('[data-clock="next_message"]').click()  # to the reminder's moment
    expect(reminders).to_have_count(1, timeout=10_000)  # the outbox is read every second
    expect(reminders.first).to_contain_text("your free consultation is")
    page.screenshot(path=SCREENSHOT or str(tmp_path / "playground.png"))

    # A second patient, in a chat of his own; Ana's is still there when switching back.
    page.locator("#add-patient").click()
    page.locator('#new-patient input[name="first_name"]').fill("Ben")
    page.locator("#new-patient button[type=submit]").click()
    expect(patient.locator("[data-title]")).to_have_text("Ben")
    expect(patient.locator("li.message")).to_have_count(0)
    write(patient, "/start")
    expect(last_bot_message(patient)).to_contain_text("Hi Ben!")
    page.locator("#patient").select_option(label="Ana Silva (en)")
    expect(patient.locator("li.message.bot", has_text="Reminder:")).to_have_count(1)
