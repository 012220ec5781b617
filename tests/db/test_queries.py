"""Query functions against a real database: instants, claims, patients, flows."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select, update

from clinic.conversation import Flow
from clinic.schedule import Booked, Schedule, Unavailable, free_slots, why_unavailable
from db.appointments import booked_between
from db.engine import Database
from db.flow_states import Visitor, open_conversation, save_flow
from db.models import ACTIVE_STATUSES, Appointment, Patient, ProcessedUpdate
from db.patients import upsert_patient
from db.updates import claim_update, forget_processed_updates

NOW = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 01:30 in Toronto, the hour that repeats


async def add_patient(database: Database, telegram_id: int = 42) -> int:
    async with database.transaction() as session:
        return await upsert_patient(
            session,
            telegram_id=telegram_id,
            first_name="Ana",
            last_name=None,
            username=None,
            language_code="en",
            now=NOW,
        )


async def test_instants_come_back_aware_and_equal(database: Database) -> None:
    toronto = NOW.astimezone(ZoneInfo("America/Toronto"))
    async with database.transaction() as session:
        session.add(ProcessedUpdate(update_id=1, processed_at=toronto))
    async with database.transaction() as session:
        stored = await session.scalar(select(ProcessedUpdate.processed_at))
    assert stored == NOW and stored.tzinfo is not None and stored.utcoffset() == timedelta(0)


async def test_naive_datetimes_are_refused(database: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        async with database.transaction() as session:
            session.add(ProcessedUpdate(update_id=1, processed_at=datetime(2026, 1, 1)))
            await session.flush()


async def test_an_update_is_claimed_once(database: Database) -> None:
    async with database.transaction() as session:
        assert await claim_update(session, update_id=7, now=NOW)
    async with database.transaction() as session:
        assert not await claim_update(session, update_id=7, now=NOW)


async def test_concurrent_claims_of_one_update_let_one_win(database: Database) -> None:
    async def claim() -> bool:
        async with database.transaction() as session:
            return await claim_update(session, update_id=9, now=NOW)

    results = await asyncio.gather(*(claim() for _ in range(8)))
    assert sorted(results) == [False] * 7 + [True]


async def test_old_update_ids_are_forgotten(database: Database) -> None:
    async with database.transaction() as session:
        await claim_update(session, update_id=1, now=NOW - timedelta(days=8))
        await claim_update(session, update_id=2, now=NOW)
    async with database.transaction() as session:
        assert await forget_processed_updates(session, before=NOW - timedelta(days=7)) == 1
        assert (await session.scalars(select(ProcessedUpdate.update_id))).all() == [2]


async def test_first_contact_from_two_processes_makes_one_patient(database: Database) -> None:
    ids = await asyncio.gather(*(add_patient(database) for _ in range(5)))
    assert len(set(ids)) == 1
    async with database.transaction() as session:
        assert len((await session.scalars(select(Patient))).all()) == 1


ANA = Visitor(telegram_id=42, first_name="Ana", last_name=None, username=None, language_code="en")


async def test_flow_state_round_trip(database: Database) -> None:
    async with database.transaction() as session:
        patient_id, flow, _ = await open_conversation(session, visitor=ANA, now=NOW)
        assert flow == Flow()
        flow.go("prescreen", "q4", answers={"q1": 2})
        await save_flow(session, patient_id=patient_id, flow=flow, now=NOW)
    async with database.transaction() as session:
        again, loaded, _ = await open_conversation(session, visitor=ANA, now=NOW)
    assert (again, loaded) == (patient_id, Flow("prescreen", "q4", {"answers": {"q1": 2}}))


async def test_a_known_patient_with_nothing_new_costs_one_read(database: Database) -> None:
    """An update from a patient we know reads them and their flow in one statement and
    writes nothing back unless something changed."""
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement.split()[0].upper())

    async with database.transaction() as session:
        patient_id, flow, _ = await open_conversation(session, visitor=ANA, now=NOW)
        flow.go("faq", "list")
        await save_flow(session, patient_id=patient_id, flow=flow, now=NOW)
        await session.execute(update(Patient).values(reachable=False))  # Ana blocked us
    event.listen(database.engine.sync_engine, "before_cursor_execute", seen)
    try:
        async with database.transaction() as session:
            _, flow, returned = await open_conversation(session, visitor=ANA, now=NOW)
            await save_flow(session, patient_id=patient_id, flow=flow, now=NOW)
        assert returned  # she had blocked us: the bot offers to resume her messages
        writes_back = [s for s in statements if s not in ("BEGIN", "SELECT")]
        statements.clear()
        async with database.transaction() as session:
            _, flow, _ = await open_conversation(session, visitor=ANA, now=NOW)
            await save_flow(session, patient_id=patient_id, flow=flow, now=NOW)
        unchanged = [s for s in statements if s != "BEGIN"]
        statements.clear()
        renamed = Visitor(42, "Ana María", "Silva", "anam", "fr")
        async with database.transaction() as session:
            await open_conversation(session, visitor=renamed, now=NOW)
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", seen)
    # Writing to us makes a blocked patient reachable again: one UPDATE.
    assert writes_back == ["UPDATE"]
    assert unchanged == ["SELECT"]
    async with database.transaction() as session:
        row = (await session.execute(select(Patient))).scalar_one()
    assert (row.first_name, row.last_name, row.username, row.language_code, row.reachable) == (
        "Ana María",
        "Silva",
        "anam",
        "fr",
        True,
    )
    assert flow == Flow("faq", "list")


def test_moving_to_another_flow_forgets_the_old_answers() -> None:
    flow = Flow("prescreen", "q4", {"answers": {"q1": 2}})
    flow.go("prescreen", "q5")
    assert flow.data == {"answers": {"q1": 2}}
    flow.go("faq", "cost")
    assert flow == Flow("faq", "cost", {})


TORONTO = ZoneInfo("America/Toronto")
NIGHT = Schedule(
    hours={weekday: ((time(1), time(4)),) for weekday in range(7)},
    closed=frozenset(),
    capacity=2,
)


def toronto(day: date, hour: int, minute: int = 0) -> datetime:
    """A local wall-clock time; in the repeated hour, its first occurrence."""
    return datetime.combine(day, time(hour, minute), TORONTO).astimezone(UTC)


@pytest.mark.parametrize(
    ("day", "bookings", "free"),
    [
        # Spring forward: 2:00 to 3:00 does not exist, so a 60-minute consultation
        # booked at 1:30 ends at 3:30 by the wall clock and holds a seat of 3:00 too.
        (
            date(2026, 3, 8),
            [
                ((1, 0), 30, "confirmed", 2),
                ((1, 30), 60, "requested", 1),
                ((3, 0), 30, "confirmed", 1),
                ((3, 30), 30, "cancelled", 2),
                ((3, 30), 30, "declined", 1),
            ],
            ["01:30", "03:30"],
        ),
        # Fall back: 1:00 to 2:00 happens twice; the slots are its first occurrence.
        (
            date(2026, 11, 1),
            [
                ((1, 0), 30, "requested", 1),
                ((1, 0), 30, "confirmed", 1),
                ((1, 30), 30, "confirmed", 1),
                ((1, 30), 30, "no_show", 1),
                ((2, 0), 60, "confirmed", 1),
                ((2, 30), 30, "confirmed", 1),
                ((3, 0), 30, "completed", 2),
            ],
            ["01:30", "02:00", "03:00", "03:30"],
        ),
    ],
)
async def test_free_times_come_from_counts_per_time(
    database: Database,
    day: date,
    bookings: list[tuple[tuple[int, int], int, str, int]],
    free: list[str],
) -> None:
    """The database counts active appointments per (start, end); the free times are the
    ones the single appointments give, on the days the clocks change too."""
    now = toronto(day - timedelta(days=7), 12)
    rows = [
        (toronto(day, *at), timedelta(minutes=minutes), status)
        for at, minutes, status, copies in bookings
        for _ in range(copies)
    ]
    # Outside what a booking step reads: long before now, beyond the horizon.
    rows += [
        (now - timedelta(days=2), timedelta(minutes=30), "confirmed"),
        (now + timedelta(days=40), timedelta(minutes=30), "confirmed"),
    ]
    seats: Counter[tuple[datetime, bool]] = Counter()
    async with database.transaction() as session:
        for starts_at, length, status in rows:
            active = status in ACTIVE_STATUSES
            session.add(
                Appointment(
                    starts_at=starts_at,
                    ends_at=starts_at + length,
                    seat=seats[starts_at, active],
                    status=status,
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
            seats[starts_at, active] += 1
    end = now + timedelta(days=NIGHT.horizon_days + 2)
    async with database.transaction() as session:
        counted = await booked_between(session, start=now, end=end)
    one_by_one = [
        Booked(starts_at, starts_at + length)
        for starts_at, length, status in rows
        if status in ACTIVE_STATUSES and now - timedelta(days=1) <= starts_at <= end
    ]
    expected = Counter((b.starts_at, b.ends_at) for b in one_by_one)
    assert sorted((b.starts_at, b.ends_at, b.count) for b in counted) == sorted(
        (start, end, count) for (start, end), count in expected.items()
    )
    slots = free_slots(NIGHT, counted, now, TORONTO, first_day=day, last_day=day)
    assert [slot.astimezone(TORONTO).strftime("%H:%M") for slot in slots] == free
    assert slots == free_slots(NIGHT, one_by_one, now, TORONTO, first_day=day, last_day=day)
    for slot in free_slots(NIGHT, [], now, TORONTO, first_day=day, last_day=day):
        reason = why_unavailable(NIGHT, counted, now, TORONTO, slot)
        assert reason is (None if slot in slots else Unavailable.TAKEN)
