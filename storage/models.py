"""The schema, as sqlmodel table models.

Repositories query these tables with SQLAlchemy Core (`Row.__table__`) and map results to the
frozen values in `conversations.domain`; rows never leave `storage/`. A change here needs a
new migration in `storage/migrations/versions/`; the test suite checks the two agree.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from storage.types import (
    EncryptedBytes,
    EncryptedJSON,
    EncryptedString,
    EncryptedText,
    UtcDateTime,
)


def _utc(*, nullable: bool = False, index: bool = False) -> Any:
    """An aware-UTC timestamp column (see `UtcDateTime`)."""
    return Field(
        default=None if nullable else ...,
        sa_column=Column(UtcDateTime(), nullable=nullable, index=index),
    )


def _fk(
    target: str, *, ondelete: str | None = "CASCADE", nullable: bool = False, index: bool = False
) -> Any:
    """A foreign key; `ondelete=None` is NO ACTION, checked at the end of the statement, so a
    person's own rows cascading away don't trip over their "who did it" references."""
    return Field(
        default=None if nullable else ...,
        sa_column=Column(ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index),
    )


class WorkspaceRow(SQLModel, table=True):
    """A Slack workspace or Teams tenant: `external_id` is the platform's id for it."""

    __tablename__ = "workspaces"
    __table_args__ = (
        UniqueConstraint("platform", "external_id", name="uq_workspaces_platform_external"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)
    external_id: str = Field(max_length=255)
    name: str | None = Field(default=None, max_length=255)


class PersonRow(SQLModel, table=True):
    __tablename__ = "people"
    __table_args__ = (
        UniqueConstraint("workspace_id", "user_id", name="uq_people_workspace_user"),
        Index("ix_people_workspace_can_lead", "workspace_id", "can_lead"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _fk("workspaces.id")
    user_id: str = Field(max_length=255)
    display_name: str = Field(max_length=255)
    locale: str = Field(max_length=35)
    timezone: str = Field(max_length=64)
    is_admin: bool = Field(default=False)
    can_lead: bool = Field(default=False)


class TeamRow(SQLModel, table=True):
    """One team; `channel_id` is where kickoff and summary are announced (one team per channel)."""

    __tablename__ = "teams"
    __table_args__ = (
        UniqueConstraint("workspace_id", "channel_id", name="uq_teams_workspace_channel"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _fk("workspaces.id")
    name: str = Field(max_length=255)
    channel_id: str | None = Field(default=None, max_length=255)


class TeamRole(StrEnum):
    """How a person belongs to a team (a person may be both, e.g. a leader in their own team)."""

    LEADER = "leader"
    MEMBER = "member"


class TeamPersonRow(SQLModel, table=True):
    """Association team ↔ person with a role; `position` keeps the order the ids were given in."""

    __tablename__ = "team_people"
    __table_args__ = (
        CheckConstraint("role IN ('leader', 'member')", name="ck_team_people_role"),
        Index("ix_team_people_person_role", "person_id", "role"),
    )

    team_id: int = Field(
        sa_column=Column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    )
    person_id: int = Field(
        sa_column=Column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    )
    role: str = Field(sa_column=Column(String(10), primary_key=True))
    position: int = Field(default=0)


class RoundPersonRow(SQLModel, table=True):
    """Association round ↔ person with a role: each round keeps its own leaders and members."""

    __tablename__ = "round_people"
    __table_args__ = (
        CheckConstraint("role IN ('leader', 'member')", name="ck_round_people_role"),
        Index("ix_round_people_person_role", "person_id", "role"),
    )

    round_id: int = Field(
        sa_column=Column(ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True)
    )
    person_id: int = Field(
        sa_column=Column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    )
    role: str = Field(sa_column=Column(String(10), primary_key=True))
    position: int = Field(default=0)


class RoundRow(SQLModel, table=True):
    """One MUS round; `template` is the round's own snapshot of the questions (plain JSON)."""

    __tablename__ = "rounds"
    __table_args__ = (Index("ix_rounds_team_created", "team_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = _fk("teams.id")
    template_name: str = Field(max_length=255)
    template: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    kerneopgave: str
    udviklingsmaal: str
    kickoff_at: datetime | None = _utc(nullable=True)
    prep_deadline: date = Field(sa_column=Column(Date, nullable=False))
    conversations_from: date = Field(sa_column=Column(Date, nullable=False))
    conversations_to: date = Field(sa_column=Column(Date, nullable=False))
    summary_at: datetime | None = _utc(nullable=True)
    phase: str = Field(max_length=20, index=True)
    started_by: int = _fk("people.id", ondelete="RESTRICT")
    created_at: datetime = _utc()


class PrepSessionRow(SQLModel, table=True):
    """One employee's preparation in one round (primary key: round, person)."""

    __tablename__ = "prep_sessions"

    round_id: int = Field(
        sa_column=Column(ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True)
    )
    person_id: int = Field(
        sa_column=Column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True, index=True)
    )
    cursor: int = Field(default=0)
    status: str = Field(max_length=20)
    shared_at: datetime | None = _utc(nullable=True)
    conversation_held_at: datetime | None = _utc(nullable=True)
    updated_at: datetime = _utc()


class PrepAnswerRow(SQLModel, table=True):
    """One answer (primary key: round, person, question); `revision` counts the saves."""

    __tablename__ = "prep_answers"

    round_id: int = Field(
        sa_column=Column(ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True)
    )
    person_id: int = Field(
        sa_column=Column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True, index=True)
    )
    question_id: str = Field(max_length=255, primary_key=True)
    text: str | None = Field(default=None, sa_column=Column(EncryptedString(), nullable=True))
    skipped: bool = Field(default=False)
    updated_at: datetime = _utc()
    revision: int = Field(default=1)


class LeaderNoteRow(SQLModel, table=True):
    """A leader's private notes for one employee (primary key: round, leader, employee)."""

    __tablename__ = "leader_notes"

    round_id: int = Field(
        sa_column=Column(ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True)
    )
    leader_id: int = Field(
        sa_column=Column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    )
    employee_id: int = Field(
        sa_column=Column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True, index=True)
    )
    text: str = Field(sa_column=Column(EncryptedString(), nullable=False))
    updated_at: datetime = _utc()


class ProcessedEventRow(SQLModel, table=True):
    """Inbound deliveries already handled (idempotency keys)."""

    __tablename__ = "processed_events"

    key: str = Field(max_length=255, primary_key=True)
    processed_at: datetime = _utc(index=True)


class AuditRow(SQLModel, table=True):
    """Who did what to which confidential thing; `subject` is a path like `round:3/person:7`."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _utc(index=True)
    actor_id: int | None = _fk("people.id", ondelete="SET NULL", nullable=True)
    action: str = Field(max_length=100)
    subject: str = Field(max_length=255, index=True)
    detail: str | None = None


class ConversationRefRow(SQLModel, table=True):
    """Opaque per-platform handle for proactive messages (primary key: platform, workspace, key)."""

    __tablename__ = "conversation_refs"

    platform: str = Field(max_length=20, primary_key=True)
    workspace_external_id: str = Field(max_length=255, primary_key=True)
    key: str = Field(max_length=255, primary_key=True)
    # Sealed: a Teams form card kept to re-show with errors carries what the person typed.
    ref: dict[str, Any] = Field(sa_column=Column(EncryptedJSON(), nullable=False))


class SentMessageRow(SQLModel, table=True):
    """Where a keyed message went (`Message.key`): the platform's ref, to update it later.

    `user_id` is the person whose chat it is in (erasing them erases it); None for a channel.
    """

    __tablename__ = "sent_messages"
    __table_args__ = (
        # A person's question card is found by its key alone (`PrepRepo.own`), and a message
        # overwritten in place by its ref (`forget`).
        Index("ix_sent_messages_key", "key"),
        Index("ix_sent_messages_ref", "platform", "workspace_external_id", "ref"),
    )

    platform: str = Field(max_length=20, primary_key=True)
    workspace_external_id: str = Field(max_length=255, primary_key=True)
    key: str = Field(max_length=255, primary_key=True)
    ref: str = Field(sa_column=Column(String(500), nullable=False))
    user_id: str | None = Field(default=None, max_length=255, index=True)
    updated_at: datetime = _utc()


class BookingRow(SQLModel, table=True):
    """The date of one employee's conversation in a round; `sequence` counts reschedules."""

    __tablename__ = "bookings"
    __table_args__ = (
        UniqueConstraint("round_id", "employee_id", name="uq_bookings_round_employee"),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = _fk("rounds.id")
    employee_id: int = _fk("people.id", index=True)
    starts_at: datetime = _utc()
    minutes: int
    booked_by: int = _fk("people.id", ondelete=None)
    sequence: int = Field(default=0)
    updated_at: datetime = _utc()
    place: str = Field(default="", max_length=500, sa_column_kwargs={"server_default": ""})


class PlanVersionRow(SQLModel, table=True):
    """One version of an employee's development plan; `items` is a JSON list of plan items."""

    __tablename__ = "plan_versions"
    __table_args__ = (
        UniqueConstraint(
            "round_id", "employee_id", "number", name="uq_plan_versions_round_employee_number"
        ),
        CheckConstraint(
            "state IN ('draft', 'proposed', 'agreed', 'superseded')", name="ck_plan_versions_state"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = _fk("rounds.id")
    employee_id: int = _fk("people.id", index=True)
    number: int
    state: str = Field(max_length=20)
    items: list[dict[str, Any]] = Field(sa_column=Column(EncryptedJSON(), nullable=False))
    follow_up_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    author_id: int = _fk("people.id", ondelete=None)
    created_at: datetime = _utc()
    change_request: str | None = Field(
        default=None, sa_column=Column(EncryptedText(), nullable=True)
    )


class PlanApprovalRow(SQLModel, table=True):
    """A digital signature: `person_id` approved plan version `version_id` at `at` (once)."""

    __tablename__ = "plan_approvals"
    __table_args__ = (
        UniqueConstraint("version_id", "person_id", name="uq_plan_approvals_version_person"),
    )

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = _fk("plan_versions.id")
    person_id: int = _fk("people.id", ondelete=None, index=True)
    at: datetime = _utc()


class PlanItemProgressRow(SQLModel, table=True):
    """Follow-up status of one plan item; keyed by the item's id, so it survives new versions."""

    __tablename__ = "plan_item_progress"
    __table_args__ = (
        UniqueConstraint(
            "round_id", "employee_id", "item_id", name="uq_plan_item_progress_round_employee_item"
        ),
        CheckConstraint(
            "status IN ('not_started', 'under_way', 'done', 'dropped')",
            name="ck_plan_item_progress_status",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = _fk("rounds.id")
    employee_id: int = _fk("people.id", index=True)
    item_id: str = Field(max_length=255)
    status: str = Field(max_length=20)
    updated_by: int = _fk("people.id", ondelete=None)
    updated_at: datetime = _utc()


class ReminderRow(SQLModel, table=True):
    """The outbox: one message due at a time. `key` is unique, so scheduling is an upsert.

    Claimed rows are SENDING with `worker` and `lease_until`; the (state, due_at) index serves
    the sweep's "what is due" query, the round_id index the leader's overview.
    """

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("key", name="uq_reminders_key"),
        Index("ix_reminders_state_due_at", "state", "due_at"),
        Index("ix_reminders_not_before", "not_before"),  # held rows, for every claim
        CheckConstraint(
            "state IN ('pending', 'sending', 'sent', 'failed', 'cancelled')",
            name="ck_reminders_state",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=255)
    kind: str = Field(max_length=50)
    round_id: int = _fk("rounds.id", index=True)
    recipient_id: int = _fk("people.id", index=True)
    subject_id: int | None = None
    due_at: datetime = _utc()
    state: str = Field(max_length=20)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, sa_column=Column(EncryptedText(), nullable=True))
    sent_at: datetime | None = _utc(nullable=True)
    lease_until: datetime | None = _utc(nullable=True)
    worker: str | None = Field(default=None, max_length=255)
    # Held (`mark_held`): PENDING, not sent before this, its due time (its place) kept.
    not_before: datetime | None = _utc(nullable=True)


class FileRow(SQLModel, table=True):
    """A file handed out by capability link (Teams): whoever has the token may fetch it.

    The token is the key and the only secret; `expires_at` bounds how long a link works.
    """

    __tablename__ = "files"

    token: str = Field(max_length=64, primary_key=True)
    filename: str = Field(max_length=255)
    mime_type: str = Field(max_length=255)
    content: bytes = Field(sa_column=Column(EncryptedBytes(), nullable=False))
    owner_user_id: str | None = Field(default=None, max_length=255)
    created_at: datetime = _utc()
    expires_at: datetime = _utc(index=True)


class OrgTemplateRow(SQLModel, table=True):
    """One version of a template kept in the database: an organisation's (imported by an
    admin) or a leader's own (saved from an adapted round). Versions are never changed."""

    __tablename__ = "org_templates"
    __table_args__ = (
        UniqueConstraint("name", "version", name="uq_org_templates_name_version"),
        CheckConstraint("scope IN ('org', 'own')", name="ck_org_templates_scope"),
        CheckConstraint(
            "status IN ('active', 'pending', 'retired')", name="ck_org_templates_status"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, index=True)
    version: int
    scope: str = Field(max_length=10)
    status: str = Field(max_length=10)
    owner_id: int | None = _fk("people.id", ondelete="CASCADE", nullable=True, index=True)
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    source_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = _utc()


class RoundFormRow(SQLModel, table=True):
    """A round's form while the team adapts it: sub-groups, ids ever used, release state."""

    __tablename__ = "round_forms"

    round_id: int = Field(
        sa_column=Column(ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True)
    )
    held: bool = Field(default=False)
    release_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    released_at: datetime | None = _utc(nullable=True)
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class KeyCanaryRow(SQLModel, table=True):
    """A known value sealed with the newest key: checked at start, so a wrong key is an error
    there instead of garbage (or a failure) in the middle of someone's conversation."""

    __tablename__ = "key_canary"

    id: int = Field(primary_key=True)
    sealed: str = Field(sa_column=Column(String(), nullable=False))
    updated_at: datetime = _utc()


def _table(model: type[SQLModel]) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


metadata = SQLModel.metadata
workspaces = _table(WorkspaceRow)
people = _table(PersonRow)
teams = _table(TeamRow)
team_people = _table(TeamPersonRow)
rounds = _table(RoundRow)
round_people = _table(RoundPersonRow)
prep_sessions = _table(PrepSessionRow)
prep_answers = _table(PrepAnswerRow)
leader_notes = _table(LeaderNoteRow)
processed_events = _table(ProcessedEventRow)
audit_log = _table(AuditRow)
conversation_refs = _table(ConversationRefRow)
sent_messages = _table(SentMessageRow)
bookings = _table(BookingRow)
plan_versions = _table(PlanVersionRow)
plan_approvals = _table(PlanApprovalRow)
plan_item_progress = _table(PlanItemProgressRow)
reminders = _table(ReminderRow)
files = _table(FileRow)
org_templates = _table(OrgTemplateRow)
round_forms = _table(RoundFormRow)
key_canary = _table(KeyCanaryRow)

# Issue #12's tables (team action plan, committee, evaluation) live in their own module.
from storage.models_year import (  # noqa: E402
    CommitteeMemberRow,
    EvaluationInvitationRow,
    EvaluationSlotRow,
    TeamActionOwnerRow,
    TeamActionRow,
)

team_actions = _table(TeamActionRow)
team_action_owners = _table(TeamActionOwnerRow)
committee_members = _table(CommitteeMemberRow)
evaluation_invitations = _table(EvaluationInvitationRow)
evaluation_slots = _table(EvaluationSlotRow)
