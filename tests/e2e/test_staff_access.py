"""Who is staff: the staff group's administrators and STAFF_USER_IDS, not any member;
and the audit of what staff did (who, what, when), exported with /export audit."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.playground.botapi import ChatMessage, StandIn, User
from bot.staff_admins import fetch_admins
from db.models import Audit, OutboxMessage
from tests.conftest import FakeClock, RunningBot, start_bot
from tests.e2e.test_booking import (
    STAFF,
    act,
    appointments_of,
    book,
    staff_card,
    texts,
)

REFUSED = "Only clinic staff can do this."


@pytest.fixture
def tom() -> User:
    """In the staff group (anyone can be added to a group), neither admin nor listed."""
    return User(id=7002, first_name="Tom", last_name="Member")


@pytest.fixture
def lina() -> User:
    """A receptionist listed in STAFF_USER_IDS, not an administrator of the group."""
    return User(id=7003, first_name="Lina", last_name="Desk")


@pytest.fixture
async def listed(
    standin: StandIn, database_url: str, clock: FakeClock, lina: User
) -> AsyncIterator[RunningBot]:
    """The bot with a staff group, and Lina listed in STAFF_USER_IDS."""
    running, stop = await start_bot(
        standin, database_url, clock=clock, staff_chat_id=STAFF, staff_user_ids=f"{lina.id}"
    )
    yield running
    await stop()


async def audit_rows(running: RunningBot) -> list[Audit]:
    async with running.database.transaction() as session:
        return list(await session.scalars(select(Audit).order_by(Audit.id)))


async def no_message_due(running: RunningBot, clock: FakeClock) -> None:
    for _ in range(200):
        async with running.database.transaction() as session:
            due = await session.scalar(
                select(OutboxMessage.id).where(
                    OutboxMessage.status == "pending", OutboxMessage.due_at <= clock.now
                )
            )
        if due is None:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("messages due were not sent")


def answer_to(standin: StandIn, press: dict[str, object]) -> str | None:
    query = press["callback_query"]
    assert isinstance(query, dict)
    return standin.callback_answers[query["id"]]


async def request_card(standin: StandIn, user: User) -> ChatMessage:
    """The staff card of this patient's request, once it arrived."""

    def card() -> ChatMessage | None:
        for message in standin.bot_messages(STAFF):
            if f"👤 {user.first_name}" in (message.text or "") and "✅ Confirm" in (
                message.buttons()
            ):
                return message
        return None

    await standin.wait_for(lambda: card() is not None, what=f"the card of {user.first_name}")
    found = card()
    assert found is not None
    return found


async def staff_says(standin: StandIn, user: User, text: str) -> ChatMessage:
    before = len(standin.bot_messages(STAFF))
    await act(standin, await standin.send_group_text(user, STAFF, text))
    await standin.wait_for(lambda: len(standin.bot_messages(STAFF)) > before, what="an answer")
    return standin.bot_messages(STAFF)[-1]


async def test_a_group_member_who_is_not_staff_cannot_decide_on_a_card(
    clinic: RunningBot, ana: User, tom: User
) -> None:
    standin = clinic.standin
    await book(standin, ana, "Tue 24 Nov", "10:00\u202fa.m.")
    card = await staff_card(standin)
    shown = card.text
    told_ana = texts(standin, ana.id)
    for label in ("✅ Confirm", "✖️ Decline"):
        press = await standin.press(tom, label, message=card)
        await act(standin, press)
        assert answer_to(standin, press) == REFUSED
    [appointment] = await appointments_of(clinic)
    assert appointment.status == "requested" and appointment.decided_by is None
    assert card.text == shown and card.edits == 0
    assert texts(standin, ana.id) == told_ana  # the patient heard nothing
    assert await audit_rows(clinic) == []


async def test_an_administrator_and_a_listed_user_decide_and_each_decision_is_audited(
    listed: RunningBot, ana: User, ben: User, maria: User, lina: User
) -> None:
    standin = listed.standin
    # Maria administers the staff group (the stand-in's getChatAdministrators says so).
    assert ("getChatAdministrators", {"chat_id": str(STAFF)}) in standin.calls
    await book(standin, ana, "Tue 24 Nov", "10:00\u202fa.m.")
    card = await staff_card(standin)
    await act(standin, await standin.press(maria, "✅ Confirm", message=card))
    await book(standin, ben, "Tue 24 Nov", "10:30\u202fa.m.")
    ben_card = await request_card(standin, ben)
    await act(standin, await standin.press(lina, "✖️ Decline", message=ben_card))

    first, second = await appointments_of(listed)
    assert (first.status, first.decided_by) == ("confirmed", "Maria Lopez")
    assert (second.status, second.decided_by) == ("declined", "Lina Desk")
    rows = await audit_rows(listed)
    assert [(r.user_id, r.user_name, r.action, r.target_id) for r in rows] == [
        (maria.id, "Maria Lopez", "appointment.confirm", first.id),
        (lina.id, "Lina Desk", "appointment.decline", second.id),
    ]
    assert all(row.at == listed.application.bot_data["services"].clock() for row in rows)


async def test_being_promoted_or_demoted_in_the_group_counts_at_once(
    clinic: RunningBot, ana: User, maria: User, tom: User
) -> None:
    """A chat_member update about the staff group changes who is staff, with no fetch
    inside the update's transaction."""
    standin = clinic.standin
    await book(standin, ana, "Tue 24 Nov", "10:00\u202fa.m.")
    card = await staff_card(standin)
    refused = await standin.press(tom, "✅ Confirm", message=card)
    await act(standin, refused)
    assert answer_to(standin, refused) == REFUSED

    await act(standin, await standin.promote(STAFF, tom, by=maria))
    await act(standin, await standin.promote(STAFF, maria, admin=False, by=tom))
    press = await standin.press(maria, "✅ Confirm", message=card)
    await act(standin, press)
    assert answer_to(standin, press) == REFUSED
    assert (await appointments_of(clinic))[0].status == "requested"
    await act(standin, await standin.press(tom, "✅ Confirm", message=card))
    [appointment] = await appointments_of(clinic)
    assert (appointment.status, appointment.decided_by) == ("confirmed", "Tom Member")


async def test_patient_lookup_is_for_staff_and_audited(
    clinic: RunningBot, ana: User, maria: User, tom: User
) -> None:
    standin = clinic.standin
    await book(standin, ana, "Tue 24 Nov", "10:00\u202fa.m.")
    await staff_card(standin)

    refused = await staff_says(standin, tom, "/patient Silva")
    assert refused.text == REFUSED
    assert await audit_rows(clinic) == []

    found = await staff_says(standin, maria, "/patient Silva")
    assert "Ana Silva" in (found.text or "")
    await staff_says(standin, maria, "/patient Nobody")
    [appointment] = await appointments_of(clinic)
    rows = await audit_rows(clinic)
    assert [(r.user_id, r.action, r.target_id) for r in rows] == [
        (maria.id, "patient.view", appointment.patient_id),
        (maria.id, "patient.view", None),  # a search that found nobody
    ]


async def test_export_audit_sends_the_staff_actions_as_csv(
    clinic: RunningBot, ana: User, maria: User, tom: User
) -> None:
    standin = clinic.standin
    await book(standin, ana, "Tue 24 Nov", "10:00\u202fa.m.")
    card = await staff_card(standin)
    await act(standin, await standin.press(maria, "✅ Confirm", message=card))
    await staff_says(standin, maria, "/patient Ana")
    await staff_says(standin, maria, "/export")
    assert (await staff_says(standin, tom, "/export audit")).text == REFUSED

    sent = await staff_says(standin, maria, "/export audit")
    assert sent.document is not None and sent.document_bytes is not None
    assert sent.document["file_name"] == "audit-2026-10-24-to-2026-12-23.csv"
    assert sent.text == (
        "📎 4 staff actions, 2026-10-24 to 2026-12-23: who looked up a patient, "
        "exported, or decided on a card."
    )
    rows = list(csv.DictReader(io.StringIO(sent.document_bytes.decode("utf-8-sig"))))
    [appointment] = await appointments_of(clinic)
    assert [(r["user_id"], r["user_name"], r["action"], r["target_id"]) for r in rows] == [
        ("7001", "Maria Lopez", "appointment.confirm", str(appointment.id)),
        ("7001", "Maria Lopez", "patient.view", str(appointment.patient_id)),
        ("7001", "Maria Lopez", "export.appointments", ""),
        ("7001", "Maria Lopez", "export.audit", ""),
    ]
    # In the clinic's time: Monday 23 November, 10:00 a.m. in Toronto.
    assert {(r["date"], r["time"]) for r in rows} == {("2026-11-23", "10:00:00")}
    assert rows[2]["detail"] == "2026-10-24 2026-12-23"
    assert len(await audit_rows(clinic)) == 4


async def test_cancel_and_attendance_are_audited_with_what_was_chosen(
    clinic: RunningBot, clock: FakeClock, ana: User, ben: User, maria: User
) -> None:
    standin = clinic.standin
    for user, time in ((ana, "10:00\u202fa.m."), (ben, "10:30\u202fa.m.")):
        await book(standin, user, "Tue 24 Nov", time)
        card = await request_card(standin, user)
        await act(standin, await standin.press(maria, "✅ Confirm", message=card))
    first, second = await appointments_of(clinic)
    ana_card = next(m for m in standin.bot_messages(STAFF) if "Ana Silva" in (m.text or ""))
    await act(standin, await standin.press(maria, "✖️ Cancel", message=ana_card))
    await act(standin, await standin.press_data(maria, ana_card, f"staff:cr:{first.id}:2"))
    clock.advance(days=1, hours=1)  # Tuesday 11:00 a.m.: Ben's time has come
    # The reminders now due are dealt with first: a no-show pressed while the outbox tick
    # sends them can deadlock with it on PostgreSQL, which is not what this test is about.
    await no_message_due(clinic, clock)
    ben_card = next(m for m in standin.bot_messages(STAFF) if "👤 Ben" in (m.text or ""))
    # The card offers No-show once reopened (/today); its data is the same.
    await act(standin, await standin.press_data(maria, ben_card, f"staff:ns:{second.id}"))

    rows = await audit_rows(clinic)
    assert [(r.action, r.target_id, r.detail) for r in rows] == [
        ("appointment.confirm", first.id, None),
        ("appointment.confirm", second.id, None),
        ("appointment.cancel", first.id, "reason 2"),
        ("appointment.no_show", second.id, None),
    ]
    assert [a.status for a in await appointments_of(clinic)] == ["cancelled", "no_show"]


async def test_without_telegram_s_list_only_listed_users_act_until_a_fetch_works(
    standin: StandIn,
    database_url: str,
    clock: FakeClock,
    ana: User,
    maria: User,
    lina: User,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """getChatAdministrators failing at start does not stop the bot: STAFF_USER_IDS work,
    the failure is logged once, and the next fetch brings the administrators back."""
    standin.fail("getChatAdministrators", 502, times=2)
    running, stop = await start_bot(
        standin, database_url, clock=clock, staff_chat_id=STAFF, staff_user_ids=str(lina.id)
    )
    services = running.application.bot_data["services"]
    try:
        await book(standin, ana, "Tue 24 Nov", "10:00\u202fa.m.")
        card = await staff_card(standin)
        press = await standin.press(maria, "✅ Confirm", message=card)
        await act(standin, press)
        assert answer_to(standin, press) == REFUSED
        # The tick's fetch fails again: logged once, the list stays as it was.
        assert await fetch_admins(running.application.bot, services) is False
        failures = [
            r
            for r in caplog.records
            if r.name == "bot.staff_admins" and r.getMessage().startswith("could not fetch")
        ]
        # Once, and as a warning: a 502 passes (a refusal would be an error).
        assert [r.levelno for r in failures] == [logging.WARNING]
        assert services.staff.stale

        assert await fetch_admins(running.application.bot, services) is True
        assert services.staff.admins == {maria.id} and not services.staff.stale
        await act(standin, await standin.press(maria, "✅ Confirm", message=card))
        [appointment] = await appointments_of(running)
        assert (appointment.status, appointment.decided_by) == ("confirmed", "Maria Lopez")
    finally:
        await stop()
