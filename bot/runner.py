"""Starting and stopping the bot: schema check, long polling, signals."""

from __future__ import annotations

import asyncio
import logging
import signal

from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.error import InvalidToken, NetworkError

from bot.app import build_application, start_application, stop_application
from bot.poller import Poller
from bot.settings import Settings, WebhookSettings
from bot.webhook import WebhookServer
from db.engine import Database
from db.schema import schema_status, upgrade_to_head
from handlers.context import ClinicApp
from services.context import Services

log = logging.getLogger(__name__)

# Updates Telegram may post at once; each holds a database transaction while handled.
WEBHOOK_CONNECTIONS = 40


class StartupError(Exception):
    """The bot cannot start; the message is the one line to print."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


async def prepare_schema(database: Database) -> None:
    """SQLite is brought up to date in place; PostgreSQL must be migrated on purpose.

    On a shared production database an operator runs `clinic-bot migrate` (and takes a
    backup first); a bot that silently altered it at start could surprise a second
    process still running the old code.
    """
    try:
        if database.is_sqlite:
            await upgrade_to_head(database.engine)
            return
        status = await schema_status(database.engine)
    except (OSError, SQLAlchemyError) as exc:
        raise StartupError(f"DATABASE_URL: cannot open the database: {_first_line(exc)}") from None
    if not status.up_to_date:
        raise StartupError(
            f"DATABASE_URL: the database schema is at revision {status.current or 'none'} but "
            f"this version needs {status.head}: run `clinic-bot migrate` first",
            exit_code=2,
        )


async def serve(settings: Settings, webhook: WebhookSettings | None = None) -> None:
    """Runs the bot until SIGINT or SIGTERM: long polling, or a webhook if configured."""
    application = build_application(settings)
    services: Services = application.bot_data["services"]
    try:
        await prepare_schema(services.database)
    except StartupError:
        await services.database.dispose()
        raise
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    try:
        await start_application(application)
        if webhook is None:
            poller = Poller(application)
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, poller.stop)
            # A webhook left over from another deployment would make polling fail.
            await application.bot.delete_webhook()
            log.info("bot started mode=polling username=%s", application.bot.username)
            await poller.run()
        else:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stopping.set)
            await _serve_webhook(application, webhook, stopping)
    except InvalidToken:
        raise StartupError(
            "TELEGRAM_BOT_TOKEN was refused by Telegram: copy it again from @BotFather",
            exit_code=2,
        ) from None
    except NetworkError as exc:
        raise StartupError(
            f"TELEGRAM_API_BASE_URL: cannot reach the Bot API: {_first_line(exc)}"
        ) from None
    finally:
        await stop_application(application)
    log.info("bot stopped")


async def _serve_webhook(
    application: ClinicApp,
    settings: WebhookSettings,
    stopping: asyncio.Event,
) -> None:
    """Listens first, then tells Telegram where to post; on stop, stops listening.

    The webhook stays registered while the bot is down: Telegram keeps the updates
    and posts them again once it answers.
    """
    server = WebhookServer(application, settings)
    try:
        await server.start()
    except OSError as exc:
        raise StartupError(
            f"WEBHOOK_PORT: cannot listen on {settings.webhook_listen}:{settings.webhook_port}: "
            f"{_first_line(exc)}"
        ) from None
    try:
        await application.bot.set_webhook(
            url=settings.webhook_url,
            secret_token=settings.webhook_secret_token.get_secret_value(),
            allowed_updates=Update.ALL_TYPES,
            max_connections=WEBHOOK_CONNECTIONS,
        )
        log.info("bot started mode=webhook username=%s", application.bot.username)
        await stopping.wait()
    finally:
        await server.stop()
