"""What the db tests share: a fixed instant and rows to build on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from db.engine import Database
from db.models import Appointment
from db.patients import upsert_patient

NOW = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 01:30 in Toronto, the hour that repeats


async def add_patient(database: Database, telegram_id: int = 42, first_name: str = "Ana") -> int:
    async with database.transaction() as session:
        return await upsert_patient(
            session,
            telegram_id=telegram_id,
            first_name=first_name,
            last_name=None,
            username=None,
            language_code="en",
            now=NOW,
        )


async def add_appointment(
    database: Database,
    *,
    patient_id: int | None,
    starts_at: datetime,
    status: str = "confirmed",
    name: str | None = "Ana Silva",
    phone: str | None = "+14165550100",
    seat: int = 0,
    created_at: datetime = NOW,
) -> int:
    async with database.transaction() as session:
        row = Appointment(
            patient_id=patient_id,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=30),
            seat=seat,
            status=status,
            name=name,
            phone=phone,
            created_at=created_at,
            updated_at=created_at,
        )
        session.add(row)
        await session.flush()
        return row.id
