"""A booking has a place (a room or a video link), shown to both and put in the invite.

Revision ID: 0007_booking_place
Revises: 0006_encryption
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010_booking_place"
down_revision: str | None = "0009_org_templates"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(
            sa.Column("place", sa.String(length=500), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.drop_column("place")
