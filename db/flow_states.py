"""A patient's place in a conversation, read and written inside the update's transaction."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import FlowState


@dataclass
class Flow:
    """Plain copy of the flow state that handlers read and change."""

    name: str | None = None
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def go(self, name: str | None, step: str | None = None, /, **data: Any) -> None:
        """Moves to a step, keeping the answers when staying in the same flow."""
        if name != self.name:
            self.data = {}
        self.name, self.step = name, step
        self.data.update(data)

    def reset(self) -> None:
        self.go(None)


async def load_flow(session: AsyncSession, *, patient_id: int) -> Flow:
    """Reads the flow state, locking the row so a second process waits its turn."""
    row = (
        await session.execute(
            select(FlowState).where(FlowState.patient_id == patient_id).with_for_update()
        )
    ).scalar_one_or_none()
    if row is None:
        return Flow()
    return Flow(name=row.flow, step=row.step, data=copy.deepcopy(row.data or {}))


async def save_flow(session: AsyncSession, *, patient_id: int, flow: Flow, now: datetime) -> None:
    row = await session.get(FlowState, patient_id)
    if row is None:
        row = FlowState(patient_id=patient_id)
        session.add(row)
    if (row.flow, row.step, row.data) == (flow.name, flow.step, flow.data):
        return
    row.flow, row.step, row.data = flow.name, flow.step, copy.deepcopy(flow.data)
    row.updated_at = now
