"""The long-term check-in: one row per patient, the newest treatment it counts from,
and whether the patient turned these check-ins off.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "followup",
        sa.Column("patient_id", BigId, nullable=False),
        sa.Column("treated_on", sa.Date(), nullable=True),
        sa.Column("off_at", db.types.UTCDateTime(), nullable=True),
        sa.Column("answer", sa.String(8), nullable=True),
        sa.Column("answered_at", db.types.UTCDateTime(), nullable=True),
        sa.Column("updated_at", db.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint("answer IN ('holding', 'consult')", name=op.f("ck_followup_answer")),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_followup_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("patient_id", name=op.f("pk_followup")),
    )


def downgrade() -> None:
    op.drop_table("followup")
