"""Migrations: they build the schema the models describe, on both backends, both ways."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from db.engine import Database
from db.models import Base
from db.schema import alembic_config, schema_status, upgrade_to_head


async def test_migrations_match_the_models(database: Database) -> None:
    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with database.engine.connect() as connection:
        assert await connection.run_sync(differences) == []


async def test_schema_status_and_a_second_upgrade(database: Database) -> None:
    status = await schema_status(database.engine)
    assert status.up_to_date and status.current == "0002"
    await upgrade_to_head(database.engine)  # already there: does nothing
    assert (await schema_status(database.engine)).up_to_date


async def test_downgrade_to_nothing_and_up_again(database: Database) -> None:
    config = alembic_config()

    def downgrade(connection: Connection) -> list[str]:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
        return [name for name in inspect(connection).get_table_names() if name != "alembic_version"]

    async with database.engine.begin() as connection:
        assert await connection.run_sync(downgrade) == []
    await upgrade_to_head(database.engine)
    assert (await schema_status(database.engine)).up_to_date
