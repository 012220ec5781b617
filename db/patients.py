"""Patients: who wrote to the bot, and whether Telegram still lets us reach them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.dialect import upsert_insert
from db.models import Patient


async def upsert_patient(
    session: AsyncSession,
    *,
    telegram_id: int,
    first_name: str,
    last_name: str | None,
    username: str | None,
    language_code: str | None,
    now: datetime,
) -> Patient:
    """Returns the patient, created on first contact, with the names Telegram sends now."""
    await session.execute(
        upsert_insert(session, Patient)
        .values(
            telegram_id=telegram_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
            reachable=True,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["telegram_id"])
    )
    patient = (
        await session.execute(select(Patient).where(Patient.telegram_id == telegram_id))
    ).scalar_one()
    # Someone who writes to us can be reached again, even if they had blocked the bot.
    patient.first_name = first_name
    patient.last_name = last_name
    patient.username = username
    patient.language_code = language_code
    patient.reachable = True
    return patient


async def set_reachable(session: AsyncSession, *, telegram_id: int, reachable: bool) -> None:
    await session.execute(
        update(Patient).where(Patient.telegram_id == telegram_id).values(reachable=reachable)
    )
