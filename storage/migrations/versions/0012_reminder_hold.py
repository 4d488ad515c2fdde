"""reminders.not_before: a row held after a 429 keeps its due time (its place in its
recipient's queue) and waits until then; so do the recipient's other rows.

Revision ID: 0012_reminder_hold
Revises: 0011_sent_messages
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UtcDateTime

revision: str = "0012_reminder_hold"
down_revision: str | None = "0011_sent_messages"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reminders") as batch:
        batch.add_column(sa.Column("not_before", UtcDateTime(), nullable=True))
    # Every claim asks which recipients are held (not_before > now): a range on this index,
    # not a scan of every pending reminder.
    op.create_index("ix_reminders_not_before", "reminders", ["not_before"])


def downgrade() -> None:
    op.drop_index("ix_reminders_not_before", table_name="reminders")
    with op.batch_alter_table("reminders") as batch:
        batch.drop_column("not_before")
