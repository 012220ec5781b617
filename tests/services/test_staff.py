"""The staff group's use cases against a real database: following the group's move,
the agenda, exports and patient look-ups with their audit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from clinic.statuses import AppointmentStatus
from db import chat_migrations
from db.engine import Database
from db.models import Audit, OutboxMessage
from services import notify, staff
from services.staff import Actor
from tests.services.test_appointments import NOW, booked, patient

ZONE = ZoneInfo("America/Toronto")
NINA = Actor(7, "Nina")


@dataclass
class Chat:
    id: int | None


@dataclass
class Roster:
    stale: bool = False


async def test_following_the_group_readdresses_what_is_pending(database: Database) -> None:
    ana = await patient(database)
    appointment_id = await booked(database, ana, status=AppointmentStatus.REQUESTED)
    async with database.transaction() as session:
        notify.to_staff(
            session,
            kind=notify.STAFF_CARD,
            appointment_id=appointment_id,
            staff_chat_id=-1,
            now=NOW,
        )
    chat, roster = Chat(-1), Roster()
    async with database.transaction() as session:
        await staff.follow_move(
            session, staff_chat=chat, roster=roster, old_chat_id=-1, new_chat_id=-100, now=NOW
        )
    assert chat.id == -100 and roster.stale
    async with database.transaction() as session:
        assert await chat_migrations.current_id(session, chat_id=-1) == -100
        chats = set(await session.scalars(select(OutboxMessage.chat_id)))
    assert chats == {-100}


async def test_another_groups_move_is_recorded_but_not_followed(database: Database) -> None:
    chat, roster = Chat(-5), Roster()
    async with database.transaction() as session:
        await staff.follow_move(
            session, staff_chat=chat, roster=roster, old_chat_id=-1, new_chat_id=-100, now=NOW
        )
    assert chat.id == -5 and not roster.stale


async def test_the_agenda_lists_held_and_kept_times_of_its_days(database: Database) -> None:
    ana = await patient(database)
    first = NOW.astimezone(ZONE).date()
    held = await booked(database, ana, starts_at=NOW + timedelta(hours=2))
    await booked(database, ana, starts_at=NOW + timedelta(days=3))  # another day
    async with database.transaction() as session:
        today = await staff.agenda(session, first=first, days=1, zone=ZONE)
        week = await staff.agenda(session, first=first, days=7, zone=ZONE)
    assert [appointment.id for appointment in today] == [held]
    assert len(week) == 2


async def test_exports_and_look_ups_are_audited(database: Database) -> None:
    ana = await patient(database)
    appointment_id = await booked(database, ana)
    first = NOW.astimezone(ZONE).date()
    async with database.transaction() as session:
        exported = await staff.export_appointments(
            session, NINA, first=first, last=first + timedelta(days=6), zone=ZONE, now=NOW
        )
        found = await staff.find_patients(
            session,
            NINA,
            phone=None,
            words="Ana",
            limit=3,
            appointments_shown=5,
            messages_shown=5,
            now=NOW,
        )
        audit = await staff.export_audit(session, NINA, first=first, last=first, zone=ZONE, now=NOW)
    assert [(appointment.id, summary) for appointment, summary in exported] == [
        (appointment_id, None)
    ]
    assert [file.patient.id for file in found.shown] == [ana] and not found.more
    assert [file.appointments[0].id for file in found.shown] == [appointment_id]
    # The audit export shows itself too.
    assert [row.action for row in audit] == ["export.appointments", "patient.view", "export.audit"]
    async with database.transaction() as session:
        rows = (await session.scalars(select(Audit).order_by(Audit.id))).all()
    assert [(row.user_name, row.target_id) for row in rows] == [
        ("Nina", None),
        ("Nina", ana),
        ("Nina", None),
    ]
    assert rows[0].detail == f"{first.isoformat()} {date.fromordinal(first.toordinal() + 6)}"
