"""No double booking: the database refuses it, and the losers are offered other times."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.playground.botapi import StandIn, User
from db.engine import Database
from db.models import Appointment, Patient
from tests.conftest import FakeClock, start_bot
from tests.e2e.test_booking import MONDAY_10AM, TUESDAY_10AM, act, texts

PATIENTS = 20


async def test_twenty_patients_confirming_one_time_at_once_get_one_appointment(
    standin: StandIn, database_url: str
) -> None:
    running, stop = await start_bot(standin, database_url, clock=FakeClock(MONDAY_10AM))
    patients = [User(id=8000 + n, first_name=f"Patient{n}") for n in range(PATIENTS)]
    for patient in patients:  # each goes as far as the summary of the same time
        await act(standin, await standin.send_text(patient, "/book"))
        await act(standin, await standin.press(patient, "Tue 24 Nov"))
        await act(standin, await standin.press(patient, "10:00\u202fa.m."))
        await act(standin, await standin.press(patient, "✅ That's me"))
        await act(standin, await standin.press_reply(patient, "📱 Share my number"))
        await act(standin, await standin.press(patient, "Skip"))  # the pre-screen
    summaries = [standin.screen(patient.id) for patient in patients]
    # All twenty press Confirm in the same moment: one getUpdates batch, handled concurrently.
    presses = [
        await standin.press(patient, "✅ Confirm booking", message=summary)
        for patient, summary in zip(patients, summaries, strict=True)
    ]
    await standin.handled(*presses, timeout=30)

    async with running.database.transaction() as session:
        booked = list(await session.scalars(select(Appointment)))
    assert [(a.starts_at, a.status) for a in booked] == [(TUESDAY_10AM, "confirmed")]
    # The winner's confirmation follows through the outbox, so look at every message.
    winners = [p for p in patients if any("Booked!" in t for t in texts(standin, p.id))]
    losers = [p for p in patients if "was just taken" in (standin.screen(p.id).text or "")]
    assert len(winners) == 1 and len(losers) == PATIENTS - 1
    for loser in losers:
        offered = standin.screen(loser.id).buttons()
        assert offered[:2] == ["Tue 24 Nov, 10:30\u202fa.m.", "Tue 24 Nov, 11:00\u202fa.m."]
        assert "Tue 24 Nov, 10:00\u202fa.m." not in offered
    # A loser takes one of the times offered, and it works.
    await act(standin, await standin.press(losers[0], "Tue 24 Nov, 10:30\u202fa.m."))
    await act(standin, await standin.press(losers[0], "✅ That's me"))
    await act(standin, await standin.press_reply(losers[0], "📱 Share my number"))
    await act(standin, await standin.press(losers[0], "Skip"))  # the pre-screen
    await act(standin, await standin.press(losers[0], "✅ Confirm booking"))
    assert any("Booked!" in t for t in texts(standin, losers[0].id))
    await stop()


async def test_the_database_itself_refuses_a_second_active_booking_of_a_seat(
    database: Database,
) -> None:
    now = MONDAY_10AM

    def appointment(patient_id: int, status: str = "requested") -> Appointment:
        return Appointment(
            patient_id=patient_id,
            starts_at=TUESDAY_10AM,
            ends_at=TUESDAY_10AM + timedelta(minutes=30),
            seat=0,
            status=status,
            name="X",
            phone="+14165550123",
            created_at=now,
            updated_at=now,
        )

    async with database.transaction() as session:
        for n in (1, 2, 3):
            session.add(
                Patient(id=n, telegram_id=n, first_name="P", reachable=True, created_at=now)
            )
        await session.flush()
        session.add(appointment(1, status="cancelled"))  # a freed seat holds nothing
        session.add(appointment(2))
    with pytest.raises(IntegrityError):
        async with database.transaction() as session:
            session.add(appointment(3))
    async with database.transaction() as session:
        held = list(await session.scalars(select(Appointment.patient_id).order_by(Appointment.id)))
    assert held == [1, 2]
