"""Periodic clean-up run by the JobQueue."""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram.ext import CallbackContext

from db.messages import purge_before
from db.outbox import forget_finished
from db.updates import forget_processed_updates
from handlers.context import Services

log = logging.getLogger(__name__)

# Telegram keeps unconfirmed updates for 24 hours; a week leaves room for a long outage.
KEEP_UPDATE_IDS = timedelta(days=7)
# Sent and cancelled outbox rows are kept a while to answer "did it go out?"; the
# message log keeps what the patient was sent for longer.
KEEP_FINISHED_OUTBOX = timedelta(days=30)


async def housekeeping(context: CallbackContext) -> None:  # type: ignore[type-arg]
    """Forgets old update ids and outbox rows, and messages past MESSAGE_LOG_RETENTION_DAYS."""
    services: Services = context.bot_data["services"]
    now = services.clock()
    async with services.database.transaction() as session:
        updates = await forget_processed_updates(session, before=now - KEEP_UPDATE_IDS)
        rows = await forget_finished(session, before=now - KEEP_FINISHED_OUTBOX)
        messages = await purge_before(session, before=now - services.keep_messages)
    log.info("housekeeping update_ids=%s outbox_rows=%s messages=%s", updates, rows, messages)
