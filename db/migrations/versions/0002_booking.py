"""Booking: appointments, and the outbox of scheduled messages.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ACTIVE = sa.text("status IN ('requested', 'confirmed')")
PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.create_table(
        "appointment",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("patient_id", BigId, nullable=False),
        sa.Column("starts_at", db.types.UTCDateTime(), nullable=False),
        sa.Column("ends_at", db.types.UTCDateTime(), nullable=False),
        sa.Column("seat", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("rescheduled_from_id", BigId, nullable=True),
        sa.Column("decided_by", sa.String(128), nullable=True),
        sa.Column("decided_at", db.types.UTCDateTime(), nullable=True),
        sa.Column("cancelled_by", sa.String(8), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("attendance_confirmed_at", db.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", db.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('requested', 'confirmed', 'declined', 'cancelled', 'completed', 'no_show')",
            name=op.f("ck_appointment_status"),
        ),
        sa.CheckConstraint(
            "cancelled_by IN ('patient', 'staff')", name=op.f("ck_appointment_cancelled_by")
        ),
        sa.CheckConstraint("seat >= 0", name=op.f("ck_appointment_seat")),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_appointment_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rescheduled_from_id"],
            ["appointment.id"],
            name=op.f("fk_appointment_rescheduled_from_id_appointment"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment")),
    )
    op.create_index(
        "uq_appointment_active_slot",
        "appointment",
        ["starts_at", "seat"],
        unique=True,
        postgresql_where=ACTIVE,
        sqlite_where=ACTIVE,
    )
    op.create_index("ix_appointment_patient_status", "appointment", ["patient_id", "status"])
    op.create_index("ix_appointment_starts_at", "appointment", ["starts_at"])
    op.create_table(
        "outbox",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("patient_id", BigId, nullable=True),
        sa.Column("appointment_id", BigId, nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("due_at", db.types.UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", db.types.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("created_at", db.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed', 'cancelled')", name=op.f("ck_outbox_status")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_outbox_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_outbox_appointment_id_appointment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index(
        "ix_outbox_pending_due",
        "outbox",
        ["due_at"],
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )
    op.create_index("ix_outbox_appointment_id", "outbox", ["appointment_id"])
    op.create_index("ix_outbox_patient_id", "outbox", ["patient_id"])


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_table("appointment")
