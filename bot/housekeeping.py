"""Periodic clean-up run by the JobQueue."""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram.ext import CallbackContext

from db.updates import forget_processed_updates
from handlers.context import Services

log = logging.getLogger(__name__)

# Telegram keeps unconfirmed updates for 24 hours; a week leaves room for a long outage.
KEEP_UPDATE_IDS = timedelta(days=7)


async def forget_old_update_ids(context: CallbackContext) -> None:  # type: ignore[type-arg]
    services: Services = context.bot_data["services"]
    async with services.database.transaction() as session:
        removed = await forget_processed_updates(session, before=services.clock() - KEEP_UPDATE_IDS)
    log.info("forgot processed update ids count=%s", removed)
