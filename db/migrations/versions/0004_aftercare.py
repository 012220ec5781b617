"""Aftercare: plans, check-ins, and the outbox rows that belong to a plan.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
SENDING = sa.text("status = 'active'")


def upgrade() -> None:
    op.create_table(
        "aftercare_plan",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("patient_id", BigId, nullable=False),
        sa.Column("laser", sa.String(8), nullable=False),
        sa.Column("treated_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("send_at", sa.Time(), nullable=True),
        sa.Column("last_nudge_day", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.String(128), nullable=True),
        sa.Column("appointment_id", BigId, nullable=True),
        sa.Column("created_at", db.types.UTCDateTime(), nullable=False),
        sa.Column("started_at", db.types.UTCDateTime(), nullable=True),
        sa.Column("ended_at", db.types.UTCDateTime(), nullable=True),
        sa.Column("end_reason", sa.String(16), nullable=True),
        sa.CheckConstraint("laser IN ('co2', 'erbium')", name=op.f("ck_aftercare_plan_laser")),
        sa.CheckConstraint(
            "status IN ('invited', 'declined', 'active', 'stopped', 'completed')",
            name=op.f("ck_aftercare_plan_status"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_aftercare_plan_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_aftercare_plan_appointment_id_appointment"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aftercare_plan")),
    )
    op.create_index(
        "uq_aftercare_plan_active",
        "aftercare_plan",
        ["patient_id"],
        unique=True,
        postgresql_where=SENDING,
        sqlite_where=SENDING,
    )
    op.create_index("ix_aftercare_plan_appointment_id", "aftercare_plan", ["appointment_id"])
    op.create_table(
        "aftercare_checkin",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("plan_id", BigId, nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("answer", sa.String(8), nullable=False),
        sa.Column("sign", sa.String(32), nullable=True),
        sa.Column("at", db.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "answer IN ('ok', 'worried', 'sign')", name=op.f("ck_aftercare_checkin_answer")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["aftercare_plan.id"],
            name=op.f("fk_aftercare_checkin_plan_id_aftercare_plan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aftercare_checkin")),
    )
    op.create_index("ix_aftercare_checkin_plan_at", "aftercare_checkin", ["plan_id", "at"])
    # On SQLite this is a batch (copy and rename); db.schema turns foreign keys off
    # while migrating, so the copy keeps every row.
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("plan_id", BigId, nullable=True))
        batch.create_foreign_key(
            op.f("fk_outbox_plan_id_aftercare_plan"),
            "aftercare_plan",
            ["plan_id"],
            ["id"],
            ondelete="CASCADE",
        )
    op.create_index("ix_outbox_plan_id", "outbox", ["plan_id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_plan_id", "outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint(op.f("fk_outbox_plan_id_aftercare_plan"), type_="foreignkey")
        batch.drop_column("plan_id")
    op.drop_table("aftercare_checkin")
    op.drop_table("aftercare_plan")
