"""DATABASE_URL: which database, read by the bot's settings and by Alembic's command line.

It lives here, not in bot/, so that `alembic` (db/migrations/env.py) finds the URL
without importing the bot.
"""

from __future__ import annotations

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

# Drivers the project is built and tested on; anything else is a typo or a sync driver.
SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")


class DatabaseSettings(BaseSettings):
    # As bot.settings reads every other setting: the environment, then `.env`; an empty
    # value means unset.
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    database_url: str = "sqlite+aiosqlite:///clinic.db"

    @field_validator("database_url")
    @classmethod
    def _supported_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError("malformed") from exc
        if url.drivername not in SUPPORTED_DRIVERS:
            raise ValueError("unsupported driver")
        if url.drivername.startswith("sqlite") and not url.database:
            raise ValueError("an in-memory database would lose everything on restart")
        return value

    @property
    def url(self) -> URL:
        return make_url(self.database_url)
