"""The message log: every message in and out of a patient's chat."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import MessageLog


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


@dataclass(frozen=True)
class LogEntry:
    direction: Direction
    kind: str
    text: str | None
    at: datetime
    telegram_message_id: int | None = None
    update_id: int | None = None


def add_to_log(session: AsyncSession, *, patient_id: int, entries: Iterable[LogEntry]) -> None:
    session.add_all(
        MessageLog(
            patient_id=patient_id,
            direction=entry.direction.value,
            kind=entry.kind,
            text=entry.text,
            telegram_message_id=entry.telegram_message_id,
            update_id=entry.update_id,
            at=entry.at,
        )
        for entry in entries
    )
