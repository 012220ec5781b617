"""The outbox lease (rows claimed in batches, sent outside any transaction), and the
inbox (updates kept from fetching to handling).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNHANDLED = sa.text("handled_at IS NULL")
PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    # A plain ALTER TABLE ADD COLUMN on both backends: no SQLite table copy, so the
    # partial index on pending rows stays as it is.
    op.add_column("outbox", sa.Column("claimed_until", db.types.UTCDateTime(), nullable=True))
    op.add_column("outbox", sa.Column("claimed_by", sa.BigInteger(), nullable=True))
    _pending_index("due_at", "id")
    op.add_column("processed_update", sa.Column("payload", sa.JSON(), nullable=True))
    op.add_column(
        "processed_update", sa.Column("handled_at", db.types.UTCDateTime(), nullable=True)
    )
    op.execute("UPDATE processed_update SET handled_at = processed_at")
    op.create_index(
        "ix_processed_update_unhandled",
        "processed_update",
        ["update_id"],
        postgresql_where=UNHANDLED,
        sqlite_where=UNHANDLED,
    )


def _pending_index(*columns: str) -> None:
    op.drop_index("ix_outbox_pending_due", "outbox")
    op.create_index(
        "ix_outbox_pending_due",
        "outbox",
        list(columns),
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )


def downgrade() -> None:
    _pending_index("due_at")
    op.drop_index("ix_processed_update_unhandled", "processed_update")
    with op.batch_alter_table("processed_update") as batch:
        batch.drop_column("handled_at")
        batch.drop_column("payload")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("claimed_by")
        batch.drop_column("claimed_until")
