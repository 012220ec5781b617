"""The pre-screen flow's steps and its typed state (its part of Flow.data)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

FLOW = "prescreen"
CONSENT, RESUME, QUESTION, RESULT = "consent", "resume", "question", "result"


@dataclass(frozen=True)
class State:
    """What the flow remembers between updates: the run on screen, if any."""

    run: int | None = None

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> State:
        run = data.get("run")
        return cls(run=int(run) if run is not None else None)

    def to_data(self) -> dict[str, Any]:
        return {} if self.run is None else {"run": self.run}
