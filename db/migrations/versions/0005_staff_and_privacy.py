"""Staff group moves, and appointments kept without the patient after /forget.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = sa.text("status IN ('requested', 'confirmed')")


def _active_slot_index() -> None:
    op.create_index(
        "uq_appointment_active_slot",
        "appointment",
        ["starts_at", "seat"],
        unique=True,
        postgresql_where=ACTIVE,
        sqlite_where=ACTIVE,
    )


def upgrade() -> None:
    op.create_table(
        "chat_migration",
        sa.Column("old_chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("new_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("migrated_at", db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("old_chat_id", name=op.f("pk_chat_migration")),
    )
    # The partial index is dropped and made again around the SQLite table copy, so
    # that its WHERE clause cannot be lost in reflection.
    op.drop_index("uq_appointment_active_slot", "appointment")
    with op.batch_alter_table("appointment") as batch:
        batch.alter_column("patient_id", existing_type=sa.BigInteger(), nullable=True)
        batch.alter_column("name", existing_type=sa.String(128), nullable=True)
        batch.alter_column("phone", existing_type=sa.String(20), nullable=True)
    _active_slot_index()


def downgrade() -> None:
    # Appointments kept after a patient was forgotten have no patient to go back to.
    op.execute("DELETE FROM appointment WHERE patient_id IS NULL")
    op.drop_index("uq_appointment_active_slot", "appointment")
    with op.batch_alter_table("appointment") as batch:
        batch.alter_column("patient_id", existing_type=sa.BigInteger(), nullable=False)
        batch.alter_column("name", existing_type=sa.String(128), nullable=False)
        batch.alter_column("phone", existing_type=sa.String(20), nullable=False)
    _active_slot_index()
    op.drop_table("chat_migration")
