"""Telegram handlers, one module per flow; `register` wires them in order."""

from __future__ import annotations

from telegram import Bot, BotCommand
from telegram.ext import Application

from clinic.content import Content
from handlers import (
    aftercare,
    agenda,
    booking,
    fallback,
    info,
    menu,
    my_appointments,
    prescreen,
    privacy,
    reachability,
    staff,
)

# Shown in Telegram's command menu, described by the [commands] texts.
COMMANDS = (
    "start",
    "prescreen",
    "book",
    "appointments",
    "aftercare",
    "stop",
    "contact",
    "mydata",
    "forget",
    "help",
)


def register(application: Application) -> None:  # type: ignore[type-arg]
    menu.register(application)
    info.register(application)
    prescreen.register(application)
    booking.register(application)
    my_appointments.register(application)
    aftercare.register(application)
    staff.register(application)
    agenda.register(application)
    privacy.register(application)
    reachability.register(application)
    # Last: catches whatever no flow above claimed.
    fallback.register(application)


async def publish_commands(bot: Bot, content: Content) -> None:
    """Registers the command menu that Telegram shows next to the message box."""
    await bot.set_my_commands(
        [BotCommand(name, content.texts(f"commands.{name}")) for name in COMMANDS]
    )
