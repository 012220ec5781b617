"""Alembic environment: shares the caller's connection, or opens one from DATABASE_URL
(db.settings: nothing of bot/ is imported here)."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from db.engine import create_engine
from db.models import Base
from db.settings import DatabaseSettings

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    # Batch mode lets later migrations alter tables on SQLite, which has little ALTER.
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_from_url() -> None:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        # The alembic command line: DATABASE_URL, from the environment or `.env`.
        url = DatabaseSettings().database_url
    engine = create_engine(url)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_from_url())
