"""The staff group's warning that the clinic's closed dates run out (services.closures
decides when): how it reads."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from clinic.content import Content
from handlers.notices import renders
from handlers.outgoing import Outgoing
from services.closures import KIND
from services.context import Services
from services.outbox import Due


@renders(KIND)
async def render_warning(
    session: AsyncSession, services: Services, due: Due, now: datetime, content: Content
) -> Outgoing | None:
    last = date.fromisoformat(due.payload["last"])
    return Outgoing(
        content.texts("staff.closures_running_out", day=content.dates(services.zone).day_year(last))
    )
