"""Domain values the flows work with. Storage maps its rows to these; flows never see rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    # Who leads and who takes part in *this* round. A round keeps its own people, so a later
    # round in the same channel (another leader, other members) changes nobody's access here.
    leader_ids: tuple[int, ...] = ()
    member_ids: tuple[int, ...] = ()


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


# ---------------------------------------------------------------- the conversation and the plan


@dataclass(frozen=True, slots=True, kw_only=True)
class Booking:
    """The date of one employee's conversation. `sequence` counts reschedules (for .ics updates)."""

    round_id: int
    employee_id: int
    starts_at: datetime
    minutes: int
    booked_by: int
    sequence: int
    updated_at: datetime
    place: str = ""  # a room or a video link; empty when not given


class PlanState(StrEnum):
    DRAFT = "draft"  # being written; not yet sent for approval
    PROPOSED = "proposed"  # sent; waiting for the other party
    AGREED = "agreed"  # approved by both
    SUPERSEDED = "superseded"  # an earlier version, kept readable


class ItemStatus(StrEnum):
    NOT_STARTED = "not_started"
    UNDER_WAY = "under_way"
    DONE = "done"
    DROPPED = "dropped"


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanItem:
    """One development goal. `id` is stable across versions so follow-up statuses stay attached."""

    id: str
    fields: dict[str, str]
    waits_for_summary: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Approval:
    """A digital signature: who approved which version, and when."""

    person_id: int
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanVersion:
    """One version of an employee's development plan in a round. Versions are never edited
    once proposed; a change makes a new version, so earlier ones stay readable."""

    id: int
    round_id: int
    employee_id: int
    number: int
    state: PlanState
    items: tuple[PlanItem, ...]
    follow_up_on: date | None
    author_id: int
    created_at: datetime
    approvals: tuple[Approval, ...] = ()
    change_request: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemProgress:
    round_id: int
    employee_id: int
    item_id: str
    status: ItemStatus
    updated_by: int
    updated_at: datetime


def agreed_version(versions: Sequence[PlanVersion]) -> PlanVersion | None:
    """The plan in force: the newest agreed version (versions oldest first), if any."""
    return next((v for v in reversed(versions) if v.state == PlanState.AGREED), None)


def item_status(progress: Mapping[str, ItemProgress], item_id: str) -> ItemStatus:
    """An agreed item's follow-up status; not started until someone sets one."""
    return progress[item_id].status if item_id in progress else ItemStatus.NOT_STARTED


# ---------------------------------------------------------------- reminders (the outbox)


class ReminderState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a worker until `lease_until`
    SENT = "sent"
    FAILED = "failed"  # permanent failure, shown to the leader
    CANCELLED = "cancelled"  # no longer relevant (shared already, rebooked, ...)


@dataclass(frozen=True, slots=True, kw_only=True)
class Reminder:
    """A message due at a time: a row, so nothing that matters lives only in memory.

    `key` is unique: scheduling the same key again replaces a pending row instead of adding one
    (one prep nudge per person per day; one booking reminder per booking and person).
    """

    id: int
    key: str
    kind: str
    round_id: int
    recipient_id: int
    subject_id: int | None
    due_at: datetime
    state: ReminderState
    attempts: int
    last_error: str | None
    sent_at: datetime | None
    lease_until: datetime | None
    worker: str | None
    not_before: datetime | None = None  # held after a 429 until then (`OutboxRepo.mark_held`)

    @property
    def goes_at(self) -> datetime:
        """When it goes at the earliest: its due time, or the end of its hold."""
        if self.not_before is not None and self.not_before > self.due_at:
            return self.not_before
        return self.due_at
