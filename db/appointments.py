"""Appointments: booking a seat of a time, and moving through the statuses."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from clinic.aftercare import Laser
from clinic.schedule import Booked
from clinic.statuses import AppointmentStatus
from clinic.treatment import Kind
from db.models import ACTIVE_STATUSES, Appointment


@dataclass(frozen=True)
class AppointmentView:
    """An appointment as the handlers show it."""

    id: int
    # None, with name and phone, once the patient had their data deleted.
    patient_id: int | None
    starts_at: datetime
    ends_at: datetime
    status: AppointmentStatus
    name: str | None
    phone: str | None
    rescheduled_from_id: int | None
    decided_by: str | None
    decided_at: datetime | None
    cancelled_by: str | None
    cancel_reason: str | None
    prescreen_id: int | None
    created_at: datetime
    kind: Kind = Kind.CONSULTATION
    # A treatment's laser, the consultation that planned it, and whether the patient
    # asked for aftercare messages to start on the treatment day.
    laser: Laser | None = None
    consultation_id: int | None = None
    aftercare_agreed: bool = False

    @property
    def active(self) -> bool:
        return self.status.holds_its_time


def _view(row: Appointment) -> AppointmentView:
    return AppointmentView(
        id=row.id,
        patient_id=row.patient_id,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        status=AppointmentStatus(row.status),
        name=row.name,
        phone=row.phone,
        rescheduled_from_id=row.rescheduled_from_id,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        cancelled_by=row.cancelled_by,
        cancel_reason=row.cancel_reason,
        prescreen_id=row.prescreen_id,
        created_at=row.created_at,
        kind=Kind(row.kind),
        laser=Laser(row.laser) if row.laser else None,
        consultation_id=row.consultation_id,
        aftercare_agreed=row.aftercare_agreed,
    )


@dataclass(frozen=True)
class TreatmentOrder:
    """What a treatment booking carries beside its time: the laser, the consultation
    that planned it, and whether aftercare starts on the day without asking."""

    laser: Laser
    consultation_id: int
    aftercare_agreed: bool = False


async def booked_between(
    session: AsyncSession, *, start: datetime, end: datetime, kind: Kind = Kind.CONSULTATION
) -> list[Booked]:
    """What holds times of `kind`'s seats: active appointments of that kind that start
    in [start - 1 day, end], counted per (start, end), so a month is a few hundred rows
    however many are booked.

    Grouping by the end as well as the start keeps the answer exact if the length of a
    consultation changed while older bookings still hold their own.
    """
    rows = await session.execute(
        select(Appointment.starts_at, Appointment.ends_at, func.count())
        .where(
            Appointment.kind == kind,
            Appointment.status.in_(ACTIVE_STATUSES),
            Appointment.starts_at >= start - timedelta(days=1),
            Appointment.starts_at <= end,
        )
        .group_by(Appointment.starts_at, Appointment.ends_at)
    )
    return [Booked(starts_at, ends_at, count) for starts_at, ends_at, count in rows]


async def upcoming_for_patient(
    session: AsyncSession, *, patient_id: int, now: datetime, kind: Kind | None = None
) -> list[AppointmentView]:
    """The patient's requested and confirmed appointments that have not started yet;
    only those of `kind` if one is named."""
    query = select(Appointment).where(
        Appointment.patient_id == patient_id,
        Appointment.status.in_(ACTIVE_STATUSES),
        Appointment.starts_at > now,
    )
    if kind is not None:
        query = query.where(Appointment.kind == kind)
    rows = await session.scalars(query.order_by(Appointment.starts_at))
    return [_view(row) for row in rows]


async def find(session: AsyncSession, *, appointment_id: int) -> AppointmentView | None:
    """Reads and locks an appointment, whoever's it is: for staff and scheduled messages.
    A patient's button goes through `find_own`."""
    query = select(Appointment).where(Appointment.id == appointment_id)
    row = (await session.scalars(query.with_for_update())).one_or_none()
    return None if row is None else _view(row)


async def find_own(
    session: AsyncSession, *, appointment_id: int, patient_id: int
) -> AppointmentView | None:
    """Reads and locks an appointment if it is this patient's own; None for anyone else's."""
    query = select(Appointment).where(
        Appointment.id == appointment_id, Appointment.patient_id == patient_id
    )
    row = (await session.scalars(query.with_for_update())).one_or_none()
    return None if row is None else _view(row)


async def book(
    session: AsyncSession,
    *,
    patient_id: int,
    starts_at: datetime,
    length: timedelta,
    capacity: int,
    name: str,
    phone: str,
    status: AppointmentStatus,
    now: datetime,
    prescreen_id: int | None = None,
    rescheduled_from_id: int | None = None,
    treatment: TreatmentOrder | None = None,
) -> AppointmentView | None:
    """Takes a free seat of `starts_at` (a treatment's seat for a `treatment`, else a
    consultation's); None when every seat is taken (a race lost).

    The insert runs in a savepoint, so a lost race leaves the update's transaction
    usable: the patient is still answered, with other times.
    """
    kind = Kind.CONSULTATION if treatment is None else Kind.TREATMENT
    used = set(
        await session.scalars(
            select(Appointment.seat).where(
                Appointment.kind == kind,
                Appointment.starts_at == starts_at,
                Appointment.status.in_(ACTIVE_STATUSES),
            )
        )
    )
    seat = next((seat for seat in range(capacity) if seat not in used), None)
    if seat is None:
        return None
    row = Appointment(
        patient_id=patient_id,
        starts_at=starts_at,
        ends_at=starts_at + length,
        seat=seat,
        status=status,
        name=name,
        phone=phone,
        rescheduled_from_id=rescheduled_from_id,
        prescreen_id=prescreen_id,
        created_at=now,
        updated_at=now,
        kind=kind,
        laser=None if treatment is None else treatment.laser,
        consultation_id=None if treatment is None else treatment.consultation_id,
        aftercare_agreed=treatment is not None and treatment.aftercare_agreed,
    )
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    return _view(row)


async def change_status(
    session: AsyncSession,
    *,
    appointment_id: int,
    status: AppointmentStatus,
    now: datetime,
    decided_by: str | None = None,
    cancelled_by: str | None = None,
    cancel_reason: str | None = None,
) -> AppointmentView:
    row = await session.get_one(Appointment, appointment_id)
    row.status = status
    row.updated_at = now
    if decided_by is not None:
        row.decided_by, row.decided_at = decided_by, now
    if cancelled_by is not None:
        row.cancelled_by, row.cancel_reason = cancelled_by, cancel_reason
    return _view(row)


async def confirm_attendance(session: AsyncSession, *, appointment_id: int, now: datetime) -> None:
    row = await session.get_one(Appointment, appointment_id)
    row.attendance_confirmed_at = now


async def count_active(
    session: AsyncSession, *, patient_id: int, now: datetime, kind: Kind = Kind.CONSULTATION
) -> int:
    """The patient's active appointments of `kind` still ahead."""
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Appointment)
            .where(
                Appointment.patient_id == patient_id,
                Appointment.kind == kind,
                Appointment.status.in_(ACTIVE_STATUSES),
                Appointment.starts_at > now,
            )
        )
        or 0
    )


class _Lost(Exception):
    """The new time was taken: undo the cancellations too."""


@dataclass(frozen=True)
class Moved:
    """A move: the new appointment, and those it cancelled (their pending messages go)."""

    new: AppointmentView
    cancelled: list[AppointmentView]


async def reschedule(
    session: AsyncSession,
    *,
    old_id: int,
    starts_at: datetime,
    length: timedelta,
    capacity: int,
    status: AppointmentStatus,
    now: datetime,
    prescreen_id: int | None,
) -> Moved | None:
    """Moves an appointment to `starts_at`; None if that time was taken (nothing changed).

    A confirmed time is never given up for a mere request: when the new time still
    needs the clinic's confirmation (`status` REQUESTED), the confirmed appointment
    stays as it is (reminders and all) and the new one points at it
    (`rescheduled_from_id`): a pending move, which `finish_move` completes when staff
    confirm. A pending move of the same appointment is replaced by the new one; moving
    the pending move itself moves the request, and the confirmed time still stands.
    Otherwise (the new time is confirmed at once, or the old one was only requested)
    the old one is cancelled and the new one taken together.
    """
    old = await session.get_one(Appointment, old_id)
    assert old.patient_id is not None and old.name is not None and old.phone is not None
    # The confirmed appointment this move would replace: the old one, or, for a pending
    # move being moved again, the one it would replace.
    original = old
    if old.status == AppointmentStatus.REQUESTED and old.rescheduled_from_id is not None:
        replaced = await session.get(Appointment, old.rescheduled_from_id)
        if replaced is not None and replaced.status == AppointmentStatus.CONFIRMED:
            original = replaced
    keep = status == AppointmentStatus.REQUESTED and original.status == AppointmentStatus.CONFIRMED
    if keep:
        # Superseded requests: the pending moves of the original (the old one among them).
        to_cancel = list(
            await session.scalars(
                select(Appointment)
                .where(
                    Appointment.rescheduled_from_id == original.id,
                    Appointment.status == AppointmentStatus.REQUESTED,
                )
                .with_for_update()
            )
        )
    else:
        to_cancel = [old] if original is old else [old, original]
    try:
        async with session.begin_nested():
            for row in to_cancel:
                row.status, row.updated_at = AppointmentStatus.CANCELLED, now
                row.cancelled_by, row.cancel_reason = "patient", "rescheduled"
            await session.flush()
            new = await book(
                session,
                patient_id=old.patient_id,
                starts_at=starts_at,
                length=length,
                capacity=capacity,
                name=old.name,
                phone=old.phone,
                status=status,
                now=now,
                prescreen_id=prescreen_id,
                rescheduled_from_id=original.id,
                treatment=_order(old),
            )
            if new is None:
                raise _Lost
    except _Lost:
        return None
    return Moved(new, [_view(row) for row in to_cancel])


def _order(row: Appointment) -> TreatmentOrder | None:
    """A treatment moved stays the same treatment: laser, consultation and all."""
    if row.kind != Kind.TREATMENT or row.laser is None or row.consultation_id is None:
        return None
    return TreatmentOrder(Laser(row.laser), row.consultation_id, row.aftercare_agreed)


async def sessions_booked(session: AsyncSession, *, consultation_id: int) -> int:
    """Treatment sessions planned by a consultation that are booked, held or done (a
    cancelled, declined or missed one leaves its session to book again)."""
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Appointment)
            .where(
                Appointment.consultation_id == consultation_id,
                Appointment.kind == Kind.TREATMENT,
                Appointment.status.in_((*ACTIVE_STATUSES, AppointmentStatus.COMPLETED.value)),
            )
        )
        or 0
    )


def pending_move(
    appointment: AppointmentView, replaced: AppointmentView | None
) -> AppointmentView | None:
    """The confirmed appointment that `appointment` would replace, if it is a pending
    move (a request to move it that staff have not decided yet); else None."""
    if (
        appointment.status == AppointmentStatus.REQUESTED
        and replaced is not None
        and replaced.id == appointment.rescheduled_from_id
        and replaced.status == AppointmentStatus.CONFIRMED
    ):
        return replaced
    return None


async def replaced_by_move(
    session: AsyncSession, *, appointment: AppointmentView
) -> AppointmentView | None:
    """The confirmed appointment a pending move would replace (locked); else None."""
    if appointment.status != AppointmentStatus.REQUESTED or appointment.rescheduled_from_id is None:
        return None
    replaced = await find(session, appointment_id=appointment.rescheduled_from_id)
    return pending_move(appointment, replaced)


async def finish_move(
    session: AsyncSession, *, appointment: AppointmentView, now: datetime
) -> AppointmentView | None:
    """Staff confirmed a pending move: the time it replaces is cancelled, in the same
    transaction. Returns that appointment, or None if nothing was replaced."""
    if appointment.rescheduled_from_id is None:
        return None
    row = await session.get(Appointment, appointment.rescheduled_from_id)
    if row is None or row.status != AppointmentStatus.CONFIRMED:
        return None  # the patient cancelled it meanwhile, or the clinic did
    row.status, row.updated_at = AppointmentStatus.CANCELLED, now
    row.cancelled_by, row.cancel_reason = "patient", "rescheduled"
    return _view(row)


async def between(
    session: AsyncSession,
    *,
    start: datetime,
    end: datetime,
    statuses: Collection[AppointmentStatus],
) -> list[AppointmentView]:
    """Appointments starting in [start, end) with one of these statuses, in time order."""
    rows = await session.scalars(
        select(Appointment)
        .where(
            Appointment.starts_at >= start,
            Appointment.starts_at < end,
            Appointment.status.in_(sorted(statuses)),
        )
        .order_by(Appointment.starts_at, Appointment.id)
    )
    return [_view(row) for row in rows]


async def of_patient(
    session: AsyncSession, *, patient_id: int, limit: int
) -> list[AppointmentView]:
    """The patient's newest appointments, newest first."""
    rows = await session.scalars(
        select(Appointment)
        .where(Appointment.patient_id == patient_id)
        .order_by(Appointment.starts_at.desc(), Appointment.id.desc())
        .limit(limit)
    )
    return [_view(row) for row in rows]
