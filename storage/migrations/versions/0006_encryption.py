"""Encryption at rest: the key canary; plan items and conversation refs as sealed text, not JSON.

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

# JSON columns that now hold sealed text.
_SEALED_JSON = (("plan_versions", "items"), ("conversation_refs", "ref"))


def upgrade() -> None:
    op.create_table(
        "key_canary",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("sealed", sa.String(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    for table, column in _SEALED_JSON:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                column,
                existing_type=sa.JSON(),
                type_=sa.Text(),
                existing_nullable=False,
                postgresql_using=f"{column}::text",
            )


def downgrade() -> None:
    # Sealed plan items are not JSON: downgrading needs a database written without encryption.
    for table, column in _SEALED_JSON:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                column,
                existing_type=sa.Text(),
                type_=sa.JSON(),
                existing_nullable=False,
                postgresql_using=f"{column}::json",
            )
    op.drop_table("key_canary")
