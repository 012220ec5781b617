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
) -> int:
    """Returns the patient's id, created on first contact, with the names Telegram sends now.

    One statement per update on both backends; concurrent first contacts of the same
    person (two processes) still make one row.
    """
    insert = upsert_insert(session, Patient).values(
        telegram_id=telegram_id,
        first_name=first_name,
        last_name=last_name,
        username=username,
        language_code=language_code,
        reachable=True,
        created_at=now,
    )
    statement = insert.on_conflict_do_update(
        index_elements=["telegram_id"],
        set_={
            "first_name": insert.excluded.first_name,
            "last_name": insert.excluded.last_name,
            "username": insert.excluded.username,
            "language_code": insert.excluded.language_code,
            # Someone who writes to us can be reached again, even if they had blocked us.
            "reachable": True,
        },
    ).returning(Patient.id)
    return int((await session.execute(statement)).scalar_one())


async def set_reachable(session: AsyncSession, *, telegram_id: int, reachable: bool) -> None:
    await session.execute(
        update(Patient).where(Patient.telegram_id == telegram_id).values(reachable=reachable)
    )


async def saved_phone(session: AsyncSession, *, patient_id: int) -> str | None:
    """The number the patient gave last time, offered again at the next booking."""
    phone = await session.scalar(select(Patient.phone).where(Patient.id == patient_id))
    return phone


async def save_phone(session: AsyncSession, *, patient_id: int, phone: str) -> None:
    await session.execute(update(Patient).where(Patient.id == patient_id).values(phone=phone))


async def chat_of(session: AsyncSession, *, patient_id: int) -> int:
    """The patient's private chat with the bot, whose id is their Telegram user id."""
    return int(
        (
            await session.execute(select(Patient.telegram_id).where(Patient.id == patient_id))
        ).scalar_one()
    )
