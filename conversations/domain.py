"""Domain values the flows work with. Storage maps its rows to these; flows never see rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

DEFAULT_LOCALE = "da"
DEFAULT_TIMEZONE = "Europe/Copenhagen"


class Phase(StrEnum):
    """Where a round is in the four steps (plus closed)."""

    PREP = "prep"
    CONVERSATIONS = "conversations"
    SUMMARY = "summary"
    FOLLOW_UP = "follow_up"
    CLOSED = "closed"


class PrepStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    SHARED = "shared"


@dataclass(frozen=True, slots=True, kw_only=True)
class Workspace:
    id: int
    platform: str
    external_id: str
    name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Person:
    id: int
    workspace_id: int
    user_id: str
    display_name: str
    locale: str = DEFAULT_LOCALE
    timezone: str = DEFAULT_TIMEZONE
    is_admin: bool = False
    can_lead: bool = False

    @property
    def may_lead(self) -> bool:
        """Workspace owners/admins, and people an admin named as leaders, may start rounds."""
        return self.is_admin or self.can_lead


@dataclass(frozen=True, slots=True, kw_only=True)
class Team:
    id: int
    workspace_id: int
    name: str
    channel_id: str | None
    leader_ids: tuple[int, ...]
    member_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Round:
    """One MUS round for one team. `template` is a snapshot (plain data) taken at start."""

    id: int
    team_id: int
    template_name: str
    template: dict[str, Any]
    kerneopgave: str
    udviklingsmaal: str
    kickoff_at: datetime | None
    prep_deadline: date
    conversations_from: date
    conversations_to: date
    summary_at: datetime | None
    phase: Phase
    started_by: int
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class PrepSession:
    """One employee's preparation in one round: where they are, and whether they shared."""

    round_id: int
    person_id: int
    cursor: int
    status: PrepStatus
    shared_at: datetime | None
    conversation_held_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class PrepAnswer:
    round_id: int
    person_id: int
    question_id: str
    text: str | None
    skipped: bool
    updated_at: datetime
    revision: int


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderNote:
    """The leader's own preparation for one employee: private to that leader."""

    round_id: int
    leader_id: int
    employee_id: int
    text: str
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    id: int
    at: datetime
    actor_id: int | None
    action: str
    subject: str
    detail: str | None
