"""Telegram handlers, one module per flow; `register` wires them in order."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import BadRequest

from clinic.content import ClinicContent, Content
from handlers import (
    aftercare,
    agenda,
    booking,
    closures,  # noqa: F401  (only a renderer: imported to register it)
    fallback,
    followup,
    info,
    language,
    menu,
    my_appointments,
    prescreen,
    privacy,
    reachability,
    staff,
    steps,
    treatment,
    triage,
    waitlist,
    welcome_back,
)
from handlers.context import ClinicApp

log = logging.getLogger(__name__)

# Shown in Telegram's command menu, described by the [commands] texts.
COMMANDS = (
    "start",
    "prescreen",
    "book",
    "appointments",
    "aftercare",
    "stop",
    "followup",
    "contact",
    "mydata",
    "forget",
    "language",
    "help",
)
# The staff group's menu, described by the [staff_commands] texts.
STAFF_COMMANDS = ("today", "tomorrow", "week", "patient", "export", "help")


def register(application: ClinicApp) -> None:
    fallback.register_guard(application)
    welcome_back.register(application)
    menu.register(application)
    language.register(application)
    info.register(application)
    prescreen.register(application)
    booking.register(application)
    treatment.register(application)
    my_appointments.register(application)
    waitlist.register(application)
    aftercare.register(application)
    followup.register(application)
    staff.register(application)
    agenda.register(application)
    privacy.register(application)
    reachability.register(application)
    triage.register(application)
    # Typed input for the step waiting for it; then whatever no flow above claimed.
    steps.register(application)
    fallback.register(application)


async def publish_commands(
    bot: Bot, content: ClinicContent, staff_language: str, staff_chat_id: int | None
) -> None:
    """Registers the command menus Telegram shows next to the message box: the patients'
    everywhere, in each language for those whose Telegram speaks it (the fallback
    language for everyone else), and the staff's in the staff group only."""

    def menu(spoken: Content) -> list[BotCommand]:
        return [BotCommand(name, spoken.texts(f"commands.{name}")) for name in COMMANDS]

    for code, spoken in content.languages.items():
        await bot.set_my_commands(menu(spoken), language_code=code)
    # The default menu last: once it is there, every patient's menu is.
    await bot.set_my_commands(menu(content.fallback))
    staff = content.speaking(staff_language)
    if staff_chat_id is None:
        return
    try:
        await bot.set_my_commands(
            [BotCommand(name, staff.texts(f"staff_commands.{name}")) for name in STAFF_COMMANDS],
            scope=BotCommandScopeChat(staff_chat_id),
        )
    except BadRequest as exc:
        # A staff group the bot is not in yet must not keep patients from being served.
        log.error("could not set the staff group's command menu error=%s", exc.message)
