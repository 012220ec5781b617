"""The clinic's closed dates running out: the staff group is warned once, ahead of time.

Closed dates (holidays) are data the clinic extends in schedule.toml. Past the last
date listed, the bot would offer consultations on every opening day, holidays
included; so, a month before (or, if bookings reach further ahead, that many days
before), the hourly clean-up posts one warning to the staff group. It is recorded with
the last date it is about, so it is given once per list: extending the list (and
restarting) arms it again for the new last date. handlers.closures renders it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from clinic.closures import warning_due
from clinic.when import local_date
from db import staff_warnings
from services.context import Services
from services.outbox import queue

log = logging.getLogger(__name__)

KIND = "closures_running_out"


async def warn_if_running_out(session: AsyncSession, services: Services, now: datetime) -> bool:
    """Queues the warning to the staff group the first time it is due; True if queued."""
    staff_chat_id = services.staff_chat_id
    schedule = services.content.schedule
    last = warning_due(schedule.closed, schedule.horizon_days, local_date(now, services.zone))
    if staff_chat_id is None or last is None:
        return False
    if not await staff_warnings.first_time(session, key=f"{KIND}:{last.isoformat()}", now=now):
        return False
    queue(
        session,
        kind=KIND,
        chat_id=staff_chat_id,
        due_at=now,
        now=now,
        payload={"last": last.isoformat()},
    )
    log.warning("the clinic's closed dates run out last=%s; staff warned", last.isoformat())
    return True
