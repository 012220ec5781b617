"""Pre-screen: runs of the questionnaire, their answers, and the link from a booking.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "prescreen",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("patient_id", BigId, nullable=False),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("started_at", db.types.UTCDateTime(), nullable=False),
        sa.Column("completed_at", db.types.UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("not_now", sa.JSON(), nullable=True),
        sa.Column("flags", sa.JSON(), nullable=True),
        sa.Column("fitzpatrick_total", sa.Integer(), nullable=True),
        sa.Column("skin_type", sa.String(8), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('not_now', 'discuss', 'no_concerns')", name=op.f("ck_prescreen_outcome")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_prescreen_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prescreen")),
    )
    op.create_index("ix_prescreen_patient_started", "prescreen", ["patient_id", "started_at"])
    op.create_table(
        "prescreen_answer",
        sa.Column("prescreen_id", BigId, nullable=False),
        sa.Column("question_key", sa.String(32), nullable=False),
        sa.Column("answer", sa.SmallInteger(), nullable=False),
        sa.Column("answered_at", db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["prescreen_id"],
            ["prescreen.id"],
            name=op.f("fk_prescreen_answer_prescreen_id_prescreen"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("prescreen_id", "question_key", name=op.f("pk_prescreen_answer")),
    )
    # On SQLite this is a batch (copy and rename): db.schema turns foreign keys off
    # while migrating, so dropping the old table does not cascade to the outbox.
    with op.batch_alter_table("appointment") as batch:
        batch.add_column(sa.Column("prescreen_id", BigId, nullable=True))
        batch.create_foreign_key(
            op.f("fk_appointment_prescreen_id_prescreen"),
            "prescreen",
            ["prescreen_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("appointment") as batch:
        batch.drop_constraint(op.f("fk_appointment_prescreen_id_prescreen"), type_="foreignkey")
        batch.drop_column("prescreen_id")
    op.drop_table("prescreen_answer")
    op.drop_table("prescreen")
