"""Logging: one line per event, ids and event names only, never what patients wrote."""

from __future__ import annotations

import logging

# Our own code logs ids and event names at every level, DEBUG included.
OWN_PACKAGES = ("bot", "handlers", "services", "clinic", "db")


def configure_logging(level: str) -> None:
    # Libraries log request parameters and SQL values at DEBUG (python-telegram-bot the
    # message texts, aiosqlite the rows written), so they never go below INFO.
    libraries = max(logging.getLevelName(level), logging.INFO)
    logging.basicConfig(
        level=libraries,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    for package in OWN_PACKAGES:
        logging.getLogger(package).setLevel(level)
    # httpx logs each request URL at INFO, and the URL carries the bot token.
    for noisy in ("httpx", "httpcore", "apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
