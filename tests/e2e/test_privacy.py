"""/mydata sends everything kept about the patient; /forget deletes it; old messages expire."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select

from bot.housekeeping import housekeeping
from bot.playground.botapi import StandIn, User
from db.models import Appointment, Base, MessageLog, OutboxMessage
from tests.conftest import FakeClock, RunningBot, start_bot
from tests.e2e.test_aftercare import opt_in, press
from tests.e2e.test_booking import MONDAY_10AM, STAFF, act, appointments_of, book, texts
from tests.e2e.test_prescreen import QUESTIONS
from tests.e2e.test_staff_workspace import card_of


async def a_patient_with_every_kind_of_record(
    standin: StandIn, clock: FakeClock, ana: User, maria: User
) -> None:
    """A consultation that took place, one ahead, a started pre-screen, an aftercare
    plan with a check-in, and the conversation along the way."""
    await book(standin, ana, "Tue 24 Nov", "10:00\u202fa.m.")
    await act(
        standin, await standin.press(maria, "✅ Confirm", message=await card_of(standin, "Ana"))
    )
    clock.advance(days=1, hours=1)  # Tuesday 11:00 a.m.
    await act(standin, await standin.send_group_text(maria, STAFF, "/today"))
    agenda = standin.bot_messages(STAFF)[-1]
    await act(standin, await standin.press(maria, "10:00\u202fa.m. Ana Silva", message=agenda))
    await act(
        standin, await standin.press(maria, "✔️ Came", message=standin.bot_messages(STAFF)[-1])
    )
    await book(standin, ana, "Thu 26 Nov", "2:00\u202fp.m.")
    await opt_in(standin, ana)
    await act(standin, await standin.send_text(ana, "/aftercare"))
    await press(standin, ana, "📋 Today's care")
    await press(standin, ana, "😊 Healing as expected")
    await act(standin, await standin.send_text(ana, "/prescreen"))
    await press(standin, ana, "✅ I agree, let's start")
    await press(standin, ana, "No")


async def rows_naming(running: RunningBot, user: User, *values: str) -> list[tuple[str, Any]]:
    """Every (table, row) in the database holding the user's Telegram id or one of `values`."""
    found = []
    async with running.database.transaction() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).all():
                cells = [str(cell) for cell in row if cell is not None]
                if any(cell == str(user.id) or cell == user.first_name for cell in cells) or any(
                    value in cell for value in values for cell in cells
                ):
                    found.append((table.name, row))
    return found


async def test_mydata_then_forget(
    standin: StandIn, database_url: str, ana: User, maria: User
) -> None:
    clock = FakeClock(MONDAY_10AM)
    running, stop = await start_bot(standin, database_url, clock=clock, staff_chat_id=STAFF)
    await a_patient_with_every_kind_of_record(standin, clock, ana, maria)

    await act(standin, await standin.send_text(ana, "/mydata"))
    sent = standin.bot_messages(ana.id)[-1]
    assert sent.document is not None and sent.document["file_name"] == "my-data.json"
    assert sent.document_bytes is not None
    data = json.loads(sent.document_bytes)
    assert data["profile"]["telegram_id"] == ana.id
    assert data["profile"]["phone"] == "+14165550123"
    assert data["consent"]["health_questions_agreed_at"] is not None
    [prescreen] = data["prescreens"]
    assert [answer["answer"] for answer in prescreen["answers"]] == [1]
    assert [a["status"] for a in data["appointments"]] == ["completed", "requested"]
    [plan] = data["aftercare_plans"]
    assert (plan["laser"], plan["status"]) == ("co2", "active")
    assert [checkin["answer"] for checkin in plan["checkins"]] == ["ok"]
    assert {m["kind"] for m in data["scheduled_messages"]} >= {"nudge"}
    assert {"direction": "in", "kind": "command", "text": "/book"}.items() <= data["messages"][
        0
    ].items()
    assert "Silva" in sent.document_bytes.decode()

    # Typed by accident: nothing happens without the confirmation.
    await act(standin, await standin.send_text(ana, "/forget"))
    assert "Delete your data?" in (standin.screen(ana.id).text or "")
    # What the bot posted to the staff group stays there, and the patient is told.
    assert "staff group (booking cards, alerts, exported lists) stays there" in (
        standin.screen(ana.id).text or ""
    )
    await press(standin, ana, "« No, keep it")
    assert texts(standin, ana.id)[-1] == "Nothing was deleted."
    assert len(await appointments_of(running)) == 2

    await act(standin, await standin.send_text(ana, "/forget"))
    await press(standin, ana, "🗑 Yes, delete my data")
    assert "Your data has been deleted." in texts(standin, ana.id)[-1]
    assert "Messages already in the clinic's staff group stay there" in texts(standin, ana.id)[-1]
    await standin.wait_for(
        lambda: any(
            "asked to delete their data" in (m.text or "") for m in standin.bot_messages(STAFF)
        ),
        what="the staff notice",
    )
    notice = standin.bot_messages(STAFF)[-1].text or ""
    assert "Thu 26 Nov 2026 at 2:00\u202fp.m." in notice and "Silva" not in notice

    assert await rows_naming(running, ana, "Silva", "4165550123") == []
    # The consultation that took place stays as the clinic's record, without the patient.
    [kept] = await appointments_of(running)
    assert (kept.status, kept.patient_id, kept.name, kept.phone) == ("completed", None, None, None)
    # Staff still see that the time was kept, without whom.
    await act(standin, await standin.send_group_text(maria, STAFF, "/today"))
    assert "10:00\u202fa.m. · (data deleted) · ✔️ came" in (
        standin.bot_messages(STAFF)[-1].text or ""
    )
    await stop()


async def test_messages_older_than_the_retention_are_purged_by_the_clean_up(
    standin: StandIn, database_url: str, ana: User
) -> None:
    clock = FakeClock(MONDAY_10AM)
    running, stop = await start_bot(
        standin, database_url, clock=clock, message_log_retention_days=30
    )
    await act(standin, await standin.send_text(ana, "an old question"))
    clock.advance(days=31)
    await act(standin, await standin.send_text(ana, "a new question"))
    await housekeeping(SimpleNamespace(bot_data=running.application.bot_data))  # type: ignore[arg-type]
    async with running.database.transaction() as session:
        kept = list(
            await session.scalars(select(MessageLog.text).where(MessageLog.direction == "in"))
        )
        appointments = await session.scalar(select(func.count()).select_from(Appointment))
    assert kept == ["a new question"]
    assert appointments == 0
    await stop()


async def test_staff_see_the_pre_screen_outcome_never_its_questions_or_answers(
    standin: StandIn, database_url: str, ana: User, maria: User
) -> None:
    """A patient answers "Yes" to pregnancy: /patient shows "not now, on <day>", and the
    message log keeps that pre-screen steps happened, not the questions or answers."""
    clock = FakeClock(MONDAY_10AM)
    running, stop = await start_bot(standin, database_url, clock=clock, staff_chat_id=STAFF)
    await book(standin, ana, "Tue 24 Nov", "10:00\u202fa.m.")  # so that /patient finds her
    await act(standin, await standin.send_text(ana, "/prescreen"))
    await press(standin, ana, "✅ I agree, let's start")
    for question in QUESTIONS:
        if question.answers == ("Yes", "No"):
            label = "Yes" if question.key == "pregnant" else "No"
        else:
            label = question.answers[0]
        await press(standin, ana, label)
    assert "Pregnancy or breastfeeding" in (standin.screen(ana.id).text or "")
    # Typed words in the middle of a health step are not kept either.
    await act(standin, await standin.send_text(ana, "I am 12 weeks pregnant"))

    await act(standin, await standin.send_group_text(maria, STAFF, "/patient Silva"))
    found = standin.bot_messages(STAFF)[-1].text or ""
    assert "Pre-screen: not now, the clinic must see them first, on Mon 23 Nov 2026" in found
    assert "a pre-screen step" in found
    shown = found.lower()
    for question in QUESTIONS:
        assert question.text.lower() not in shown
    assert "pregnan" not in shown and "→ yes" not in shown and "yes" not in shown.split()

    async with running.database.transaction() as session:
        logged = [
            (kind, text or "")
            for kind, text in (await session.execute(select(MessageLog.kind, MessageLog.text)))
        ]
    assert ("prescreen", "") in logged
    everything = " ".join(text for _, text in logged).lower()
    assert "pregnan" not in everything and "breastfeeding" not in everything
    for question in QUESTIONS:
        assert question.text.lower() not in everything
        for answer in question.answers:
            if answer not in ("Yes", "No"):
                assert answer.lower() not in everything
    assert not any(text in ("Yes", "No") for _, text in logged)
    await stop()


async def table_counts(running: RunningBot) -> dict[str, int]:
    async with running.database.transaction() as session:
        return {
            table.name: int(await session.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
        }


async def clean_up(running: RunningBot) -> None:
    await housekeeping(SimpleNamespace(bot_data=running.application.bot_data))  # type: ignore[arg-type]


async def test_every_kind_of_personal_data_goes_after_its_retention_period(
    standin: StandIn, database_url: str, ana: User, ben: User, maria: User
) -> None:
    clock = FakeClock(MONDAY_10AM)
    running, stop = await start_bot(
        standin,
        database_url,
        clock=clock,
        staff_chat_id=STAFF,
        message_log_retention_days=10,
        conversation_retention_days=5,
        update_retention_days=2,
        outbox_retention_days=3,
        record_retention_days=30,
    )
    # Monday: Ana books (staff decline it), takes the whole pre-screen; Ben starts one.
    await book(standin, ana, "Tue 24 Nov", "10:00\u202fa.m.")
    await act(
        standin, await standin.press(maria, "✖️ Decline", message=await card_of(standin, "Ana"))
    )
    await act(standin, await standin.send_text(ana, "/prescreen"))
    await press(standin, ana, "✅ I agree, let's start")
    for question in QUESTIONS:
        await press(
            standin, ana, "No" if question.answers == ("Yes", "No") else question.answers[0]
        )
    await act(standin, await standin.send_text(ben, "/prescreen"))
    await press(standin, ben, "✅ I agree, let's start")
    await press(standin, ben, "No")
    for _ in range(100):  # every message sent: none is pending, to be kept
        async with running.database.transaction() as session:
            pending = await session.scalar(
                select(func.count()).where(OutboxMessage.status == "pending")
            )
        if not pending:
            break
        await asyncio.sleep(0.05)
    before = await table_counts(running)
    assert before["prescreen"] == 2 and before["flow_state"] == 2 and before["outbox"] > 0

    # A second's margin on each side of every period: older goes, newer stays.
    clock.advance(days=6)
    await clean_up(running)
    counts = await table_counts(running)
    assert counts["processed_update"] == 0  # 2 days
    assert counts["outbox"] == 0  # 3 days, all sent
    assert counts["flow_state"] == 0  # 5 days
    assert counts["prescreen"] == 1  # Ben's unfinished one went (5 days); Ana's result stays
    assert counts["prescreen_answer"] == len(QUESTIONS)
    assert counts["message_log"] == before["message_log"]  # 10 days
    assert (counts["appointment"], counts["patient"]) == (1, 2)

    await act(standin, await standin.send_text(ben, "hello again"))
    clock.advance(days=5)  # Monday's messages are 11 days old, Ben's new ones 5
    await clean_up(running)
    async with running.database.transaction() as session:
        kept = list(
            await session.scalars(select(MessageLog.text).where(MessageLog.direction == "in"))
        )
    assert kept == ["hello again"]
    counts = await table_counts(running)
    assert counts["processed_update"] == 0
    assert (counts["appointment"], counts["prescreen"], counts["patient"]) == (1, 1, 2)

    # 30 days after Ana's consultation time and her pre-screen: her records go, and
    # then her profile, nothing being left about her; Ben's, silent for 26 days, too.
    clock.advance(days=21)
    await clean_up(running)
    counts = await table_counts(running)
    for table in ("appointment", "prescreen", "prescreen_answer", "patient", "message_log"):
        assert counts[table] == 0, table
    assert await rows_naming(running, ana, "Silva", "4165550123") == []
    await stop()
