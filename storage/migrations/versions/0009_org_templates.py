"""Organisation templates (versioned) and each round's adapted form (org_templates, round_forms).

Revision ID: 0009_org_templates
Revises: 0006_encryption
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009_org_templates"
down_revision: str | None = "0008_year_close"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "org_templates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column(
            "owner_id",
            sa.Integer(),
            sa.ForeignKey("people.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("source_text", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("name", "version", name="uq_org_templates_name_version"),
        sa.CheckConstraint("scope IN ('org', 'own')", name="ck_org_templates_scope"),
        sa.CheckConstraint(
            "status IN ('active', 'pending', 'retired')", name="ck_org_templates_status"
        ),
    )
    op.create_index("ix_org_templates_name", "org_templates", ["name"])
    op.create_index("ix_org_templates_owner_id", "org_templates", ["owner_id"])
    op.create_table(
        "round_forms",
        sa.Column(
            "round_id",
            sa.Integer(),
            sa.ForeignKey("rounds.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("held", sa.Boolean(), nullable=False),
        sa.Column("release_on", sa.Date(), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("round_forms")
    op.drop_index("ix_org_templates_owner_id", table_name="org_templates")
    op.drop_index("ix_org_templates_name", table_name="org_templates")
    op.drop_table("org_templates")
