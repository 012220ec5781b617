"""The statuses of appointments, aftercare plans and scheduled messages, and which
changes each allows: one place for what the database's CHECK constraints list.

StrEnums: a member is its own string, so it is stored, compared and put in a query as
the plain value ("confirmed") and reads as one in logs and exports.
"""

from __future__ import annotations

from enum import StrEnum


class AppointmentStatus(StrEnum):
    REQUESTED = "requested"  # waiting for staff
    CONFIRMED = "confirmed"
    DECLINED = "declined"  # by staff
    CANCELLED = "cancelled"  # by the patient or staff
    COMPLETED = "completed"  # the patient came
    NO_SHOW = "no_show"

    @property
    def holds_its_time(self) -> bool:
        """Whether nobody else can book its time."""
        return self in ACTIVE

    def can_become(self, status: AppointmentStatus) -> bool:
        return status in _APPOINTMENT_CHANGES[self]


# Appointments that hold their time: the unique index on a slot counts these.
ACTIVE = frozenset({AppointmentStatus.REQUESTED, AppointmentStatus.CONFIRMED})
# Appointments a treatment can be recorded on.
TREATABLE = frozenset({AppointmentStatus.CONFIRMED, AppointmentStatus.COMPLETED})

_APPOINTMENT_CHANGES: dict[AppointmentStatus, frozenset[AppointmentStatus]] = {
    AppointmentStatus.REQUESTED: frozenset(
        {AppointmentStatus.CONFIRMED, AppointmentStatus.DECLINED, AppointmentStatus.CANCELLED}
    ),
    AppointmentStatus.CONFIRMED: frozenset(
        {AppointmentStatus.CANCELLED, AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW}
    ),
    AppointmentStatus.DECLINED: frozenset(),
    AppointmentStatus.CANCELLED: frozenset(),
    AppointmentStatus.COMPLETED: frozenset(),
    AppointmentStatus.NO_SHOW: frozenset(),
}


class PlanStatus(StrEnum):
    INVITED = "invited"  # staff recorded a treatment; the patient has not answered
    DECLINED = "declined"
    ACTIVE = "active"  # sending its daily messages
    STOPPED = "stopped"  # by the patient, a newer plan, or a blocked chat
    COMPLETED = "completed"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # given up
    CANCELLED = "cancelled"  # what it was about changed
    EXPIRED = "expired"  # its moment passed before it could go
