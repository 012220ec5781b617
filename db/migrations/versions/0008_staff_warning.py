"""Warnings given to the staff group once (the clinic's closed dates running out).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_warning",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("sent_at", db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_staff_warning")),
    )


def downgrade() -> None:
    op.drop_table("staff_warning")
