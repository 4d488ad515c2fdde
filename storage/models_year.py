"""Tables for the second half of the year (issue #12), kept apart from `storage.models` so the
shared module changes by one import. Imported at the end of `storage.models`.

The evaluation is anonymous by construction: `evaluation_slots` are created, one per invited
person and in a shuffled order with random ids, when the round closes; an answer fills a
randomly chosen empty slot. `evaluation_invitations` says who was asked and whether they have
answered (only to avoid asking twice). Neither table has a timestamp of the answer, and no key
or order ties a slot to an invitation.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Date, ForeignKey, Index, String, Text
from sqlmodel import Field, SQLModel

from storage.types import UtcDateTime


def _utc(*, nullable: bool = False) -> Any:
    return Field(
        default=None if nullable else ..., sa_column=Column(UtcDateTime(), nullable=nullable)
    )


class TeamActionRow(SQLModel, table=True):
    """One agreement of a round's team action plan (Skema 5)."""

    __tablename__ = "team_actions"
    __table_args__ = (
        CheckConstraint(
            "state IN ('open', 'under_way', 'done', 'dropped')", name="ck_team_actions_state"
        ),
        Index("ix_team_actions_round", "round_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(
        sa_column=Column(ForeignKey("rounds.id", ondelete="CASCADE"), nullable=False)
    )
    what: str = Field(sa_column=Column(Text, nullable=False))
    due_on: date = Field(sa_column=Column(Date, nullable=False))
    follow_up: str = Field(sa_column=Column(Text, nullable=False))
    state: str = Field(sa_column=Column(String(12), nullable=False))
    created_by: int | None = Field(
        default=None, sa_column=Column(ForeignKey("people.id", ondelete="SET NULL"))
    )
    created_at: datetime = _utc()
    updated_by: int | None = Field(
        default=None, sa_column=Column(ForeignKey("people.id", ondelete="SET NULL"))
    )
    updated_at: datetime | None = _utc(nullable=True)


class TeamActionOwnerRow(SQLModel, table=True):
    """Who carries an agreement (one or more)."""

    __tablename__ = "team_action_owners"

    action_id: int = Field(
        sa_column=Column(ForeignKey("team_actions.id", ondelete="CASCADE"), primary_key=True)
    )
    person_id: int = Field(
        sa_column=Column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    )
    position: int = Field(default=0)


class CommitteeMemberRow(SQLModel, table=True):
    """A member of the cooperation committee (Samarbejdsfeltet), named by an admin."""

    __tablename__ = "committee_members"

    workspace_id: int = Field(
        sa_column=Column(ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    )
    person_id: int = Field(
        sa_column=Column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    )


class EvaluationInvitationRow(SQLModel, table=True):
    """Who was asked to evaluate a round, and whether they have answered: nothing else."""

    __tablename__ = "evaluation_invitations"

    round_id: int = Field(
        sa_column=Column(ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True)
    )
    person_id: int = Field(
        sa_column=Column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    )
    answered: bool = Field(default=False)


class EvaluationSlotRow(SQLModel, table=True):
    """One anonymous answer (or an empty slot for one): a random id, the round, the scores."""

    __tablename__ = "evaluation_slots"
    __table_args__ = (Index("ix_evaluation_slots_round", "round_id"),)

    id: str = Field(max_length=32, primary_key=True)
    round_id: int = Field(
        sa_column=Column(ForeignKey("rounds.id", ondelete="CASCADE"), nullable=False)
    )
    filled: bool = Field(default=False)
    scores: dict[str, int] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
