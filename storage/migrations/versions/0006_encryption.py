"""Encryption at rest: the key canary, and plan items stored as sealed text instead of JSON.

Existing rows stay readable (a value without the sealed prefix is read as it is); the first
start after this revision seals them with the current key (see `storage.rotation`).

Revision ID: 0006_encryption
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_encryption"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "key_canary",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("sealed", sa.String(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("plan_versions") as batch:
        batch.alter_column(
            "items",
            existing_type=sa.JSON(),
            type_=sa.Text(),
            existing_nullable=False,
            postgresql_using="items::text",
        )


def downgrade() -> None:
    # Sealed plan items are not JSON: downgrading needs a database written without encryption.
    with op.batch_alter_table("plan_versions") as batch:
        batch.alter_column(
            "items",
            existing_type=sa.Text(),
            type_=sa.JSON(),
            existing_nullable=False,
            postgresql_using="items::json",
        )
    op.drop_table("key_canary")
