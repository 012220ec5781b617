"""db.flow_states: a patient's place in a conversation, read and written per update."""

from __future__ import annotations

from sqlalchemy import event, select, update

from clinic.conversation import Flow
from db.engine import Database
from db.flow_states import Visitor, open_conversation, save_flow
from db.models import Patient
from tests.db.support import NOW

ANA = Visitor(telegram_id=42, first_name="Ana", last_name=None, username=None, language_code="en")


async def test_flow_state_round_trip(database: Database) -> None:
    async with database.transaction() as session:
        patient_id, flow, _, _ = await open_conversation(session, visitor=ANA, now=NOW)
        assert flow == Flow()
        flow.go("prescreen", "q4", answers={"q1": 2})
        await save_flow(session, patient_id=patient_id, flow=flow, now=NOW)
    async with database.transaction() as session:
        again, loaded, _, _ = await open_conversation(session, visitor=ANA, now=NOW)
    assert (again, loaded) == (patient_id, Flow("prescreen", "q4", {"answers": {"q1": 2}}))


async def test_a_known_patient_with_nothing_new_costs_one_read(database: Database) -> None:
    """An update from a patient we know reads them and their flow in one statement and
    writes nothing back unless something changed."""
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement.split()[0].upper())

    async with database.transaction() as session:
        patient_id, flow, _, _ = await open_conversation(session, visitor=ANA, now=NOW)
        flow.go("faq", "list")
        await save_flow(session, patient_id=patient_id, flow=flow, now=NOW)
        await session.execute(update(Patient).values(reachable=False))  # Ana blocked us
    event.listen(database.engine.sync_engine, "before_cursor_execute", seen)
    try:
        async with database.transaction() as session:
            _, flow, _, returned = await open_conversation(session, visitor=ANA, now=NOW)
            await save_flow(session, patient_id=patient_id, flow=flow, now=NOW)
        assert returned  # she had blocked us: the bot offers to resume her messages
        writes_back = [s for s in statements if s not in ("BEGIN", "SELECT")]
        statements.clear()
        async with database.transaction() as session:
            _, flow, _, _ = await open_conversation(session, visitor=ANA, now=NOW)
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
