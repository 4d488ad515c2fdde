"""Bookings, versioned development plans with approvals and item progress, the reminder outbox.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(name: str, target: str, *, ondelete: str | None = "CASCADE") -> sa.Column[object]:
    return sa.Column(name, sa.Integer(), sa.ForeignKey(target, ondelete=ondelete), nullable=False)


def upgrade() -> None:
    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), primary_key=True),
        _fk("round_id", "rounds.id"),
        _fk("employee_id", "people.id"),
        _ts("starts_at"),
        sa.Column("minutes", sa.Integer(), nullable=False),
        _fk("booked_by", "people.id", ondelete=None),
        sa.Column("sequence", sa.Integer(), nullable=False),
        _ts("updated_at"),
        sa.UniqueConstraint("round_id", "employee_id", name="uq_bookings_round_employee"),
    )
    op.create_index("ix_bookings_employee_id", "bookings", ["employee_id"])
    op.create_table(
        "plan_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        _fk("round_id", "rounds.id"),
        _fk("employee_id", "people.id"),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("follow_up_on", sa.Date(), nullable=True),
        _fk("author_id", "people.id", ondelete=None),
        _ts("created_at"),
        sa.Column("change_request", sa.Text(), nullable=True),
        sa.UniqueConstraint(
            "round_id", "employee_id", "number", name="uq_plan_versions_round_employee_number"
        ),
        sa.CheckConstraint(
            "state IN ('draft', 'proposed', 'agreed', 'superseded')", name="ck_plan_versions_state"
        ),
    )
    op.create_index("ix_plan_versions_employee_id", "plan_versions", ["employee_id"])
    op.create_table(
        "plan_approvals",
        sa.Column("id", sa.Integer(), primary_key=True),
        _fk("version_id", "plan_versions.id"),
        _fk("person_id", "people.id", ondelete=None),
        _ts("at"),
        sa.UniqueConstraint("version_id", "person_id", name="uq_plan_approvals_version_person"),
    )
    op.create_index("ix_plan_approvals_person_id", "plan_approvals", ["person_id"])
    op.create_table(
        "plan_item_progress",
        sa.Column("id", sa.Integer(), primary_key=True),
        _fk("round_id", "rounds.id"),
        _fk("employee_id", "people.id"),
        sa.Column("item_id", sa.String(255), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        _fk("updated_by", "people.id", ondelete=None),
        _ts("updated_at"),
        sa.UniqueConstraint(
            "round_id", "employee_id", "item_id", name="uq_plan_item_progress_round_employee_item"
        ),
        sa.CheckConstraint(
            "status IN ('not_started', 'under_way', 'done', 'dropped')",
            name="ck_plan_item_progress_status",
        ),
    )
    op.create_index("ix_plan_item_progress_employee_id", "plan_item_progress", ["employee_id"])
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(50), nullable=False),
        _fk("round_id", "rounds.id"),
        _fk("recipient_id", "people.id"),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        _ts("due_at"),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        _ts("sent_at", nullable=True),
        _ts("lease_until", nullable=True),
        sa.Column("worker", sa.String(255), nullable=True),
        sa.UniqueConstraint("key", name="uq_reminders_key"),
        sa.CheckConstraint(
            "state IN ('pending', 'sending', 'sent', 'failed', 'cancelled')",
            name="ck_reminders_state",
        ),
    )
    op.create_index("ix_reminders_state_due_at", "reminders", ["state", "due_at"])
    op.create_index("ix_reminders_round_id", "reminders", ["round_id"])
    op.create_index("ix_reminders_recipient_id", "reminders", ["recipient_id"])


def downgrade() -> None:
    for table in (
        "reminders",
        "plan_item_progress",
        "plan_approvals",
        "plan_versions",
        "bookings",
    ):
        op.drop_table(table)
