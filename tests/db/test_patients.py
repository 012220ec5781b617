"""db.patients: who wrote to the bot, how to reach them, and the staff's search."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from db import patients
from db.engine import Database
from db.models import Patient
from tests.db.support import NOW, add_appointment, add_patient


async def test_first_contact_from_two_processes_makes_one_patient(database: Database) -> None:
    ids = await asyncio.gather(*(add_patient(database) for _ in range(5)))
    assert len(set(ids)) == 1
    async with database.transaction() as session:
        assert len((await session.scalars(select(Patient))).all()) == 1


async def test_first_contact_and_later_names(database: Database) -> None:
    async with database.transaction() as session:
        first = await patients.upsert_patient(
            session,
            telegram_id=77,
            first_name="Ana",
            last_name=None,
            username=None,
            language_code="en",
            now=NOW,
        )
        await patients.mark_reachable(session, patient_id=first, reachable=False)
    async with database.transaction() as session:
        again = await patients.upsert_patient(
            session,
            telegram_id=77,
            first_name="Ana María",
            last_name="Silva",
            username="anam",
            language_code="es",
            now=NOW + timedelta(days=1),
        )
        row = await session.get_one(Patient, first)
        assert again == first
        assert (
            row.first_name,
            row.last_name,
            row.username,
            row.language_code,
            row.reachable,
            row.created_at,
        ) == ("Ana María", "Silva", "anam", "es", True, NOW)


async def test_reachability(database: Database) -> None:
    patient_id = await add_patient(database, telegram_id=42)
    async with database.transaction() as session:
        assert await patients.reachability(session, telegram_id=42) == (patient_id, True)
        assert await patients.reachability(session, telegram_id=43) is None
        await patients.mark_reachable(session, patient_id=patient_id, reachable=False)
    async with database.transaction() as session:
        assert await patients.reachability(session, telegram_id=42) == (patient_id, False)
        await patients.mark_reachable(session, patient_id=patient_id, reachable=True)
    async with database.transaction() as session:
        assert await patients.reachability(session, telegram_id=42) == (patient_id, True)


async def test_phone_is_saved_for_next_time(database: Database) -> None:
    patient_id = await add_patient(database)
    async with database.transaction() as session:
        assert await patients.saved_phone(session, patient_id=patient_id) is None
        await patients.save_phone(session, patient_id=patient_id, phone="+14165550100")
    async with database.transaction() as session:
        assert await patients.saved_phone(session, patient_id=patient_id) == "+14165550100"
        assert (await session.get_one(Patient, patient_id)).phone == "+14165550100"


async def test_a_patients_chat_is_their_telegram_id(database: Database) -> None:
    patient_id = await add_patient(database, telegram_id=5551001)
    async with database.transaction() as session:
        assert await patients.chat_of(session, patient_id=patient_id) == 5551001
        assert await patients.find_chat(session, patient_id=patient_id) == 5551001
        assert await patients.find_chat(session, patient_id=patient_id + 1) is None


async def test_contact_is_the_newest_bookings_name_else_telegrams(database: Database) -> None:
    patient_id = await add_patient(database)
    async with database.transaction() as session:
        assert await patients.contact(session, patient_id=patient_id) == patients.Contact(
            42, "Ana", None
        )
    await add_appointment(
        database, patient_id=patient_id, starts_at=NOW, name="Ana S", phone="+14165550100"
    )
    await add_appointment(
        database,
        patient_id=patient_id,
        starts_at=NOW - timedelta(days=3),
        name="Ana Silva",
        phone="+14165550199",
        created_at=NOW + timedelta(minutes=1),
    )
    async with database.transaction() as session:
        assert await patients.contact(session, patient_id=patient_id) == patients.Contact(
            42, "Ana Silva", "+14165550199"
        )
        # A phone the patient saved comes before the booking's.
        await patients.save_phone(session, patient_id=patient_id, phone="+14165550111")
    async with database.transaction() as session:
        assert await patients.contact(session, patient_id=patient_id) == patients.Contact(
            42, "Ana Silva", "+14165550111"
        )


async def test_search_by_names_username_and_phone(database: Database) -> None:
    ana = await add_patient(database, telegram_id=1, first_name="Ana")
    ben = await add_patient(database, telegram_id=2, first_name="Ben")
    cleo = await add_patient(database, telegram_id=3, first_name="Cleo")
    async with database.transaction() as session:
        (await session.get_one(Patient, ben)).username = "Benny_50"
        (await session.get_one(Patient, ben)).created_at = NOW + timedelta(minutes=30)
        (await session.get_one(Patient, cleo)).created_at = NOW + timedelta(hours=1)
    await add_appointment(
        database, patient_id=cleo, starts_at=NOW, name="Cleo Anders", phone="+14165550103"
    )
    async with database.transaction() as session:

        async def ids(**query: str) -> list[int]:
            return [found.id for found in await patients.search(session, limit=10, **query)]

        # Newest first; the booked name counts as well as Telegram's.
        assert await ids(words="AN") == [cleo, ana]
        assert await ids(words="benny") == [ben]
        # What staff type is matched as it is: `_` and `%` are no wildcards.
        assert await ids(words="y_5") == [ben]
        assert await ids(words="y%5") == []
        assert await ids(words="a_a") == []
        assert await ids(words="%") == []
        assert await ids(phone="+14165550103") == [cleo]
        assert await ids(phone="+14165550999") == []
        found = await patients.search(session, words="cleo", limit=1)
        assert found == [patients.Found(cleo, 3, "Cleo Anders", None, "+14165550103")]
