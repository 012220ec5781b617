"""When staff are warned that the clinic's closed dates run out (services.closures
queues the warning). Pure: today's local date is a parameter."""

from __future__ import annotations

from datetime import date, timedelta

# How long before the last listed closed date staff are warned, at least.
WARN_AHEAD = timedelta(days=30)


def warning_due(closed: frozenset[date], horizon_days: int, today: date) -> date | None:
    """The last listed closed date if staff should be warned about it today, else None."""
    if not closed:
        return None
    last = max(closed)
    ahead = max(WARN_AHEAD, timedelta(days=horizon_days))
    return last if today >= last - ahead else None
