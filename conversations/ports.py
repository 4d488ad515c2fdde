"""The storage contract the flows depend on (hexagonal ports).

`storage/` implements these with SQL; anything else (a test double) may too. All methods are
async and keyword-only. A `Tx` is one database transaction: everything a handler writes
through it commits together or not at all, which is how "stored before acknowledged" and
"a redelivered event changes nothing" are made true.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, Protocol

from conversations.domain import (
    AuditEntry,
    Booking,
    ItemProgress,
    ItemStatus,
    LeaderNote,
    Person,
    Phase,
    PlanItem,
    PlanVersion,
    PrepAnswer,
    PrepSession,
    Reminder,
    Round,
    Team,
    Workspace,
)
from conversations.events import Actor, InboundEvent
from conversations.lifecycles.action_item import ActionItemTransition
from conversations.lifecycles.plan import PlanTransition
from conversations.lifecycles.prep import PrepTransition
from conversations.lifecycles.round import RoundTransition
from conversations.messages import HomeView, Message, Reply
from conversations.templates.stored import RoundForm, Scope, Status, StoredTemplate
from conversations.year import EvaluationResponse, TeamAction


class NotFound(LookupError):
    """The row an update names does not exist. Part of the port, so the core can catch it
    without knowing which store raised it."""


class WorkspaceRepo(Protocol):
    async def get_or_create(
        self, *, platform: str, external_id: str, name: str | None = None
    ) -> Workspace: ...

    async def get(self, *, workspace_id: int) -> Workspace | None: ...


class PersonRepo(Protocol):
    async def upsert(
        self,
        *,
        workspace_id: int,
        user_id: str,
        display_name: str | None = None,
        locale: str | None = None,
        timezone: str | None = None,
        is_admin: bool | None = None,
    ) -> Person:
        """Create or update; a None argument leaves the stored value as it is."""
        ...

    async def get(self, *, person_id: int) -> Person | None: ...

    async def get_by_user_id(self, *, workspace_id: int, user_id: str) -> Person | None: ...

    async def get_many(self, *, person_ids: Sequence[int]) -> list[Person]:
        """In the order of `person_ids`; unknown ids are left out."""
        ...

    async def set_can_lead(self, *, person_id: int, can_lead: bool) -> None: ...

    async def leaders(self, *, workspace_id: int) -> list[Person]:
        """People an admin named as leaders (can_lead), by display name."""
        ...

    async def admins(self, *, workspace_id: int) -> list[Person]:
        """The workspace's admins (as the platform reported them), by display name."""
        ...


class TeamRepo(Protocol):
    async def create(
        self,
        *,
        workspace_id: int,
        name: str,
        channel_id: str | None,
        leader_ids: Sequence[int],
        member_ids: Sequence[int],
    ) -> Team: ...

    async def get(self, *, team_id: int) -> Team | None: ...

    async def get_by_channel(self, *, workspace_id: int, channel_id: str) -> Team | None: ...

    async def update(
        self,
        *,
        team_id: int,
        name: str | None = None,
        leader_ids: Sequence[int] | None = None,
        member_ids: Sequence[int] | None = None,
    ) -> Team: ...

    async def in_workspace(self, *, workspace_id: int) -> list[Team]: ...

    async def led_by(self, *, person_id: int) -> list[Team]: ...

    async def with_member(self, *, person_id: int) -> list[Team]: ...


class RoundRepo(Protocol):
    async def create(
        self,
        *,
        team_id: int,
        template_name: str,
        template: dict[str, Any],
        kerneopgave: str,
        udviklingsmaal: str,
        kickoff_at: datetime | None,
        prep_deadline: date,
        conversations_from: date,
        conversations_to: date,
        summary_at: datetime | None,
        started_by: int,
        created_at: datetime,
        leader_ids: Sequence[int] = (),
        member_ids: Sequence[int] = (),
    ) -> Round: ...

    async def get(self, *, round_id: int) -> Round | None: ...

    async def led_by(self, *, person_id: int) -> list[Round]:
        """Rounds the person leads (any phase), newest first."""
        ...

    async def with_member(self, *, person_id: int) -> list[Round]:
        """Rounds the person takes part in as an employee (any phase), newest first."""
        ...

    async def with_members(self, *, person_ids: Sequence[int]) -> dict[int, list[Round]]:
        """Each person's rounds as an employee, newest first, by person id (one statement)."""
        ...

    async def linked_with_teams(
        self, *, person_id: int, as_leader: bool
    ) -> list[tuple[Round, Team]]:
        """`led_by` (`as_leader`) or `with_member`, each round with its team (one statement)."""
        ...

    async def for_team(self, *, team_id: int, include_closed: bool = False) -> list[Round]:
        """Newest first."""
        ...

    async def open_in_workspace(self, *, workspace_id: int) -> list[Round]:
        """Rounds not closed, in the workspace's teams, newest first (an admin closes them)."""
        ...

    async def in_workspace(self, *, workspace_id: int) -> list[Round]:
        """Every round of the workspace's teams, newest first."""
        ...

    async def apply(self, *, round_id: int, transition: RoundTransition) -> Round:
        """Persist a round transition (`conversations.lifecycles.round.decide`): the phase
        becomes `transition.after`. `ValueError` when the stored phase is not
        `transition.before` (decided on stale data); `NotFound` for an unknown round."""
        ...

    async def ended_before(self, *, day: date) -> list[Round]:
        """Rounds whose conversation period ended before `day` (candidates for deletion)."""
        ...

    async def past_prep_deadline(self, *, day: date) -> list[Round]:
        """Rounds still in the prep phase whose prep deadline is before `day`, oldest first
        (the scheduler moves them on: `conversations.round_clock`)."""
        ...

    async def delete(self, *, round_id: int) -> bool:
        """Delete a round and everything in it: answers, notes, bookings, plans, reminders.

        For the retention policy (a workplace keeps MUS material only as long as it needs
        it). False when there was no such round.
        """
        ...

    async def set_template(self, *, round_id: int, template: dict[str, Any]) -> None:
        """Local adaptation after the kickoff meeting; the snapshot is the round's own copy."""
        ...

    async def set_texts(self, *, round_id: int, kerneopgave: str, udviklingsmaal: str) -> None:
        """The team's adaptation may sharpen the core task and the goals."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class OwnPrep:
    """A round as one of its employees prepares it: what answering a question needs."""

    round: Round
    team: Team
    form: RoundForm | None  # None: nobody adapted the round's form (it is out)
    session: PrepSession | None
    answers: Mapping[str, PrepAnswer]
    # Where the person's current question card was posted (`prep_card_key`), read in the same
    # statement, so a typed answer updates that card without a read of its own.
    card_ref: str | None = None


@dataclass(frozen=True, slots=True)
class AnswerWrite:
    """An answer stored together with a session transition (`PrepRepo.apply`): an answer
    and the move past it are one statement where the database allows it."""

    question_id: str
    text: str | None
    skipped: bool = False


PREP_CARD_KEY_PREFIX = "prep-question:"


def prep_card_key(*, round_id: int, person_id: int) -> str:
    """`Message.key` of a person's current question card (the latest one shown wins)."""
    return f"{PREP_CARD_KEY_PREFIX}{round_id}:{person_id}"


class PrepRepo(Protocol):
    async def own(
        self, *, person_id: int, round_id: int | None = None, phases: Sequence[Phase] = ()
    ) -> list[OwnPrep]:
        """In one read: round `round_id` (member or not: the policy decides), or else the
        rounds `person_id` is an employee of (in `phases`, when given), newest first, each
        with its team, form, and the person's own session and answers.

        The person's session and answers are then known to this transaction: `get_session`
        and `answers` on those rounds cost no further statement. Nothing here decides who may
        see what; it reads only `person_id`'s own rows.
        """
        ...

    async def get_session(self, *, round_id: int, person_id: int) -> PrepSession | None: ...

    async def apply(
        self,
        *,
        round_id: int,
        person_id: int,
        transition: PrepTransition,
        at: datetime,
        cursor: int | None = None,
        answer: AnswerWrite | None = None,
    ) -> PrepSession:
        """Persist a prep transition (`conversations.lifecycles.prep`), creating the session
        if needed: the row becomes `lifecycles.prep.persisted(...)`; `cursor` None keeps it.
        `answer` is saved as `save_answer` would, in the same statement on PostgreSQL."""
        ...

    async def sessions(self, *, round_id: int) -> list[PrepSession]: ...

    async def answers(self, *, round_id: int, person_id: int) -> Mapping[str, PrepAnswer]: ...

    async def save_answer(
        self,
        *,
        round_id: int,
        person_id: int,
        question_id: str,
        text: str | None,
        skipped: bool,
        at: datetime,
    ) -> PrepAnswer:
        """Create or replace; `revision` counts the saves (1 for the first)."""
        ...


class LeaderNoteRepo(Protocol):
    async def save(
        self, *, round_id: int, leader_id: int, employee_id: int, text: str, at: datetime
    ) -> LeaderNote: ...

    async def get(
        self, *, round_id: int, leader_id: int, employee_id: int
    ) -> LeaderNote | None: ...


class ProcessedEventRepo(Protocol):
    async def claim(self, *, key: str, at: datetime) -> bool:
        """Record that an inbound delivery was handled; False if it already was.

        Runs inside the handler's transaction, so a handler that fails releases the claim and
        the platform's retry is processed again.
        """
        ...

    async def claim_from(
        self, *, key: str, at: datetime, workspace_id: int, user_id: str
    ) -> tuple[bool, Person | None]:
        """`claim`, and the sender's stored row (None: not met yet) in the same statement."""
        ...

    async def forget_before(self, *, before: datetime) -> int:
        """Drop old ids (retries stop after minutes; keep a few days). Returns the count."""
        ...


class AuditRepo(Protocol):
    async def record(
        self,
        *,
        at: datetime,
        actor_id: int | None,
        action: str,
        subject: str,
        detail: str | None = None,
    ) -> None: ...

    async def record_many(self, *, entries: Sequence[Mapping[str, Any]]) -> None:
        """Several `record`s in one statement (keys: at, actor_id, action, subject, detail)."""
        ...

    async def entries(
        self, *, subject_prefix: str | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        """Newest first."""
        ...


class BookingRepo(Protocol):
    async def save(
        self,
        *,
        round_id: int,
        employee_id: int,
        starts_at: datetime,
        minutes: int,
        booked_by: int,
        at: datetime,
        place: str = "",
    ) -> Booking:
        """Create (sequence 0), or reschedule (sequence + 1)."""
        ...

    async def get(self, *, round_id: int, employee_id: int) -> Booking | None: ...

    async def for_round(self, *, round_id: int) -> list[Booking]: ...


class PlanRepo(Protocol):
    async def add_version(
        self,
        *,
        round_id: int,
        employee_id: int,
        items: Sequence[PlanItem],
        follow_up_on: date | None,
        author_id: int,
        at: datetime,
    ) -> PlanVersion:
        """A new DRAFT numbered after the latest; earlier versions are left as they are.
        Every other state is reached through `apply` (the plan lifecycle)."""
        ...

    async def update_draft(
        self, *, version_id: int, items: Sequence[PlanItem], follow_up_on: date | None
    ) -> PlanVersion:
        """Change a version still in DRAFT (callers check the state)."""
        ...

    async def apply(
        self,
        *,
        round_id: int,
        employee_id: int,
        transition: PlanTransition,
        actor_id: int,
        at: datetime,
        change_request: str | None = None,
    ) -> PlanVersion:
        """Persist a plan transition (`conversations.lifecycles.plan`) on the newest version
        and return the newest version afterwards. In order: SUPERSEDE_PROPOSED (with
        `change_request`), SIGN (by `actor_id`), the new state, SUPERSEDE_EARLIER_AGREED,
        NEW_DRAFT (a copy of the newest version's content, authored by `actor_id`).
        `ValueError` when the newest version is not in `transition.before`."""
        ...

    async def approve(self, *, version_id: int, person_id: int, at: datetime) -> PlanVersion:
        """Record a signature (once per person and version) and return the version."""
        ...

    async def lock(self, *, round_id: int, employee_id: int) -> None:
        """Hold one plan for the rest of the transaction, so what a flow reads is still true
        when it writes (PostgreSQL: an advisory lock; SQLite writers are serial already)."""
        ...

    async def latest(self, *, round_id: int, employee_id: int) -> PlanVersion | None: ...

    async def versions(self, *, round_id: int, employee_id: int) -> list[PlanVersion]:
        """Oldest first."""
        ...

    async def versions_for_round(self, *, round_id: int) -> dict[int, list[PlanVersion]]:
        """Every employee's versions, oldest first, by employee id (bounded statements)."""
        ...

    async def item_progress_for_round(self, *, round_id: int) -> dict[int, dict[str, ItemProgress]]:
        """Every employee's item follow-up, by employee id (one statement)."""
        ...

    async def versions_in(
        self, *, round_ids: Sequence[int], employee_ids: Sequence[int]
    ) -> dict[tuple[int, int], list[PlanVersion]]:
        """Versions of several plans, oldest first, by (round id, employee id) (bounded)."""
        ...

    async def item_progress_in(
        self, *, plans: Sequence[tuple[int, int]]
    ) -> dict[tuple[int, int], dict[str, ItemProgress]]:
        """Item follow-up of several plans, by (round id, employee id) (one statement)."""
        ...

    async def set_item_status(
        self,
        *,
        round_id: int,
        employee_id: int,
        item_id: str,
        status: ItemStatus,
        by: int,
        at: datetime,
    ) -> None: ...

    async def item_progress(
        self, *, round_id: int, employee_id: int
    ) -> dict[str, ItemProgress]: ...


class OutboxRepo(Protocol):
    async def schedule(
        self,
        *,
        key: str,
        kind: str,
        round_id: int,
        recipient_id: int,
        subject_id: int | None,
        due_at: datetime,
    ) -> Reminder:
        """Insert, or move a PENDING/FAILED/CANCELLED row with this key to the new time (attempts reset).

        A row already SENT is left alone and returned: a reminder is never sent twice.
        """
        ...

    async def cancel(self, *, key: str) -> None:
        """Cancel a pending reminder (nothing happens to one already sent)."""
        ...

    async def claim_due(
        self,
        *,
        now: datetime,
        limit: int,
        worker: str,
        lease_seconds: float,
        per_recipient: int | None = None,
    ) -> list[Reminder]:
        """Mark up to `limit` due rows SENDING for `worker` until now + lease, and return them.

        Due: PENDING with due_at <= now, or SENDING whose lease expired (a worker died).
        Concurrent workers never get the same row (PostgreSQL: FOR UPDATE SKIP LOCKED).
        `per_recipient`: at most that many rows per recipient, none for a recipient with a
        row in a worker's hands, the longest queues first (a batch spread over recipients).
        """
        ...

    async def mark_sent(self, *, reminder_id: int, worker: str, at: datetime) -> bool:
        """False when the claim was lost (lease expired and another worker took it)."""
        ...

    async def mark_retry(
        self, *, reminder_id: int, worker: str, due_at: datetime, error: str
    ) -> None:
        """Back to PENDING, due at `due_at` (moved: outside working hours, or a back-off)."""
        ...

    async def mark_held(
        self, *, reminder_id: int, worker: str, until: datetime, error: str
    ) -> None:
        """Back to PENDING, not sent before `until` (a 429's Retry-After), keeping
        its due time, so it keeps its place in its recipient's queue: while it is held, none
        of the recipient's other rows is claimed either, and after it they go in due order."""
        ...

    async def extend_lease(
        self, *, reminder_ids: Sequence[int], worker: str, lease_until: datetime
    ) -> int:
        """Keep rows this worker is still sending claimed until `lease_until`; how many."""
        ...

    async def mark_failed(self, *, reminder_id: int, worker: str, error: str) -> None: ...

    async def mark_cancelled(self, *, reminder_id: int, worker: str) -> None: ...

    async def for_round(self, *, round_id: int) -> list[Reminder]:
        """Every reminder of a round, by due time."""
        ...

    async def cancel_for_subject(
        self, *, round_id: int, subject_id: int, kinds: Sequence[str]
    ) -> int:
        """Pending reminders of these kinds about one employee become CANCELLED."""
        ...

    async def cancel_for_round(self, *, round_id: int, kinds: Sequence[str]) -> int:
        """Cancel the round's pending reminders of these kinds (a closed round's prep nudges
        and booking reminders); returns how many. Other kinds (follow-ups) are left alone."""
        ...

    async def get(self, *, key: str) -> Reminder | None: ...


class TeamActionRepo(Protocol):
    """The team's action plan (Skema 5); state moves only by its lifecycle's transitions."""

    async def create(
        self,
        *,
        round_id: int,
        what: str,
        due_on: date,
        follow_up: str,
        owner_ids: Sequence[int],
        transition: ActionItemTransition,
        by: int,
        at: datetime,
    ) -> TeamAction: ...

    async def get(self, *, action_id: int) -> TeamAction | None: ...

    async def for_round(self, *, round_id: int) -> list[TeamAction]:
        """In the order they were agreed."""
        ...

    async def apply(
        self, *, action_id: int, transition: ActionItemTransition, by: int, at: datetime
    ) -> TeamAction:
        """Move from `transition.before` only (ValueError if it moved meanwhile)."""
        ...

    async def edit(
        self,
        *,
        action_id: int,
        transition: ActionItemTransition,
        what: str,
        due_on: date,
        follow_up: str,
        owner_ids: Sequence[int],
        by: int,
        at: datetime,
    ) -> TeamAction:
        """Replace what, when, who and how (an EDIT transition, from `transition.before`
        only: ValueError if it moved meanwhile) and return the item as it now is."""
        ...


class CommitteeRepo(Protocol):
    """Who sits on the cooperation committee of a workspace (named by an admin)."""

    async def set_members(self, *, workspace_id: int, person_ids: Sequence[int]) -> None: ...

    async def members(self, *, workspace_id: int) -> list[int]: ...


class EvaluationRepo(Protocol):
    """The anonymous evaluation: invitations (who, answered) and slots (answers) kept apart."""

    async def invite(self, *, round_id: int, person_ids: Sequence[int]) -> int:
        """Invite people not yet invited and add one empty slot for each, in random order;
        returns how many were newly invited."""
        ...

    async def is_open_for(self, *, round_id: int, person_id: int) -> bool:
        """Invited and not answered yet."""
        ...

    async def answer(
        self, *, round_id: int, person_id: int, scores: Mapping[str, int], comment: str | None
    ) -> bool:
        """Mark the invitation answered and fill a random empty slot, once (False if not
        invited or already answered)."""
        ...

    async def responses(self, *, round_ids: Sequence[int]) -> list[EvaluationResponse]: ...

    async def invited(self, *, round_ids: Sequence[int]) -> int: ...


class TemplateRepo(Protocol):
    """Templates kept in the database; every import adds a version, nothing is overwritten."""

    async def add(
        self,
        *,
        name: str,
        data: dict[str, Any],
        source_text: str | None,
        scope: Scope,
        status: Status,
        owner_id: int | None,
        at: datetime,
    ) -> StoredTemplate: ...

    async def latest(self, *, name: str) -> StoredTemplate | None: ...

    async def versions(self, *, name: str) -> list[StoredTemplate]: ...

    async def all_latest(self) -> list[StoredTemplate]: ...

    async def offered(self, *, person_id: int | None) -> list[StoredTemplate]: ...

    async def set_status(self, *, name: str, status: Status, scope: Scope | None = None) -> int: ...


class RoundFormRepo(Protocol):
    """A round's form while the team adapts it (sub-groups, ids used, release)."""

    async def get(self, *, round_id: int) -> RoundForm | None: ...

    async def save(self, *, form: RoundForm) -> None: ...


class Tx(Protocol):
    """One transaction with every repository bound to it."""

    workspaces: WorkspaceRepo
    people: PersonRepo
    teams: TeamRepo
    rounds: RoundRepo
    prep: PrepRepo
    notes: LeaderNoteRepo
    events: ProcessedEventRepo
    audit: AuditRepo
    conversation_refs: ConversationRefRepo
    sent_messages: SentMessageRepo
    bookings: BookingRepo
    plans: PlanRepo
    outbox: OutboxRepo
    team_actions: TeamActionRepo
    committee: CommitteeRepo
    evaluations: EvaluationRepo
    templates: TemplateRepo
    round_forms: RoundFormRepo


class Store(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[Tx]:
        """Commit on normal exit, roll back on an exception."""
        ...

    def autocommit(self) -> AbstractAsyncContextManager[Tx]:
        """Each statement commits on its own, where the database allows it without a
        transaction around them (no BEGIN and COMMIT round trips): for writes that need no
        atomicity across statements. Elsewhere it is `transaction`."""
        ...

    def reading(self) -> AbstractAsyncContextManager[Tx]:
        """Reads only, with no transaction around them where the database allows it (no
        BEGIN and COMMIT round trips, no wait behind SQLite's writer): for events that only
        show something. A write inside raises `WriteInRead` before it reaches the database,
        so the caller can run the event again in a `transaction`."""
        ...


class WriteInRead(Exception):
    """A write was attempted inside `Store.reading`; nothing was written."""


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware datetime (UTC)."""
        ...


# ---------------------------------------------------------------- platform side
# Implemented by each adapter. The core delivers proactive messages (channel posts, DMs, home
# views) through it, so failure handling and the words shown to people live in one place.

DeliveryFailure = Literal[
    "rate_limited",  # 429; retry after `retry_after` seconds
    "unavailable",  # 5xx, timeout, network: retry with back-off
    "channel_not_found",
    "not_in_channel",  # the bot is not a member of the channel
    "user_gone",  # deactivated user, or the user removed the app (Teams 403)
    "forbidden",  # missing scope or permission
    "invalid",  # the platform rejected the message itself
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Pace:
    """How fast one conversation may be written to: `per_second` on average, `burst` at once.

    A port that states one (as `conversation_pace`) has the outbox pace each conversation
    to it; a port that paces itself (Teams' limiter) or has no limit states none.
    """

    per_second: float
    burst: int = 1


class DeliveryError(Exception):
    """A platform refused or failed a delivery, described neutrally."""

    def __init__(
        self, kind: DeliveryFailure, *, detail: str = "", retry_after: float | None = None
    ):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind: DeliveryFailure = kind
        self.detail = detail
        self.retry_after = retry_after

    @property
    def permanent(self) -> bool:
        return self.kind not in ("rate_limited", "unavailable")


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelInfo:
    """What a leader must know about a channel before a round posts there."""

    name: str  # as people know it ("#team-a", "Team › General"); never a raw id if avoidable
    bot_is_member: bool


class PlatformPort(Protocol):
    """What an adapter offers the core for one workspace."""

    @property
    def platform(self) -> str:
        """`slack`, `teams`, `web` or `test`: the namespace of the workspace ids."""
        ...

    @property
    def command_prefix(self) -> str:
        """How people type the bot's commands here (`/mus` in Slack, `mus` in a chat)."""
        ...

    async def send(self, *, workspace_id: str, message: Message) -> str | None:
        """Post a `ToPerson`/`ToChannel` message (or update `message.replaces`).

        Returns a message ref usable in `Message.replaces`, where the platform has one.
        Raises `DeliveryError`.
        """
        ...

    async def publish_home(self, *, workspace_id: str, view: HomeView) -> None:
        """Show a person's overview; a platform without one may do nothing."""
        ...

    async def channel_members(self, *, workspace_id: str, channel_id: str) -> list[Actor]:
        """Human members of a channel (no bots). Raises `DeliveryError` when unreadable."""
        ...

    async def lookup(self, *, workspace_id: str, user_id: str) -> Actor | None:
        """Profile of a user: display name, locale, time zone, admin flag."""
        ...

    async def channel_info(self, *, workspace_id: str, channel_id: str) -> ChannelInfo | None:
        """The channel's name and whether the bot may post there; None when it cannot be read."""
        ...


class ConversationRefRepo(Protocol):
    """Opaque per-platform handles needed to message someone proactively (Teams references)."""

    async def save(
        self, *, platform: str, workspace_id: str, key: str, ref: dict[str, Any]
    ) -> None: ...

    async def get(self, *, platform: str, workspace_id: str, key: str) -> dict[str, Any] | None: ...


@dataclass(frozen=True, slots=True)
class RefWrite:
    """Record `key` -> `ref` (the latest message under a key), or forget `ref` (key None)."""

    platform: str
    workspace_id: str
    ref: str
    key: str | None = None
    user_id: str | None = None
    at: datetime | None = None


class SentMessageRepo(Protocol):
    """Where keyed messages (`Message.key`) ended up: neutral key -> the platform's message ref.

    Written by whoever delivered the message, read by the engine to resolve
    `Message.replaces_key`. `user_id` is the person whose chat the message is in (so erasing
    a person erases their refs); None for a channel.
    """

    async def record(
        self,
        *,
        platform: str,
        workspace_id: str,
        key: str,
        ref: str,
        user_id: str | None,
        at: datetime,
    ) -> None:
        """Create or replace (the latest message under a key wins)."""
        ...

    async def get(self, *, platform: str, workspace_id: str, key: str) -> str | None: ...

    async def forget(self, *, platform: str, workspace_id: str, ref: str) -> None:
        """The message at `ref` was overwritten in place by unkeyed content (an overview drawn
        over a question card): no key may point at it any more."""
        ...

    async def write_many(self, *, writes: Sequence[RefWrite]) -> None:
        """`record` (a write with a key) and `forget` (without) for each write, in order: the
        same as calling them one by one, in fewer round trips (`SentLog`'s group commit)."""
        ...


class EventHandler(Protocol):
    """What adapters call: the core's entry point (implemented by `conversations.engine.Engine`).

    The core delivers `ToPerson`/`ToChannel` messages and `HomeView`s itself through `platform`
    before returning. The returned `Reply` holds only what answers the request in place:
    `Message(to=ToActor())`, `Form` (open a modal/card for the actor) and `FormErrors`.
    A redelivered event (same `event_id`) returns an empty `Reply`.
    """

    async def handle(self, event: InboundEvent, *, platform: PlatformPort) -> Reply: ...

    async def record_sent(
        self, *, platform: str, workspace_id: str, key: str, ref: str, user_id: str | None
    ) -> None:
        """An adapter posted an in-place answer carrying `Message.key`: remember where (its
        platform ref), so a later `Message.replaces_key` can update it. Never raises."""
        ...
