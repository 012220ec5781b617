"""The playground's moving parts: a local Bot API server, the real bot on it, the
patients a visitor plays, and a clock the visitor can move.

Nothing here is a mock of the bot: it is the Application `clinic-bot run` builds, with
its database, scheduler and outbox, talking HTTP to the same stand-in Bot API server
the end-to-end tests use. Only the clock is the visitor's: real time plus an offset
they move, read by the bot through the clock every service already takes.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.playground.botapi import StandIn, User
from clinic.clock import utc_now
from handlers.context import ClinicApp

log = logging.getLogger(__name__)

STAFF_CHAT_ID = -1001000000001
# The staff member the visitor plays in the staff group.
STAFF_MEMBER = User(7001, "Maria", "Staff")
FIRST_PATIENT = User(1001, "Ana", "Silva")
STATE_FILE = "playground.json"
DATABASE_FILE = "playground.db"


class ShiftedClock:
    """Real time plus an offset the visitor moves ("+1 hour", "tomorrow 8:59")."""

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self.offset = offset

    def __call__(self) -> datetime:
        return utc_now() + self.offset

    def jump_to(self, instant: datetime) -> None:
        """Moves the clock forward to `instant`; it never goes back, as a clinic's day
        does not (messages already sent would be due again)."""
        self.offset += max(timedelta(0), instant - self())


@dataclass
class Playground:
    standin: StandIn
    application: ClinicApp
    clock: ShiftedClock
    data_dir: Path
    patients: list[User] = field(default_factory=lambda: [FIRST_PATIENT])

    def patient(self, patient_id: int) -> User:
        for patient in self.patients:
            if patient.id == patient_id:
                return patient
        raise KeyError(patient_id)

    def add_patient(self, first_name: str, last_name: str | None, language: str) -> User:
        patient = User(
            max(p.id for p in self.patients) + 1,
            first_name.strip()[:64] or "Patient",
            (last_name or "").strip()[:64] or None,
            language_code=language if language in ("en", "fr") else "en",
        )
        self.patients.append(patient)
        self.save()
        return patient

    def phone_of(self, patient: User) -> str:
        """The number a patient shares: a fictional Toronto one (555-01xx is reserved)."""
        return f"1416555{100 + patient.id % 100:04d}"

    # -- kept between runs, beside the database -------------------------------------------

    def save(self) -> None:
        state = {
            "clock_offset_seconds": self.clock.offset.total_seconds(),
            "patients": [
                {
                    "id": p.id,
                    "first_name": p.first_name,
                    "last_name": p.last_name,
                    "language_code": p.language_code,
                }
                for p in self.patients
            ],
        }
        (self.data_dir / STATE_FILE).write_text(json.dumps(state, indent=2))


def load_state(data_dir: Path) -> tuple[timedelta, list[User]]:
    """The clock's offset and the patients of an earlier run, if any."""
    path = data_dir / STATE_FILE
    if not path.exists():
        return timedelta(0), [FIRST_PATIENT]
    try:
        state: dict[str, Any] = json.loads(path.read_text())
        patients = [
            User(int(p["id"]), str(p["first_name"]), p.get("last_name"), p["language_code"])
            for p in state["patients"]
        ]
        return timedelta(seconds=float(state["clock_offset_seconds"])), patients or [FIRST_PATIENT]
    except (ValueError, KeyError, TypeError):
        log.warning("%s is unreadable: starting with a fresh clock and patient list", path)
        return timedelta(0), [FIRST_PATIENT]
