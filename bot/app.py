"""Building the python-telegram-bot Application with the clinic's handlers and services."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import cast

from telegram.ext import ApplicationBuilder, ContextTypes

from bot.dispatcher import Dispatcher
from bot.housekeeping import housekeeping
from bot.http import AiohttpRequest
from bot.lanes import LaneLimiter
from bot.poller import UpdatesBot
from bot.processor import TransactionalUpdateProcessor
from bot.results import Recorder
from bot.sender import Sender
from bot.settings import Settings
from bot.staff_admins import TICK, fetch_admins, refresh_admins
from clinic.clock import Clock, utc_now
from clinic.content import load_content
from db import chat_migrations, outbox
from db.engine import Database
from db.liveness import Liveness
from handlers import publish_commands, register
from handlers.context import ClinicApp, ClinicContext
from handlers.notices import RENDERERS
from services.context import Services, StaffChat, StaffRoster

log = logging.getLogger(__name__)

# How often the outbox is checked for due messages (updates that queue one wake it too).
OUTBOX_TICK = timedelta(seconds=5)
# Connections to the Bot API for sending; long polling has its own.
CONNECTIONS = 64


def build_application(
    settings: Settings,
    *,
    clock: Clock = utc_now,
    outbox_tick: timedelta = OUTBOX_TICK,
    http: type[AiohttpRequest] = AiohttpRequest,
) -> ClinicApp:
    """The real bot: handlers, database, scheduler; started by the runner or by tests
    (which pass their own `http`, one that checks no call starts inside a transaction)."""
    staff_chat_id = settings.clinic.staff_chat_id
    services = Services(
        content=load_content(settings.clinic.clinic_content_dir),
        database=Database(settings.database.url),
        clock=clock,
        zone=settings.clinic.zone,
        staff_chat=StaffChat(staff_chat_id),
        # Without a staff group nobody could confirm, so bookings confirm at once.
        staff_confirm=settings.clinic.booking_confirmation == "staff" and staff_chat_id is not None,
        retention=settings.clinic.retention,
        staff=StaffRoster(listed=settings.clinic.staff_user_ids),
        staff_language=settings.clinic.staff_language,
        followup_months=settings.clinic.followup_months,
        waitlist_hold=timedelta(minutes=settings.clinic.waitlist_hold_minutes),
    )
    rate = settings.telegram.telegram_messages_per_second
    limiter = LaneLimiter(rate)
    requests = (http(CONNECTIONS), http(1))
    bot = UpdatesBot(
        token=settings.telegram.telegram_bot_token.get_secret_value(),
        base_url=settings.telegram.telegram_api_base_url,
        # No Defaults(parse_mode=...): python-telegram-bot would then send parse_mode to
        # methods that have none (sendContact). bot.sender passes it where it belongs.
        request=requests[0],
        get_updates_request=requests[1],
        rate_limiter=limiter,
    )
    liveness = Liveness(services.database)
    recorder = Recorder(services, on_moved=lambda: dispatcher.wake())
    sender = Sender(bot, recorder, clock)
    dispatcher = Dispatcher(services, RENDERERS, sender, limiter, rate, liveness)
    # The builder types its job queue with the default context, not the one
    # context_types sets, and the bot as UpdatesBot: ClinicApp is what it builds.
    built = (
        ApplicationBuilder()
        .bot(bot)
        .updater(None)  # bot.poller confirms updates only after they are committed
        .concurrent_updates(
            TransactionalUpdateProcessor(
                services.database,
                clock,
                sender,
                liveness.key,
                services.content.choose,
                on_outbox=dispatcher.wake,
            )
        )
        .context_types(ContextTypes(context=ClinicContext))
        .build()
    )
    application = cast(ClinicApp, built)
    application.bot_data["services"] = services
    application.bot_data["dispatcher"] = dispatcher
    application.bot_data["sender"] = sender
    application.bot_data["recorder"] = recorder
    application.bot_data["requests"] = requests
    application.bot_data["liveness"] = liveness
    register(application)
    assert application.job_queue is not None
    application.job_queue.run_repeating(dispatcher.tick, interval=outbox_tick, first=0)
    application.job_queue.run_repeating(
        housekeeping, interval=timedelta(hours=1), first=timedelta(minutes=1)
    )
    if staff_chat_id is not None:
        application.job_queue.run_repeating(refresh_admins, interval=TICK, first=TICK)
    return application


async def start_application(application: ClinicApp) -> None:
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
    await application.bot_data["liveness"].hold()
    if services.database.is_sqlite:
        # SQLite serves one bot process: what an earlier run had claimed and not sent
        # (it was killed) can go now instead of when its claim runs out.
        async with services.database.transaction() as session:
            released = await outbox.release_claims(session)
        if released:
            log.info("outbox rows left claimed by an earlier run released count=%s", released)
    if services.staff_chat.id is not None:
        # Before the first update: who may act as staff (no transaction is open here).
        await fetch_admins(application.bot, services)
    await publish_commands(
        application.bot, services.content, services.staff_language, services.staff_chat.id
    )
    await application.start()


async def stop_application(application: ClinicApp) -> None:
    """Stops the scheduler, waits for running handlers, closes connections."""
    services: Services = application.bot_data["services"]
    dispatcher: Dispatcher = application.bot_data["dispatcher"]
    sender: Sender = application.bot_data["sender"]
    recorder: Recorder = application.bot_data["recorder"]
    if application.running:
        await application.stop()
    # Claim nothing more, send what was claimed, record what was sent.
    await dispatcher.close()
    await sender.idle()
    await recorder.close()
    await application.bot_data["liveness"].release()
    await application.shutdown()
    # python-telegram-bot closes its HTTP sessions only if it started: not when getMe
    # failed at start.
    for request in application.bot_data["requests"]:
        await request.shutdown()
    await services.database.dispose()
