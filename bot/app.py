"""Building the python-telegram-bot Application with the clinic's handlers and services."""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, ExtBot
from telegram.request import HTTPXRequest

from bot.dispatcher import Dispatcher
from bot.housekeeping import housekeeping
from bot.processor import TransactionalUpdateProcessor
from bot.settings import Settings
from clinic.clock import Clock, utc_now
from clinic.content import load_content
from db import chat_migrations
from db.engine import Database
from handlers import publish_commands, register
from handlers.context import ClinicContext, Services, StaffChat
from handlers.notices import RENDERERS

log = logging.getLogger(__name__)

# Telegram asks bots to retry after a 429; the limiter waits `retry_after` this often.
RATE_LIMIT_RETRIES = 3
# How often the outbox is checked for due messages (updates that queue one wake it too).
OUTBOX_TICK = timedelta(seconds=5)


def build_application(
    settings: Settings,
    *,
    clock: Clock = utc_now,
    outbox_tick: timedelta = OUTBOX_TICK,
) -> Application:  # type: ignore[type-arg]
    """The real bot: handlers, database, scheduler; started by the runner or by tests."""
    staff_chat_id = settings.clinic.staff_chat_id
    services = Services(
        content=load_content(settings.clinic.clinic_content_dir),
        database=Database(settings.database.url),
        clock=clock,
        zone=settings.clinic.zone,
        staff_chat=StaffChat(staff_chat_id),
        # Without a staff group nobody could confirm, so bookings confirm at once.
        staff_confirm=settings.clinic.booking_confirmation == "staff" and staff_chat_id is not None,
        keep_messages=timedelta(days=settings.clinic.message_log_retention_days),
    )
    bot = ExtBot(
        token=settings.telegram.telegram_bot_token.get_secret_value(),
        base_url=settings.telegram.telegram_api_base_url,
        # No Defaults(parse_mode=...): python-telegram-bot would then send parse_mode to
        # methods that have none (sendContact). handlers.replies passes it where it belongs.
        request=HTTPXRequest(connection_pool_size=64),
        get_updates_request=HTTPXRequest(),
        rate_limiter=_rate_limiter(settings.telegram.telegram_messages_per_second),
    )
    dispatcher = Dispatcher(bot, services, RENDERERS)
    application = (
        ApplicationBuilder()
        .bot(bot)
        .updater(None)  # bot.poller confirms updates only after they are committed
        .concurrent_updates(
            TransactionalUpdateProcessor(services.database, clock, on_outbox=dispatcher.wake)
        )
        .context_types(ContextTypes(context=ClinicContext))
        .build()
    )
    application.bot_data["services"] = services
    application.bot_data["dispatcher"] = dispatcher
    register(application)
    assert application.job_queue is not None
    application.job_queue.run_repeating(dispatcher.tick, interval=outbox_tick, first=0)
    application.job_queue.run_repeating(
        housekeeping, interval=timedelta(hours=1), first=timedelta(minutes=1)
    )
    return application


def _rate_limiter(messages_per_second: float) -> AIORateLimiter:
    """One message every 1/rate seconds, without bursts: the limiter's default bucket
    lets a full second's worth out at once after a quiet spell, which Telegram counts
    as over the limit and answers with a 429 that halts every send for a second."""
    if not messages_per_second:
        return AIORateLimiter(overall_max_rate=0, max_retries=RATE_LIMIT_RETRIES)
    return AIORateLimiter(
        overall_max_rate=1,
        overall_time_period=1 / messages_per_second,
        max_retries=RATE_LIMIT_RETRIES,
    )


async def start_application(application: Application) -> None:  # type: ignore[type-arg]
    """Connects to Telegram (getMe), publishes the command menu, starts the scheduler."""
    services: Services = application.bot_data["services"]
    await application.initialize()
    configured = services.staff_chat.id
    if configured is None:
        log.warning(
            "STAFF_CHAT_ID is not set: staff notifications are off, bookings confirm at once"
        )
    else:
        async with services.database.transaction() as session:
            services.staff_chat.id = await chat_migrations.current_id(session, chat_id=configured)
        if services.staff_chat.id != configured:
            log.warning(
                "STAFF_CHAT_ID names a group that became a supergroup; posting to chat_id=%s, "
                "set STAFF_CHAT_ID=%s",
                services.staff_chat.id,
                services.staff_chat.id,
            )
    await publish_commands(application.bot, services.content, services.staff_chat.id)
    await application.start()


async def stop_application(application: Application) -> None:  # type: ignore[type-arg]
    """Stops the scheduler, waits for running handlers, closes connections."""
    services: Services = application.bot_data["services"]
    dispatcher: Dispatcher = application.bot_data["dispatcher"]
    if application.running:
        await application.stop()
    await dispatcher.close()
    await application.shutdown()
    await services.database.dispose()
