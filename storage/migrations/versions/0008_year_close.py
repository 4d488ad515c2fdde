"""The year closes (issue #12): team action plan, committee members, anonymous evaluation.

Revision ID: 0008_year_close
Revises: 0006_encryption
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UtcDateTime

revision: str = "0008_year_close"
down_revision: str | None = "0006_encryption"
branch_labels = None
depends_on = None


def _fk(table: str, *, ondelete: str = "CASCADE") -> sa.ForeignKey:
    return sa.ForeignKey(f"{table}.id", ondelete=ondelete)


def upgrade() -> None:
    op.create_table(
        "team_actions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("round_id", sa.Integer(), _fk("rounds"), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("follow_up", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("created_by", sa.Integer(), _fk("people", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.Integer(), _fk("people", ondelete="SET NULL"), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=True),
        sa.CheckConstraint(
            "state IN ('open', 'under_way', 'done', 'dropped')", name="ck_team_actions_state"
        ),
    )
    op.create_index("ix_team_actions_round", "team_actions", ["round_id"])
    op.create_table(
        "team_action_owners",
        sa.Column("action_id", sa.Integer(), _fk("team_actions"), primary_key=True),
        sa.Column("person_id", sa.Integer(), _fk("people"), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
    )
    op.create_table(
        "committee_members",
        sa.Column("workspace_id", sa.Integer(), _fk("workspaces"), primary_key=True),
        sa.Column("person_id", sa.Integer(), _fk("people"), primary_key=True),
    )
    op.create_table(
        "evaluation_invitations",
        sa.Column("round_id", sa.Integer(), _fk("rounds"), primary_key=True),
        sa.Column("person_id", sa.Integer(), _fk("people"), primary_key=True),
        sa.Column("answered", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "evaluation_slots",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("round_id", sa.Integer(), _fk("rounds"), nullable=False),
        sa.Column("filled", sa.Boolean(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
    )
    op.create_index("ix_evaluation_slots_round", "evaluation_slots", ["round_id"])


def downgrade() -> None:
    op.drop_index("ix_evaluation_slots_round", table_name="evaluation_slots")
    op.drop_table("evaluation_slots")
    op.drop_table("evaluation_invitations")
    op.drop_table("committee_members")
    op.drop_table("team_action_owners")
    op.drop_index("ix_team_actions_round", table_name="team_actions")
    op.drop_table("team_actions")
