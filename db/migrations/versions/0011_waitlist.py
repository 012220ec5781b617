"""The waitlist: patients waiting to hear of an earlier free consultation time, and
the freed times offered to them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WAITING = sa.text("ended_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "waitlist_entry",
        sa.Column("id", _BIG_ID, primary_key=True),
        sa.Column("patient_id", _BIG_ID, nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("end_reason", sa.String(8), nullable=True),
        sa.CheckConstraint(
            "end_reason IN ('booked', 'left', 'passed')", name=op.f("ck_waitlist_entry_end_reason")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_waitlist_entry_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_entry")),
    )
    op.create_index(
        "uq_waitlist_entry_open",
        "waitlist_entry",
        ["patient_id"],
        unique=True,
        postgresql_where=_WAITING,
        sqlite_where=_WAITING,
    )
    op.create_index("ix_waitlist_entry_until", "waitlist_entry", ["until"])
    op.create_table(
        "waitlist_offer",
        sa.Column("id", _BIG_ID, primary_key=True),
        sa.Column("entry_id", _BIG_ID, nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("offered_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'taken', 'gone', 'lost', 'ended')",
            name=op.f("ck_waitlist_offer_status"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["waitlist_entry.id"],
            name=op.f("fk_waitlist_offer_entry_id_waitlist_entry"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_offer")),
    )
    op.create_index(
        "uq_waitlist_offer_entry_start", "waitlist_offer", ["entry_id", "starts_at"], unique=True
    )
    op.create_index("ix_waitlist_offer_starts_at", "waitlist_offer", ["starts_at"])


def downgrade() -> None:
    op.drop_table("waitlist_offer")
    op.drop_table("waitlist_entry")
