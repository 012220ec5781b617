"""The statuses the code knows are the ones the database accepts, and their changes."""

from __future__ import annotations

import re

from sqlalchemy import CheckConstraint

from clinic.statuses import ACTIVE, AppointmentStatus, OutboxStatus, PlanStatus
from db.models import ACTIVE_STATUSES, AftercarePlan, Appointment, OutboxMessage


def allowed_by_the_database(model: type) -> set[str]:
    [check] = [
        constraint
        for constraint in model.__table__.constraints  # type: ignore[attr-defined]
        if isinstance(constraint, CheckConstraint) and str(constraint.sqltext).startswith("status")
    ]
    return set(re.findall(r"'([a-z_]+)'", str(check.sqltext)))


def test_each_status_enum_is_what_its_check_constraint_lists() -> None:
    assert {s.value for s in AppointmentStatus} == allowed_by_the_database(Appointment)
    assert {s.value for s in PlanStatus} == allowed_by_the_database(AftercarePlan)
    assert {s.value for s in OutboxStatus} == allowed_by_the_database(OutboxMessage)


def test_an_appointment_changes_only_forward() -> None:
    requested, confirmed = AppointmentStatus.REQUESTED, AppointmentStatus.CONFIRMED
    assert requested.can_become(confirmed) and confirmed.can_become(AppointmentStatus.NO_SHOW)
    assert not confirmed.can_become(requested)
    assert not AppointmentStatus.CANCELLED.can_become(confirmed)
    assert requested.holds_its_time and not AppointmentStatus.DECLINED.holds_its_time
    assert AppointmentStatus("confirmed") == "confirmed"  # stored and compared as text


def test_the_index_of_held_times_lists_the_active_statuses() -> None:
    [index] = [
        index
        for index in Appointment.__table__.indexes  # type: ignore[attr-defined]
        if index.name == "uq_appointment_active_slot"
    ]
    for dialect in ("sqlite", "postgresql"):
        where = str(index.dialect_options[dialect]["where"])
        assert set(re.findall(r"'([a-z_]+)'", where)) == {s.value for s in ACTIVE}
    assert set(ACTIVE_STATUSES) == ACTIVE
