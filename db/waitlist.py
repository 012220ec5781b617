"""The waitlist's queries: entries (a patient waiting until a day) and the freed times
offered to them. Keyword-only, never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from clinic.waitlist import EntryEnd, OfferStatus
from db.models import Patient, WaitlistEntry, WaitlistOffer


@dataclass(frozen=True)
class EntryView:
    id: int
    patient_id: int
    until: date
    created_at: datetime


@dataclass(frozen=True)
class Waiting:
    """An open entry with who is waiting, for staff."""

    entry: EntryView
    first_name: str
    last_name: str | None
    phone: str | None


@dataclass(frozen=True)
class OfferView:
    id: int
    entry_id: int
    patient_id: int
    starts_at: datetime
    status: OfferStatus
    expires_at: datetime
    entry_open: bool


def _entry(row: WaitlistEntry) -> EntryView:
    return EntryView(row.id, row.patient_id, row.until, row.created_at)


def _open(today: date) -> list[ColumnElement[bool]]:
    """An entry still waiting: not ended, and its last day not behind (read time)."""
    return [WaitlistEntry.ended_at.is_(None), WaitlistEntry.until >= today]


async def open_entry(
    session: AsyncSession, *, patient_id: int, today: date, lock: bool = False
) -> EntryView | None:
    query = select(WaitlistEntry).where(WaitlistEntry.patient_id == patient_id, *_open(today))
    if lock:
        query = query.with_for_update()
    row = (await session.scalars(query)).one_or_none()
    return None if row is None else _entry(row)


async def join(
    session: AsyncSession, *, patient_id: int, until: date, today: date, now: datetime
) -> EntryView:
    """Puts the patient on the list until `until`; already on it, changes the day and
    keeps their place. An entry whose day passed unnoticed is ended first."""
    await end_passed(session, today=today, now=now, patient_id=patient_id)
    row = (
        await session.scalars(
            select(WaitlistEntry)
            .where(WaitlistEntry.patient_id == patient_id, WaitlistEntry.ended_at.is_(None))
            .with_for_update()
        )
    ).one_or_none()
    if row is None:
        row = WaitlistEntry(patient_id=patient_id, until=until, created_at=now)
        session.add(row)
        await session.flush()
    else:
        row.until = until
    return _entry(row)


async def end(
    session: AsyncSession, *, patient_id: int, reason: EntryEnd, now: datetime
) -> int | None:
    """Ends the patient's open entry (and its open offers); its id, or None if none."""
    row = (
        await session.scalars(
            select(WaitlistEntry)
            .where(WaitlistEntry.patient_id == patient_id, WaitlistEntry.ended_at.is_(None))
            .with_for_update()
        )
    ).one_or_none()
    if row is None:
        return None
    row.ended_at, row.end_reason = now, reason
    await session.execute(
        update(WaitlistOffer)
        .where(WaitlistOffer.entry_id == row.id, WaitlistOffer.status == OfferStatus.OPEN)
        .values(status=OfferStatus.ENDED)
    )
    return row.id


async def end_passed(
    session: AsyncSession, *, today: date, now: datetime, patient_id: int | None = None
) -> int:
    """Ends the entries whose last day is behind `today`; how many."""
    query = update(WaitlistEntry).where(
        WaitlistEntry.ended_at.is_(None), WaitlistEntry.until < today
    )
    if patient_id is not None:
        query = query.where(WaitlistEntry.patient_id == patient_id)
    result = await session.execute(query.values(ended_at=now, end_reason=EntryEnd.PASSED))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def covering(session: AsyncSession, *, day: date, today: date) -> list[EntryView]:
    """Open entries that want to hear of a time on `day`, in the order they joined."""
    rows = await session.scalars(
        select(WaitlistEntry)
        .where(*_open(today), WaitlistEntry.until >= day)
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
    )
    return [_entry(row) for row in rows]


async def waiting(session: AsyncSession, *, today: date) -> list[Waiting]:
    """Everyone waiting, in the order they joined, for staff."""
    rows = await session.execute(
        select(WaitlistEntry, Patient.first_name, Patient.last_name, Patient.phone)
        .join(Patient, Patient.id == WaitlistEntry.patient_id)
        .where(*_open(today))
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
    )
    return [Waiting(_entry(row), first, last, phone) for row, first, last, phone in rows]


async def offered(session: AsyncSession, *, entry_id: int, starts_at: datetime) -> bool:
    """Whether this entry was offered this time already."""
    found = await session.scalar(
        select(WaitlistOffer.id).where(
            WaitlistOffer.entry_id == entry_id, WaitlistOffer.starts_at == starts_at
        )
    )
    return found is not None


async def add_offer(
    session: AsyncSession,
    *,
    entry_id: int,
    starts_at: datetime,
    now: datetime,
    expires_at: datetime,
) -> int:
    row = WaitlistOffer(
        entry_id=entry_id,
        starts_at=starts_at,
        status=OfferStatus.OPEN,
        offered_at=now,
        expires_at=expires_at,
    )
    session.add(row)
    await session.flush()
    return row.id


async def find_offer(
    session: AsyncSession, *, offer_id: int, patient_id: int | None = None
) -> OfferView | None:
    """An offer, if it is this patient's when one is named.

    Not locked: a patient pressing "Book it" must hold no lock on their offer while
    their booking waits on the seat index for a faster one, whose transaction
    withdraws every other offer of the time (a lock here would deadlock the two).
    A patient's own presses are one at a time already (their patient row's lock)."""
    query = (
        select(WaitlistOffer, WaitlistEntry.patient_id, WaitlistEntry.ended_at)
        .join(WaitlistEntry, WaitlistEntry.id == WaitlistOffer.entry_id)
        .where(WaitlistOffer.id == offer_id)
    )
    if patient_id is not None:
        query = query.where(WaitlistEntry.patient_id == patient_id)
    found = (await session.execute(query)).one_or_none()
    if found is None:
        return None
    row, owner, ended_at = found
    return OfferView(
        id=row.id,
        entry_id=row.entry_id,
        patient_id=owner,
        starts_at=row.starts_at,
        status=OfferStatus(row.status),
        expires_at=row.expires_at,
        entry_open=ended_at is None,
    )


async def set_offer(session: AsyncSession, *, offer_id: int, status: OfferStatus) -> None:
    await session.execute(
        update(WaitlistOffer).where(WaitlistOffer.id == offer_id).values(status=status)
    )


async def withdraw(
    session: AsyncSession, *, starts_at: datetime, now: datetime
) -> list[tuple[int, int]]:
    """The open offers of `starts_at` still within their hold become GONE: their
    (offer id, patient id), to tell each patient."""
    found = list(
        (
            await session.execute(
                select(WaitlistOffer.id, WaitlistEntry.patient_id, WaitlistOffer.expires_at)
                .join(WaitlistEntry, WaitlistEntry.id == WaitlistOffer.entry_id)
                .where(
                    WaitlistOffer.starts_at == starts_at,
                    WaitlistOffer.status == OfferStatus.OPEN,
                )
                .order_by(WaitlistEntry.created_at, WaitlistOffer.id)
                .with_for_update(of=WaitlistOffer)
            )
        ).all()
    )
    if found:
        await session.execute(
            update(WaitlistOffer)
            .where(WaitlistOffer.id.in_([offer_id for offer_id, _, _ in found]))
            .values(status=OfferStatus.GONE)
        )
    # An offer whose hold ran out is gone as well, but nobody is waiting on it.
    return [(offer_id, patient_id) for offer_id, patient_id, until in found if until > now]


async def of_patient(session: AsyncSession, *, patient_id: int) -> list[WaitlistEntry]:
    """Every entry of the patient, with none left out: for their data export."""
    rows = await session.scalars(
        select(WaitlistEntry)
        .where(WaitlistEntry.patient_id == patient_id)
        .order_by(WaitlistEntry.created_at)
    )
    return list(rows)
