"""Applying and checking Alembic migrations from the program itself."""

from __future__ import annotations

from dataclasses import dataclass

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine


def alembic_config() -> Config:
    config = Config()
    # A package path, so migrations are found wherever the project is installed.
    config.set_main_option("script_location", "db:migrations")
    return config


@dataclass(frozen=True)
class SchemaStatus:
    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


async def upgrade_to_head(engine: AsyncEngine) -> None:
    config = alembic_config()

    def _upgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    async with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            await connection.run_sync(_sqlite_foreign_keys, False)
        try:
            async with connection.begin():
                await connection.run_sync(_upgrade)
        finally:
            if sqlite:
                await connection.run_sync(_sqlite_foreign_keys, True)


def _sqlite_foreign_keys(connection: Connection, enabled: bool) -> None:
    """Turns SQLite's foreign keys off while migrating, as SQLite's manual advises.

    SQLite alters a table by copying it and dropping the original; with foreign keys
    on, that drop would cascade and delete the rows that point at the table. The pragma
    only works outside a transaction, hence the DB-API connection, which does not begin
    one the way SQLAlchemy's (BEGIN IMMEDIATE, see db.engine) does.
    """
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"PRAGMA foreign_keys={'ON' if enabled else 'OFF'}")
    finally:
        cursor.close()


async def schema_status(engine: AsyncEngine) -> SchemaStatus:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None

    def _current(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        current = await connection.run_sync(_current)
    return SchemaStatus(current=current, head=head)
