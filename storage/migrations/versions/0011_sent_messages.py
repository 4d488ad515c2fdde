"""Keyed messages' platform refs (sent_messages), so the bot can update a message it posted
earlier that no event points at (an answered question card, a sent invitation).

Revision ID: 0011_sent_messages
Revises: 0010_booking_place
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UtcDateTime

revision: str = "0011_sent_messages"
down_revision: str | None = "0010_booking_place"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sent_messages",
        sa.Column("platform", sa.String(length=20), primary_key=True),
        sa.Column("workspace_external_id", sa.String(length=255), primary_key=True),
        sa.Column("key", sa.String(length=255), primary_key=True),
        sa.Column("ref", sa.String(length=500), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_sent_messages_user_id", "sent_messages", ["user_id"])
    op.create_index("ix_sent_messages_key", "sent_messages", ["key"])
    op.create_index(
        "ix_sent_messages_ref", "sent_messages", ["platform", "workspace_external_id", "ref"]
    )


def downgrade() -> None:
    op.drop_index("ix_sent_messages_ref", table_name="sent_messages")
    op.drop_index("ix_sent_messages_key", table_name="sent_messages")
    op.drop_index("ix_sent_messages_user_id", table_name="sent_messages")
    op.drop_table("sent_messages")
