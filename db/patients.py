"""Patients: who wrote to the bot, and whether Telegram still lets us reach them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.dialect import upsert_insert
from db.models import Appointment, Patient


async def upsert_patient(
    session: AsyncSession,
    *,
    telegram_id: int,
    first_name: str,
    last_name: str | None,
    username: str | None,
    language_code: str | None,
    now: datetime,
    language: str | None = None,
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
        language=language,
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


async def language_of(session: AsyncSession, *, patient_id: int) -> tuple[str | None, str | None]:
    """The patient's chosen language and Telegram's language_code ((None, None): gone)."""
    row = (
        await session.execute(
            select(Patient.language, Patient.language_code).where(Patient.id == patient_id)
        )
    ).first()
    return (None, None) if row is None else (row.language, row.language_code)


async def set_language(session: AsyncSession, *, patient_id: int, language: str) -> None:
    await session.execute(update(Patient).where(Patient.id == patient_id).values(language=language))


async def reachability(session: AsyncSession, *, telegram_id: int) -> tuple[int, bool] | None:
    """The patient with this Telegram id and whether the bot can reach them; None: unknown."""
    row = (
        await session.execute(
            select(Patient.id, Patient.reachable).where(Patient.telegram_id == telegram_id)
        )
    ).first()
    return None if row is None else (int(row.id), bool(row.reachable))


async def mark_reachable(session: AsyncSession, *, patient_id: int, reachable: bool) -> None:
    await session.execute(
        update(Patient).where(Patient.id == patient_id).values(reachable=reachable)
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


async def find_chat(session: AsyncSession, *, patient_id: int) -> int | None:
    """The patient's private chat, or None if they had their data deleted."""
    return await session.scalar(select(Patient.telegram_id).where(Patient.id == patient_id))


@dataclass(frozen=True)
class Contact:
    telegram_id: int
    name: str
    phone: str | None  # E.164


async def contact(session: AsyncSession, *, patient_id: int) -> Contact:
    """How staff reach a patient: their newest booking's name and phone, else Telegram's."""
    patient = await session.get(Patient, patient_id)
    assert patient is not None
    booked = (
        await session.execute(
            select(Appointment.name, Appointment.phone)
            .where(Appointment.patient_id == patient_id)
            .order_by(Appointment.created_at.desc(), Appointment.id.desc())
            .limit(1)
        )
    ).first()
    telegram_name = " ".join(filter(None, (patient.first_name, patient.last_name)))
    return Contact(
        telegram_id=patient.telegram_id,
        name=booked.name if booked else telegram_name,
        phone=patient.phone or (booked.phone if booked else None),
    )


@dataclass(frozen=True)
class Found:
    """A patient matching a staff search."""

    id: int
    telegram_id: int
    name: str
    username: str | None
    phone: str | None  # E.164: the saved one, else the newest booking's


async def search(
    session: AsyncSession, *, words: str | None = None, phone: str | None = None, limit: int
) -> list[Found]:
    """Patients whose Telegram name, username or booked name contains `words`, or who gave
    `phone` (E.164) at a booking; newest first."""
    booked = select(Appointment.patient_id)
    if phone is not None:
        match = (Patient.phone == phone) | Patient.id.in_(booked.where(Appointment.phone == phone))
    else:
        assert words is not None
        # What staff typed, as it is: `_` (common in usernames) and `%` are no wildcards.
        literal = words.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{literal}%"
        full_name = func.lower(Patient.first_name + " " + func.coalesce(Patient.last_name, ""))
        match = (
            full_name.like(like, escape="\\")
            | func.lower(func.coalesce(Patient.username, "")).like(like, escape="\\")
            | Patient.id.in_(booked.where(func.lower(Appointment.name).like(like, escape="\\")))
        )
    rows = await session.scalars(
        select(Patient).where(match).order_by(Patient.created_at.desc()).limit(limit)
    )
    found = []
    for row in rows:
        known = await contact(session, patient_id=row.id)
        found.append(Found(row.id, row.telegram_id, known.name, row.username, known.phone))
    return found
