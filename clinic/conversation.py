"""A patient's conversation as plain values: their place in a flow and the log of what
was said. db/ stores them (db.flow_states, db.messages); handlers read and change them
through the update's scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


@dataclass
class Flow:
    """Plain copy of the flow state that handlers read and change."""

    name: str | None = None
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    # As read from the database (None: no row yet), to write only what changed.
    _stored: tuple[str | None, str | None, dict[str, Any]] | None = field(
        default=None, repr=False, compare=False
    )

    def go(self, name: str | None, step: str | None = None, /, **data: Any) -> None:
        """Moves to a step, keeping the answers when staying in the same flow."""
        if name != self.name:
            self.data = {}
        self.name, self.step = name, step
        self.data.update(data)

    def reset(self) -> None:
        self.go(None)

    @property
    def changed(self) -> bool:
        stored = self._stored or (None, None, {})
        return (self.name, self.step, self.data) != stored


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


@dataclass(frozen=True)
class LogEntry:
    """One message in or out of a patient's chat, as the message log keeps it."""

    direction: Direction
    kind: str
    text: str | None
    at: datetime
    telegram_message_id: int | None = None
    update_id: int | None = None
