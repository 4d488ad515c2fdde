"""Initial schema: workspaces, people, teams, rounds, preparation, notes, idempotency, audit, refs.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "workspaces",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("external_id", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=True),
        sa.UniqueConstraint("platform", "external_id", name="uq_workspaces_platform_external"),
    )
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "workspace_id",
            sa.Integer(),
            sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("display_name", sa.String(255), nullable=False),
        sa.Column("locale", sa.String(35), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("can_lead", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("workspace_id", "user_id", name="uq_people_workspace_user"),
    )
    op.create_index("ix_people_workspace_can_lead", "people", ["workspace_id", "can_lead"])
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "workspace_id",
            sa.Integer(),
            sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("channel_id", sa.String(255), nullable=True),
        sa.UniqueConstraint("workspace_id", "channel_id", name="uq_teams_workspace_channel"),
    )
    op.create_table(
        "team_people",
        sa.Column(
            "team_id",
            sa.Integer(),
            sa.ForeignKey("teams.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "person_id",
            sa.Integer(),
            sa.ForeignKey("people.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("role", sa.String(10), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint("role IN ('leader', 'member')", name="ck_team_people_role"),
    )
    op.create_index("ix_team_people_person_role", "team_people", ["person_id", "role"])
    op.create_table(
        "rounds",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "team_id",
            sa.Integer(),
            sa.ForeignKey("teams.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("template_name", sa.String(255), nullable=False),
        sa.Column("template", sa.JSON(), nullable=False),
        sa.Column("kerneopgave", sa.String(), nullable=False),
        sa.Column("udviklingsmaal", sa.String(), nullable=False),
        _ts("kickoff_at", nullable=True),
        sa.Column("prep_deadline", sa.Date(), nullable=False),
        sa.Column("conversations_from", sa.Date(), nullable=False),
        sa.Column("conversations_to", sa.Date(), nullable=False),
        _ts("summary_at", nullable=True),
        sa.Column("phase", sa.String(20), nullable=False),
        sa.Column(
            "started_by",
            sa.Integer(),
            sa.ForeignKey("people.id", ondelete="RESTRICT"),
            nullable=False,
        ),
        _ts("created_at"),
    )
    op.create_index("ix_rounds_phase", "rounds", ["phase"])
    op.create_index("ix_rounds_team_created", "rounds", ["team_id", "created_at"])
    op.create_table(
        "prep_sessions",
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
        sa.Column("cursor", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        _ts("shared_at", nullable=True),
        _ts("conversation_held_at", nullable=True),
        _ts("updated_at"),
    )
    op.create_index("ix_prep_sessions_person_id", "prep_sessions", ["person_id"])
    op.create_table(
        "prep_answers",
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
        sa.Column("question_id", sa.String(255), primary_key=True),
        sa.Column("text", sa.String(), nullable=True),
        sa.Column("skipped", sa.Boolean(), nullable=False),
        _ts("updated_at"),
        sa.Column("revision", sa.Integer(), nullable=False),
    )
    op.create_index("ix_prep_answers_person_id", "prep_answers", ["person_id"])
    op.create_table(
        "leader_notes",
        sa.Column(
            "round_id",
            sa.Integer(),
            sa.ForeignKey("rounds.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "leader_id",
            sa.Integer(),
            sa.ForeignKey("people.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "employee_id",
            sa.Integer(),
            sa.ForeignKey("people.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("text", sa.String(), nullable=False),
        _ts("updated_at"),
    )
    op.create_index("ix_leader_notes_employee_id", "leader_notes", ["employee_id"])
    op.create_table(
        "processed_events",
        sa.Column("key", sa.String(255), primary_key=True),
        _ts("processed_at"),
    )
    op.create_index("ix_processed_events_processed_at", "processed_events", ["processed_at"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        _ts("at"),
        sa.Column(
            "actor_id",
            sa.Integer(),
            sa.ForeignKey("people.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("detail", sa.String(), nullable=True),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_subject", "audit_log", ["subject"])
    op.create_table(
        "conversation_refs",
        sa.Column("platform", sa.String(20), primary_key=True),
        sa.Column("workspace_external_id", sa.String(255), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("ref", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "conversation_refs",
        "audit_log",
        "processed_events",
        "leader_notes",
        "prep_answers",
        "prep_sessions",
        "rounds",
        "team_people",
        "teams",
        "people",
        "workspaces",
    ):
        op.drop_table(table)
