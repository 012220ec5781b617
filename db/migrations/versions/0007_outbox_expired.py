"""The outbox status `expired`: a message whose moment passed before it could be sent
(a reminder after the consultation, after an outage) is recorded so, never sent.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'pending'")
BEFORE = "status IN ('pending', 'sent', 'failed', 'cancelled')"
AFTER = "status IN ('pending', 'sent', 'failed', 'cancelled', 'expired')"


def upgrade() -> None:
    _status_check(AFTER)


def downgrade() -> None:
    op.execute("UPDATE outbox SET status = 'cancelled' WHERE status = 'expired'")
    _status_check(BEFORE)


def _status_check(condition: str) -> None:
    # SQLite changes a CHECK by copying the table (db.schema turns foreign keys off
    # while migrating, so the copy keeps every row); the partial index on pending rows
    # is made again after the copy, so it stays partial.
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint(op.f("ck_outbox_status"), type_="check")
        batch.create_check_constraint(op.f("ck_outbox_status"), sa.text(condition))
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("ix_outbox_pending_due", "outbox")
        op.create_index("ix_outbox_pending_due", "outbox", ["due_at", "id"], sqlite_where=PENDING)
