"""A patient's place in a conversation, read and written inside the update's transaction."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from clinic.conversation import Flow
from db.dialect import upsert_insert
from db.engine import core
from db.models import FlowState, Patient
from db.patients import upsert_patient


@dataclass(frozen=True)
class Visitor:
    """Who sent an update, as Telegram describes them."""

    telegram_id: int
    first_name: str
    last_name: str | None
    username: str | None
    language_code: str | None
    # The language a new patient is given: the one their language_code asks for.
    language: str | None = None


class Conversation(NamedTuple):
    patient_id: int
    flow: Flow
    # The language the patient is spoken to in; None: they have none stored yet (they
    # wrote before languages were kept), so follow their language_code.
    language: str | None
    # They write again after the bot found them unreachable (they had blocked it).
    returned: bool = False


async def open_conversation(
    session: AsyncSession, *, visitor: Visitor, now: datetime
) -> Conversation:
    """The patient's id and flow state, in one round trip for a patient we know.

    The patient row is locked (PostgreSQL) so that a second process handling the same
    patient waits its turn. FOR NO KEY UPDATE, not FOR UPDATE: another patient's update
    may still write rows that refer to this patient (a foreign key check takes KEY
    SHARE), as a booking that takes a freed time does when it tells everyone else
    offered it that it has gone, while they wait on that booking's seat.

    Telegram's names are written only when they changed, and a patient who writes to
    us is reachable again even if they had blocked the bot.
    """
    connection = await core(session)
    row = (
        await connection.execute(
            select(
                Patient.id,
                Patient.first_name,
                Patient.last_name,
                Patient.username,
                Patient.language_code,
                Patient.language,
                Patient.reachable,
                FlowState.flow,
                FlowState.step,
                FlowState.data,
                FlowState.patient_id.label("has_flow"),
            )
            .outerjoin(FlowState, FlowState.patient_id == Patient.id)
            .where(Patient.telegram_id == visitor.telegram_id)
            .with_for_update(of=Patient, key_share=True)
        )
    ).first()
    if row is None:
        patient_id = await upsert_patient(
            session,
            telegram_id=visitor.telegram_id,
            first_name=visitor.first_name,
            last_name=visitor.last_name,
            username=visitor.username,
            language_code=visitor.language_code,
            language=visitor.language,
            now=now,
        )
        return Conversation(patient_id, Flow(), visitor.language)
    names = (visitor.first_name, visitor.last_name, visitor.username, visitor.language_code)
    if (row.first_name, row.last_name, row.username, row.language_code) != names or not (
        row.reachable
    ):
        await connection.execute(
            update(Patient)
            .where(Patient.id == row.id)
            .values(
                first_name=visitor.first_name,
                last_name=visitor.last_name,
                username=visitor.username,
                language_code=visitor.language_code,
                reachable=True,
            )
        )
    returned = not row.reachable
    if row.has_flow is None:
        return Conversation(row.id, Flow(), row.language, returned)
    data = dict(row.data or {})
    flow = Flow(row.flow, row.step, data, _stored=(row.flow, row.step, copy.deepcopy(data)))
    return Conversation(row.id, flow, row.language, returned)


async def save_flow(session: AsyncSession, *, patient_id: int, flow: Flow, now: datetime) -> None:
    """Writes the flow state if the update changed it (one statement)."""
    if not flow.changed:
        return
    values = {"flow": flow.name, "step": flow.step, "data": flow.data, "updated_at": now}
    insert = upsert_insert(session, FlowState).values(patient_id=patient_id, **values)
    await (await core(session)).execute(
        insert.on_conflict_do_update(index_elements=["patient_id"], set_=values)
    )
    flow._stored = (flow.name, flow.step, copy.deepcopy(flow.data))
