"""Periodic clean-up run by the JobQueue: personal data past its retention period."""

from __future__ import annotations

import logging

from db.retention import BATCH, plan
from handlers.context import ClinicContext
from services.closures import warn_if_running_out
from services.context import Services
from services.waitlist import end_passed

log = logging.getLogger(__name__)


async def housekeeping(context: ClinicContext) -> None:
    """Deletes what is older than its *_RETENTION_DAYS setting (db.retention), each
    kind in short transactions of at most BATCH rows; warns the staff group once when
    the clinic's closed dates are about to run out (services.closures)."""
    services: Services = context.bot_data["services"]
    now = services.clock()
    deleted = {}
    for name, purge, before in plan(services.retention, now):
        total = 0
        while True:
            async with services.database.transaction() as session:
                count = await purge(session, before=before, limit=BATCH)
            total += count
            if count < BATCH:
                break
        deleted[name] = total
    log.info("housekeeping %s", " ".join(f"{name}={count}" for name, count in deleted.items()))
    async with services.database.transaction() as session:
        # Waitlist entries whose last day went by (reads skip them already).
        deleted["waitlist_ended"] = await end_passed(session, now=now, zone=services.zone)
    async with services.database.transaction() as session:
        warned = await warn_if_running_out(session, services, now)
    if warned:
        context.bot_data["dispatcher"].wake()
