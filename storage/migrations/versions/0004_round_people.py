"""Each round keeps its own leaders and members (round_people).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "round_people",
        sa.Column(
            "round_id",
            sa.Integer(),
            sa.ForeignKey("rounds.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "person_id",
            sa.Integer(),
            sa.ForeignKey("people.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("role", sa.String(length=10), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint("role IN ('leader', 'member')", name="ck_round_people_role"),
    )
    op.create_index("ix_round_people_person_role", "round_people", ["person_id", "role"])
    # Rounds started before this revision take the people their team had then.
    op.execute(
        "INSERT INTO round_people (round_id, person_id, role, position) "
        "SELECT rounds.id, team_people.person_id, team_people.role, team_people.position "
        "FROM rounds JOIN team_people ON team_people.team_id = rounds.team_id"
    )


def downgrade() -> None:
    op.drop_index("ix_round_people_person_role", table_name="round_people")
    op.drop_table("round_people")
