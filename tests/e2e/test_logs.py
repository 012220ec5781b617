"""Logs carry ids and event names, never what a patient wrote or was told."""

from __future__ import annotations

import logging

import pytest

from bot.logs import configure_logging
from tests.botapi.server import User
from tests.conftest import RunningBot


async def test_no_message_text_in_any_log_line(
    bot: RunningBot, ana: User, caplog: pytest.LogCaptureFixture
) -> None:
    configure_logging("DEBUG")  # as `LOG_LEVEL=DEBUG clinic-bot run` would
    # basicConfig(force=True) removed pytest's handler; levels stay as the bot set them.
    logging.getLogger().addHandler(caplog.handler)
    secret = "I took isotretinoin last month"
    await bot.standin.handled(await bot.standin.send_text(ana, secret))
    await bot.standin.handled(await bot.standin.send_photo(ana, caption=secret))
    await bot.standin.handled(await bot.standin.press(ana, "📞 Contact the clinic"))

    lines = [record.getMessage() for record in caplog.records]
    assert any("update done" in line for line in lines)
    for forbidden in (secret, "isotretinoin", "I work best with the buttons", "Call us"):
        assert not [line for line in lines if forbidden in line]
