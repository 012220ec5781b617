"""The outbox lease: rows are claimed in batches and sent outside any transaction.

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


def upgrade() -> None:
    # A plain ALTER TABLE ADD COLUMN on both backends: no SQLite table copy, so the
    # partial index on pending rows stays as it is.
    op.add_column("outbox", sa.Column("claimed_until", db.types.UTCDateTime(), nullable=True))
    op.add_column("outbox", sa.Column("claimed_by", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("claimed_by")
        batch.drop_column("claimed_until")
