"""Treatment sessions: an appointment's kind (consultation or treatment) with seats of
its own, the laser and the consultation that planned it; and the outcome staff record
at the end of a consultation.

Appointments already there are consultations. The unique index on a time's seats
gains the kind, so a treatment never takes a consultation's seat, and vice versa.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ACTIVE = sa.text("status IN ('requested', 'confirmed')")


def _active_slot_index(*columns: str) -> None:
    op.create_index(
        "uq_appointment_active_slot",
        "appointment",
        list(columns),
        unique=True,
        postgresql_where=ACTIVE,
        sqlite_where=ACTIVE,
    )


def upgrade() -> None:
    # The partial index is dropped and made again around the SQLite table copy, so
    # that its WHERE clause cannot be lost in reflection.
    op.drop_index("uq_appointment_active_slot", "appointment")
    with op.batch_alter_table("appointment") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(16), nullable=False, server_default="consultation")
        )
        batch.add_column(sa.Column("laser", sa.String(8), nullable=True))
        batch.add_column(sa.Column("consultation_id", BigId, nullable=True))
        batch.add_column(
            sa.Column(
                "aftercare_agreed", sa.Boolean(), nullable=False, server_default=sa.text("false")
            )
        )
        batch.create_check_constraint("kind", "kind IN ('consultation', 'treatment')")
        batch.create_check_constraint("laser", "laser IN ('co2', 'erbium')")
        batch.create_foreign_key(
            "fk_appointment_consultation_id_appointment",
            "appointment",
            ["consultation_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index("ix_appointment_consultation_id", ["consultation_id"])
    _active_slot_index("kind", "starts_at", "seat")
    op.create_table(
        "consultation_outcome",
        sa.Column("appointment_id", BigId, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("laser", sa.String(8), nullable=True),
        sa.Column("sessions", sa.SmallInteger(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(128), nullable=False),
        sa.Column("recorded_at", db.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('planned', 'not_suitable', 'undecided')",
            name=op.f("ck_consultation_outcome_outcome"),
        ),
        sa.CheckConstraint(
            "laser IN ('co2', 'erbium')", name=op.f("ck_consultation_outcome_laser")
        ),
        sa.CheckConstraint("sessions >= 1", name=op.f("ck_consultation_outcome_sessions")),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_consultation_outcome_appointment_id_appointment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("appointment_id", name=op.f("pk_consultation_outcome")),
    )


def downgrade() -> None:
    op.drop_table("consultation_outcome")
    # Treatments have no place in the older schema.
    op.execute("DELETE FROM appointment WHERE kind = 'treatment'")
    op.drop_index("uq_appointment_active_slot", "appointment")
    with op.batch_alter_table("appointment") as batch:
        batch.drop_index("ix_appointment_consultation_id")
        batch.drop_constraint("fk_appointment_consultation_id_appointment", type_="foreignkey")
        batch.drop_constraint("kind", type_="check")
        batch.drop_constraint("laser", type_="check")
        batch.drop_column("aftercare_agreed")
        batch.drop_column("consultation_id")
        batch.drop_column("laser")
        batch.drop_column("kind")
    _active_slot_index("starts_at", "seat")
