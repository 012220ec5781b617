"""What a staff card offers, by status and time; when a treatment completes a visit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from clinic.appointments import (
    CardAction,
    attendance_open,
    card_actions,
    outcome_open,
    treatment_completes,
)
from clinic.statuses import AppointmentStatus
from clinic.treatment import Kind

STARTS = datetime(2026, 3, 8, 15, 0, tzinfo=UTC)  # the day daylight saving starts in Toronto
BEFORE, AFTER = STARTS - timedelta(minutes=1), STARTS
S = AppointmentStatus
A = CardAction


@pytest.mark.parametrize(
    ("status", "now", "rows"),
    [
        (S.REQUESTED, BEFORE, ((A.CONFIRM, A.DECLINE),)),
        (S.REQUESTED, AFTER, ((A.CONFIRM, A.DECLINE),)),
        (S.CONFIRMED, BEFORE, ((A.OUTCOME,), (A.RECORD,), (A.CANCEL,))),
        (S.CONFIRMED, AFTER, ((A.CAME, A.NO_SHOW), (A.OUTCOME,), (A.RECORD,))),
        (S.COMPLETED, AFTER, ((A.OUTCOME,), (A.RECORD,))),
        (S.NO_SHOW, AFTER, ()),
        (S.CANCELLED, BEFORE, ()),
        (S.DECLINED, BEFORE, ()),
    ],
)
def test_the_card_offers_what_the_status_allows_now(
    status: AppointmentStatus, now: datetime, rows: tuple[tuple[CardAction, ...], ...]
) -> None:
    assert card_actions(status, starts_at=STARTS, now=now, has_patient=True) == rows


def test_no_treatment_for_a_patient_whose_data_was_deleted() -> None:
    assert card_actions(S.CONFIRMED, starts_at=STARTS, now=BEFORE, has_patient=False) == (
        (A.CANCEL,),
    )
    assert card_actions(S.COMPLETED, starts_at=STARTS, now=AFTER, has_patient=False) == ()


def test_an_outcome_is_recorded_once_and_a_treatment_session_records_itself_by_came() -> None:
    recorded = card_actions(
        S.COMPLETED, starts_at=STARTS, now=AFTER, has_patient=True, has_outcome=True
    )
    assert recorded == ((A.RECORD,),)
    session = {"starts_at": STARTS, "has_patient": True, "kind": Kind.TREATMENT}
    assert card_actions(S.CONFIRMED, now=BEFORE, **session) == ((A.CANCEL,),)
    assert card_actions(S.CONFIRMED, now=AFTER, **session) == ((A.CAME, A.NO_SHOW),)
    assert card_actions(S.COMPLETED, now=AFTER, **session) == ()


def test_the_outcome_opens_when_the_consultation_starts() -> None:
    assert outcome_open(S.CONFIRMED, starts_at=STARTS, now=AFTER)
    assert outcome_open(S.COMPLETED, starts_at=STARTS, now=AFTER)
    assert not outcome_open(S.CONFIRMED, starts_at=STARTS, now=BEFORE)
    assert not outcome_open(S.NO_SHOW, starts_at=STARTS, now=AFTER)


def test_the_status_may_come_as_the_stored_string() -> None:
    assert card_actions("requested", starts_at=STARTS, now=BEFORE, has_patient=True) == (
        (A.CONFIRM, A.DECLINE),
    )


def test_a_treatment_completes_a_confirmed_visit_once_it_started() -> None:
    assert treatment_completes(S.CONFIRMED, starts_at=STARTS, now=AFTER)
    assert not treatment_completes(S.CONFIRMED, starts_at=STARTS, now=BEFORE)
    assert not treatment_completes(S.COMPLETED, starts_at=STARTS, now=AFTER)


def test_attendance_opens_at_the_start() -> None:
    assert attendance_open(S.CONFIRMED, starts_at=STARTS, now=AFTER)
    assert not attendance_open(S.CONFIRMED, starts_at=STARTS, now=BEFORE)
    assert not attendance_open(S.REQUESTED, starts_at=STARTS, now=AFTER)
