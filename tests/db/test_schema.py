"""Migrations: they build the schema the models describe, on both backends, both ways."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
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
    assert status.up_to_date and status.current == "0011"
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


async def test_upgrading_keeps_the_rows_already_there(database: Database) -> None:
    """Migrations after 0002 (some copy tables on SQLite) keep appointments and messages."""
    config = alembic_config()

    def to(revision: str, connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.downgrade(config, revision) if revision < "0003" else command.upgrade(
            config, revision
        )

    async with database.engine.begin() as connection:
        await connection.run_sync(lambda c: to("0002", c))
        await connection.execute(
            text(
                "INSERT INTO patient (id, telegram_id, first_name, reachable, created_at) "
                "VALUES (1, 1, 'Ana', true, '2026-11-23 15:00:00+00:00')"
            )
        )
        await connection.execute(
            text(
                "INSERT INTO appointment (id, patient_id, starts_at, ends_at, seat, status, "
                "name, phone, created_at, updated_at) VALUES (1, 1, '2026-11-24 15:00:00+00:00', "
                "'2026-11-24 15:30:00+00:00', 0, 'confirmed', 'Ana', '+14165550123', "
                "'2026-11-23 15:00:00+00:00', '2026-11-23 15:00:00+00:00')"
            )
        )
        await connection.execute(
            text(
                "INSERT INTO outbox (kind, chat_id, patient_id, appointment_id, payload, due_at, "
                "status, attempts, created_at) VALUES ('reminder', 1, 1, 1, '{}', "
                "'2026-11-24 13:00:00+00:00', 'pending', 0, '2026-11-23 15:00:00+00:00')"
            )
        )
    await upgrade_to_head(database.engine)
    async with database.engine.connect() as connection:
        rows = (await connection.execute(text("SELECT kind, status FROM outbox"))).all()
        booked = (await connection.execute(text("SELECT status FROM appointment"))).all()
    assert rows == [("reminder", "pending")]
    assert booked == [("confirmed",)]
