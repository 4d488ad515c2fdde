"""An in-memory `Store` for pure flow tests and the demo: same contract as the SQL store.

It is checked by the same repository contract suite as SQLite and PostgreSQL, so flow tests
that use it test real behaviour, not a mock's. Transactions are copy-on-write snapshots: a
handler that raises leaves nothing behind, as with a database. Where SQL refuses something
(a naive datetime, an unknown id, a team without a leader) this store refuses it the same
way, so a flow bug shows in the fast tests too.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from conversations.domain import (
    Approval,
    AuditEntry,
    Booking,
    ItemProgress,
    ItemStatus,
    LeaderNote,
    Person,
    Phase,
    PlanItem,
    PlanState,
    PlanVersion,
    PrepAnswer,
    PrepSession,
    PrepStatus,
    Reminder,
    ReminderState,
    Round,
    Team,
    Workspace,
)
from conversations.ports import (
    AuditRepo,
    BookingRepo,
    ConversationRefRepo,
    LeaderNoteRepo,
    OutboxRepo,
    PersonRepo,
    PlanRepo,
    PrepRepo,
    ProcessedEventRepo,
    RoundFormRepo,
    RoundRepo,
    Store,
    TeamRepo,
    TemplateRepo,
    WorkspaceRepo,
)
from conversations.templates.stored import RoundForm, Scope, Status, StoredTemplate
from storage.files import FileRepo, StoredFile, new_token
from storage.repositories._base import NotFound, unique
from storage.types import as_utc


def _utc(value: datetime | None) -> datetime | None:
    """As the SQL columns do: refuse naive datetimes, hand back UTC."""
    return None if value is None else as_utc(value)


@dataclass
class _Data:
    workspaces: dict[int, Workspace] = field(default_factory=dict)
    people: dict[int, Person] = field(default_factory=dict)
    teams: dict[int, Team] = field(default_factory=dict)
    rounds: dict[int, Round] = field(default_factory=dict)
    sessions: dict[tuple[int, int], PrepSession] = field(default_factory=dict)
    answers: dict[tuple[int, int, str], PrepAnswer] = field(default_factory=dict)
    notes: dict[tuple[int, int, int], LeaderNote] = field(default_factory=dict)
    events: dict[str, datetime] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)
    refs: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    bookings: dict[tuple[int, int], Booking] = field(default_factory=dict)
    plans: dict[int, PlanVersion] = field(default_factory=dict)
    progress: dict[tuple[int, int, str], ItemProgress] = field(default_factory=dict)
    reminders: dict[str, Reminder] = field(default_factory=dict)
    templates: dict[int, StoredTemplate] = field(default_factory=dict)
    round_forms: dict[int, RoundForm] = field(default_factory=dict)
    next_id: int = 1

    def snapshot(self) -> _Data:
        """A copy for one transaction. Values are immutable (frozen dataclasses, or dicts the
        repositories copy on the way in and out), so copying the containers is enough."""
        copied = _Data(next_id=self.next_id)
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, dict | list):
                setattr(copied, name, value.copy())
        return copied

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1


class _Workspaces:
    def __init__(self, d: _Data) -> None:
        self.d = d

    async def get_or_create(
        self, *, platform: str, external_id: str, name: str | None = None
    ) -> Workspace:
        """A given `name` replaces the stored one (renames are picked up), as in SQL."""
        for w in self.d.workspaces.values():
            if w.platform == platform and w.external_id == external_id:
                if name is not None and w.name != name:
                    w = replace(w, name=name)
                    self.d.workspaces[w.id] = w
                return w
        w = Workspace(id=self.d.new_id(), platform=platform, external_id=external_id, name=name)
        self.d.workspaces[w.id] = w
        return w

    async def get(self, *, workspace_id: int) -> Workspace | None:
        return self.d.workspaces.get(workspace_id)


class _People:
    def __init__(self, d: _Data) -> None:
        self.d = d

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
        """A new person without a display name is shown by their user id, as in SQL."""
        found = await self.get_by_user_id(workspace_id=workspace_id, user_id=user_id)
        if found is None:
            found = Person(
                id=self.d.new_id(), workspace_id=workspace_id, user_id=user_id, display_name=user_id
            )
        changes: dict[str, Any] = {}
        if display_name is not None:
            changes["display_name"] = display_name
        if locale is not None:
            changes["locale"] = locale
        if timezone is not None:
            changes["timezone"] = timezone
        if is_admin is not None:
            changes["is_admin"] = is_admin
        person = replace(found, **changes)
        self.d.people[person.id] = person
        return person

    async def get(self, *, person_id: int) -> Person | None:
        return self.d.people.get(person_id)

    async def get_by_user_id(self, *, workspace_id: int, user_id: str) -> Person | None:
        for p in self.d.people.values():
            if p.workspace_id == workspace_id and p.user_id == user_id:
                return p
        return None

    async def get_many(self, *, person_ids: Sequence[int]) -> list[Person]:
        return [self.d.people[i] for i in person_ids if i in self.d.people]

    async def set_can_lead(self, *, person_id: int, can_lead: bool) -> None:
        if person_id not in self.d.people:
            raise NotFound(f"person {person_id}")
        self.d.people[person_id] = replace(self.d.people[person_id], can_lead=can_lead)

    async def leaders(self, *, workspace_id: int) -> list[Person]:
        found = [p for p in self.d.people.values() if p.workspace_id == workspace_id and p.can_lead]
        return sorted(found, key=lambda p: (p.display_name, p.id))


def _require_leaders(leader_ids: Sequence[int]) -> None:
    if not leader_ids:
        raise ValueError("a team has one or more leaders")


class _Teams:
    def __init__(self, d: _Data) -> None:
        self.d = d

    async def create(
        self,
        *,
        workspace_id: int,
        name: str,
        channel_id: str | None,
        leader_ids: Sequence[int],
        member_ids: Sequence[int],
    ) -> Team:
        """Repeated ids are kept once (first place wins); no leader is a `ValueError`."""
        _require_leaders(leader_ids)
        team = Team(
            id=self.d.new_id(),
            workspace_id=workspace_id,
            name=name,
            channel_id=channel_id,
            leader_ids=tuple(unique(leader_ids)),
            member_ids=tuple(unique(member_ids)),
        )
        self.d.teams[team.id] = team
        return team

    async def get(self, *, team_id: int) -> Team | None:
        return self.d.teams.get(team_id)

    async def get_by_channel(self, *, workspace_id: int, channel_id: str) -> Team | None:
        for t in self.d.teams.values():
            if t.workspace_id == workspace_id and t.channel_id == channel_id:
                return t
        return None

    async def update(
        self,
        *,
        team_id: int,
        name: str | None = None,
        leader_ids: Sequence[int] | None = None,
        member_ids: Sequence[int] | None = None,
    ) -> Team:
        if leader_ids is not None:
            _require_leaders(leader_ids)
        if team_id not in self.d.teams:
            raise NotFound(f"team {team_id}")
        team = self.d.teams[team_id]
        if name is not None:
            team = replace(team, name=name)
        if leader_ids is not None:
            team = replace(team, leader_ids=tuple(unique(leader_ids)))
        if member_ids is not None:
            team = replace(team, member_ids=tuple(unique(member_ids)))
        self.d.teams[team_id] = team
        return team

    async def led_by(self, *, person_id: int) -> list[Team]:
        return [t for _, t in sorted(self.d.teams.items()) if person_id in t.leader_ids]

    async def with_member(self, *, person_id: int) -> list[Team]:
        return [t for _, t in sorted(self.d.teams.items()) if person_id in t.member_ids]


class _Rounds:
    def __init__(self, d: _Data) -> None:
        self.d = d

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
    ) -> Round:
        for pid in (*leader_ids, *member_ids):
            if pid not in self.d.people:
                raise NotFound(f"person {pid}")
        created = Round(
            leader_ids=tuple(dict.fromkeys(leader_ids)),
            member_ids=tuple(dict.fromkeys(member_ids)),
            id=self.d.new_id(),
            team_id=team_id,
            template_name=template_name,
            template=copy.deepcopy(template),
            kerneopgave=kerneopgave,
            udviklingsmaal=udviklingsmaal,
            kickoff_at=_utc(kickoff_at),
            prep_deadline=prep_deadline,
            conversations_from=conversations_from,
            conversations_to=conversations_to,
            summary_at=_utc(summary_at),
            phase=Phase.PREP,
            started_by=started_by,
            created_at=as_utc(created_at),
        )
        self.d.rounds[created.id] = created
        return self._copy(created)

    async def get(self, *, round_id: int) -> Round | None:
        found = self.d.rounds.get(round_id)
        return None if found is None else self._copy(found)

    async def led_by(self, *, person_id: int) -> list[Round]:
        found = [self._copy(r) for r in self.d.rounds.values() if person_id in r.leader_ids]
        return sorted(found, key=lambda r: (r.created_at, r.id), reverse=True)

    async def with_member(self, *, person_id: int) -> list[Round]:
        found = [self._copy(r) for r in self.d.rounds.values() if person_id in r.member_ids]
        return sorted(found, key=lambda r: (r.created_at, r.id), reverse=True)

    async def for_team(self, *, team_id: int, include_closed: bool = False) -> list[Round]:
        found = [
            self._copy(r)
            for r in self.d.rounds.values()
            if r.team_id == team_id and (include_closed or r.phase != Phase.CLOSED)
        ]
        return sorted(found, key=lambda r: (r.created_at, r.id), reverse=True)

    async def ended_before(self, *, day: date) -> list[Round]:
        found = [self._copy(r) for r in self.d.rounds.values() if r.conversations_to < day]
        return sorted(found, key=lambda r: (r.conversations_to, r.id))

    async def delete(self, *, round_id: int) -> bool:
        """Like SQL's ON DELETE CASCADE: everything keyed by the round goes with it."""
        if self.d.rounds.pop(round_id, None) is None:
            return False
        versions = {v.id for v in self.d.plans.values() if v.round_id == round_id}
        for name in ("sessions", "answers", "notes", "bookings", "progress"):
            table = getattr(self.d, name)
            for key in [k for k in table if k[0] == round_id]:
                del table[key]
        for version_id in versions:
            del self.d.plans[version_id]
        for key in [k for k, r in self.d.reminders.items() if r.round_id == round_id]:
            del self.d.reminders[key]
        return True

    async def set_phase(self, *, round_id: int, phase: Phase) -> None:
        self.d.rounds[round_id] = replace(self._require(round_id), phase=Phase(phase))

    async def set_template(self, *, round_id: int, template: dict[str, Any]) -> None:
        self.d.rounds[round_id] = replace(self._require(round_id), template=copy.deepcopy(template))

    async def set_texts(self, *, round_id: int, kerneopgave: str, udviklingsmaal: str) -> None:
        self.d.rounds[round_id] = replace(
            self._require(round_id), kerneopgave=kerneopgave, udviklingsmaal=udviklingsmaal
        )

    def _require(self, round_id: int) -> Round:
        if round_id not in self.d.rounds:
            raise NotFound(f"round {round_id}")
        return self.d.rounds[round_id]

    @staticmethod
    def _copy(found: Round) -> Round:
        """The template is the round's own: a caller editing what it got changes nothing."""
        return replace(found, template=copy.deepcopy(found.template))


class _Prep:
    def __init__(self, d: _Data) -> None:
        self.d = d

    async def get_session(self, *, round_id: int, person_id: int) -> PrepSession | None:
        return self.d.sessions.get((round_id, person_id))

    async def save_session(
        self,
        *,
        round_id: int,
        person_id: int,
        cursor: int,
        status: PrepStatus,
        at: datetime,
        shared_at: datetime | None = None,
        conversation_held_at: datetime | None = None,
    ) -> PrepSession:
        session = PrepSession(
            round_id=round_id,
            person_id=person_id,
            cursor=cursor,
            status=PrepStatus(status),
            shared_at=_utc(shared_at),
            conversation_held_at=_utc(conversation_held_at),
            updated_at=as_utc(at),
        )
        self.d.sessions[(round_id, person_id)] = session
        return session

    async def sessions(self, *, round_id: int) -> list[PrepSession]:
        """By person id, as in SQL."""
        return [s for (r, _), s in sorted(self.d.sessions.items()) if r == round_id]

    async def answers(self, *, round_id: int, person_id: int) -> dict[str, PrepAnswer]:
        return {q: a for (r, p, q), a in self.d.answers.items() if r == round_id and p == person_id}

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
        key = (round_id, person_id, question_id)
        previous = self.d.answers.get(key)
        answer = PrepAnswer(
            round_id=round_id,
            person_id=person_id,
            question_id=question_id,
            text=text,
            skipped=skipped,
            updated_at=as_utc(at),
            revision=(previous.revision + 1) if previous else 1,
        )
        self.d.answers[key] = answer
        return answer


class _Notes:
    def __init__(self, d: _Data) -> None:
        self.d = d

    async def save(
        self, *, round_id: int, leader_id: int, employee_id: int, text: str, at: datetime
    ) -> LeaderNote:
        note = LeaderNote(
            round_id=round_id,
            leader_id=leader_id,
            employee_id=employee_id,
            text=text,
            updated_at=as_utc(at),
        )
        self.d.notes[(round_id, leader_id, employee_id)] = note
        return note

    async def get(self, *, round_id: int, leader_id: int, employee_id: int) -> LeaderNote | None:
        return self.d.notes.get((round_id, leader_id, employee_id))


class _Events:
    def __init__(self, d: _Data) -> None:
        self.d = d

    async def claim(self, *, key: str, at: datetime) -> bool:
        at = as_utc(at)
        if key in self.d.events:
            return False
        self.d.events[key] = at
        return True

    async def forget_before(self, *, before: datetime) -> int:
        before = as_utc(before)
        old = [k for k, at in self.d.events.items() if at < before]
        for k in old:
            del self.d.events[k]
        return len(old)


class _Audit:
    def __init__(self, d: _Data) -> None:
        self.d = d

    async def record(
        self,
        *,
        at: datetime,
        actor_id: int | None,
        action: str,
        subject: str,
        detail: str | None = None,
    ) -> None:
        self.d.audit.append(
            AuditEntry(
                id=self.d.new_id(),
                at=as_utc(at),
                actor_id=actor_id,
                action=action,
                subject=subject,
                detail=detail,
            )
        )

    async def entries(
        self, *, subject_prefix: str | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        """Newest first by `at` (then id), whatever order the entries were recorded in."""
        found = [
            e for e in self.d.audit if not subject_prefix or e.subject.startswith(subject_prefix)
        ]
        found.sort(key=lambda e: (e.at, e.id), reverse=True)
        return found[:limit]


class _Refs:
    def __init__(self, d: _Data) -> None:
        self.d = d

    async def save(
        self, *, platform: str, workspace_id: str, key: str, ref: dict[str, Any]
    ) -> None:
        self.d.refs[(platform, workspace_id, key)] = copy.deepcopy(ref)

    async def get(self, *, platform: str, workspace_id: str, key: str) -> dict[str, Any] | None:
        found = self.d.refs.get((platform, workspace_id, key))
        return copy.deepcopy(found) if found is not None else None


class _Bookings:
    def __init__(self, d: _Data) -> None:
        self.d = d

    async def save(
        self,
        *,
        round_id: int,
        employee_id: int,
        starts_at: datetime,
        minutes: int,
        booked_by: int,
        at: datetime,
    ) -> Booking:
        """Create (sequence 0), or reschedule (sequence + 1)."""
        previous = self.d.bookings.get((round_id, employee_id))
        booking = Booking(
            round_id=round_id,
            employee_id=employee_id,
            starts_at=as_utc(starts_at),
            minutes=minutes,
            booked_by=booked_by,
            sequence=0 if previous is None else previous.sequence + 1,
            updated_at=as_utc(at),
        )
        self.d.bookings[(round_id, employee_id)] = booking
        return booking

    async def get(self, *, round_id: int, employee_id: int) -> Booking | None:
        return self.d.bookings.get((round_id, employee_id))

    async def for_round(self, *, round_id: int) -> list[Booking]:
        found = [b for (r, _), b in self.d.bookings.items() if r == round_id]
        return sorted(found, key=lambda b: (b.starts_at, b.employee_id))


def _items(items: Sequence[PlanItem]) -> tuple[PlanItem, ...]:
    """Own copies (the fields dicts are mutable); repeated item ids are refused, as in SQL."""
    ids = [item.id for item in items]
    if len(set(ids)) != len(ids):
        raise ValueError(f"plan item ids repeat: {ids}")
    return tuple(replace(item, fields=dict(item.fields)) for item in items)


class _Plans:
    def __init__(self, d: _Data) -> None:
        self.d = d

    async def add_version(
        self,
        *,
        round_id: int,
        employee_id: int,
        state: PlanState,
        items: Sequence[PlanItem],
        follow_up_on: date | None,
        author_id: int,
        at: datetime,
    ) -> PlanVersion:
        mine = self._plan(round_id, employee_id)
        version = PlanVersion(
            id=self.d.new_id(),
            round_id=round_id,
            employee_id=employee_id,
            number=(mine[-1].number + 1) if mine else 1,
            state=PlanState(state),
            items=_items(items),
            follow_up_on=follow_up_on,
            author_id=author_id,
            created_at=as_utc(at),
        )
        self.d.plans[version.id] = version
        return _copy(version)

    async def update_draft(
        self, *, version_id: int, items: Sequence[PlanItem], follow_up_on: date | None
    ) -> PlanVersion:
        """Change a version still in DRAFT; otherwise `ValueError`, as in SQL."""
        version = self._require(version_id)
        if version.state != PlanState.DRAFT:
            raise ValueError(f"plan version {version_id} is {version.state}, not a draft")
        version = replace(version, items=_items(items), follow_up_on=follow_up_on)
        self.d.plans[version_id] = version
        return _copy(version)

    async def set_state(
        self, *, version_id: int, state: PlanState, change_request: str | None = None
    ) -> None:
        """None keeps the stored change request, as in SQL."""
        version = replace(self._require(version_id), state=PlanState(state))
        if change_request is not None:
            version = replace(version, change_request=change_request)
        self.d.plans[version_id] = version

    async def approve(self, *, version_id: int, person_id: int, at: datetime) -> PlanVersion:
        version = self._require(version_id)
        if all(a.person_id != person_id for a in version.approvals):
            signed = (*version.approvals, Approval(person_id=person_id, at=as_utc(at)))
            # Earliest first; a stable sort keeps signing order for equal times, like the id.
            version = replace(version, approvals=tuple(sorted(signed, key=lambda a: a.at)))
            self.d.plans[version_id] = version
        return _copy(version)

    async def lock(self, *, round_id: int, employee_id: int) -> None:
        """The store's one lock already serialises transactions."""

    async def latest(self, *, round_id: int, employee_id: int) -> PlanVersion | None:
        mine = self._plan(round_id, employee_id)
        return _copy(mine[-1]) if mine else None

    async def versions(self, *, round_id: int, employee_id: int) -> list[PlanVersion]:
        return [_copy(v) for v in self._plan(round_id, employee_id)]

    async def set_item_status(
        self,
        *,
        round_id: int,
        employee_id: int,
        item_id: str,
        status: ItemStatus,
        by: int,
        at: datetime,
    ) -> None:
        self.d.progress[(round_id, employee_id, item_id)] = ItemProgress(
            round_id=round_id,
            employee_id=employee_id,
            item_id=item_id,
            status=ItemStatus(status),
            updated_by=by,
            updated_at=as_utc(at),
        )

    async def item_progress(self, *, round_id: int, employee_id: int) -> dict[str, ItemProgress]:
        return {
            i: p
            for (r, e, i), p in sorted(self.d.progress.items())
            if r == round_id and e == employee_id
        }

    def _plan(self, round_id: int, employee_id: int) -> list[PlanVersion]:
        found = [
            v
            for v in self.d.plans.values()
            if v.round_id == round_id and v.employee_id == employee_id
        ]
        return sorted(found, key=lambda v: v.number)

    def _require(self, version_id: int) -> PlanVersion:
        if version_id not in self.d.plans:
            raise NotFound(f"plan version {version_id}")
        return self.d.plans[version_id]


def _copy(version: PlanVersion) -> PlanVersion:
    return replace(version, items=_items(version.items))


_RESCHEDULABLE = (ReminderState.PENDING, ReminderState.FAILED, ReminderState.CANCELLED)


class _Outbox:
    """The same state machine as `storage.repositories.outbox`; the store's lock serialises."""

    def __init__(self, d: _Data) -> None:
        self.d = d

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
        found = self.d.reminders.get(key)
        if found is not None and found.state not in _RESCHEDULABLE:
            return found
        reminder = Reminder(
            id=self.d.new_id() if found is None else found.id,
            key=key,
            kind=kind,
            round_id=round_id,
            recipient_id=recipient_id,
            subject_id=subject_id,
            due_at=as_utc(due_at),
            state=ReminderState.PENDING,
            attempts=0,
            last_error=None,
            sent_at=None if found is None else found.sent_at,
            lease_until=None,
            worker=None,
        )
        self.d.reminders[key] = reminder
        return reminder

    async def cancel(self, *, key: str) -> None:
        found = self.d.reminders.get(key)
        if found is not None and found.state == ReminderState.PENDING:
            self.d.reminders[key] = replace(found, state=ReminderState.CANCELLED)

    async def claim_due(
        self, *, now: datetime, limit: int, worker: str, lease_seconds: float
    ) -> list[Reminder]:
        now = as_utc(now)
        due = sorted(
            (
                r
                for r in self.d.reminders.values()
                if (r.state == ReminderState.PENDING and r.due_at <= now)
                or (
                    r.state == ReminderState.SENDING
                    and r.lease_until is not None
                    and r.lease_until < now
                )
            ),
            key=lambda r: (r.due_at, r.id),
        )[: max(limit, 0)]
        claimed = [
            replace(
                r,
                state=ReminderState.SENDING,
                worker=worker,
                lease_until=now + timedelta(seconds=lease_seconds),
                attempts=r.attempts + 1,
            )
            for r in due
        ]
        for r in claimed:
            self.d.reminders[r.key] = r
        return claimed

    async def mark_sent(self, *, reminder_id: int, worker: str, at: datetime) -> bool:
        return self._finish(
            reminder_id, worker, state=ReminderState.SENT, sent_at=as_utc(at), lease_until=None
        )

    async def mark_retry(
        self, *, reminder_id: int, worker: str, due_at: datetime, error: str
    ) -> None:
        self._finish(
            reminder_id,
            worker,
            state=ReminderState.PENDING,
            due_at=as_utc(due_at),
            last_error=error,
            lease_until=None,
            worker=None,
        )

    async def mark_failed(self, *, reminder_id: int, worker: str, error: str) -> None:
        self._finish(
            reminder_id, worker, state=ReminderState.FAILED, last_error=error, lease_until=None
        )

    async def mark_cancelled(self, *, reminder_id: int, worker: str) -> None:
        self._finish(reminder_id, worker, state=ReminderState.CANCELLED, lease_until=None)

    async def for_round(self, *, round_id: int) -> list[Reminder]:
        found = [r for r in self.d.reminders.values() if r.round_id == round_id]
        return sorted(found, key=lambda r: (r.due_at, r.id))

    async def get(self, *, key: str) -> Reminder | None:
        return self.d.reminders.get(key)

    def _finish(self, reminder_id: int, claimant: str, /, **changes: Any) -> bool:
        """Apply `changes` only while the row is still `claimant`'s claim."""
        for r in self.d.reminders.values():
            if r.id == reminder_id and r.state == ReminderState.SENDING and r.worker == claimant:
                self.d.reminders[r.key] = replace(r, **changes)
                return True
        return False


class _Templates:
    """Organisation templates (kept minimal: this store is on its way out)."""

    def __init__(self, d: _Data) -> None:
        self.d = d

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
    ) -> StoredTemplate:
        version = 1 + max(
            (t.version for t in self.d.templates.values() if t.name == name), default=0
        )
        stored = StoredTemplate(
            id=self.d.new_id(),
            name=name,
            version=version,
            scope=Scope(scope),
            status=Status(status),
            owner_id=owner_id,
            data=copy.deepcopy(data),
            source_text=source_text,
            created_at=as_utc(at),
        )
        self.d.templates[stored.id] = stored
        return stored

    async def versions(self, *, name: str) -> list[StoredTemplate]:
        return sorted(
            (t for t in self.d.templates.values() if t.name == name), key=lambda t: t.version
        )

    async def latest(self, *, name: str) -> StoredTemplate | None:
        found = await self.versions(name=name)
        return found[-1] if found else None

    async def all_latest(self) -> list[StoredTemplate]:
        names = sorted({t.name for t in self.d.templates.values()})
        return [t for n in names if (t := await self.latest(name=n)) is not None]

    async def offered(self, *, person_id: int | None) -> list[StoredTemplate]:
        return [
            t
            for t in await self.all_latest()
            if t.status != Status.RETIRED
            and (
                (t.scope == Scope.ORG and t.status == Status.ACTIVE)
                or (person_id is not None and t.owner_id == person_id)
            )
        ]

    async def set_status(self, *, name: str, status: Status, scope: Scope | None = None) -> int:
        changed = 0
        for key, t in list(self.d.templates.items()):
            if t.name == name:
                self.d.templates[key] = replace(
                    t, status=Status(status), scope=Scope(scope) if scope else t.scope
                )
                changed += 1
        return changed


class _RoundForms:
    def __init__(self, d: _Data) -> None:
        self.d = d

    async def get(self, *, round_id: int) -> RoundForm | None:
        return self.d.round_forms.get(round_id)

    async def save(self, *, form: RoundForm) -> None:
        self.d.round_forms[form.round_id] = form


class MemoryTx:
    """One snapshot transaction with every repository bound to it (`ports.Tx`)."""

    workspaces: WorkspaceRepo
    people: PersonRepo
    teams: TeamRepo
    rounds: RoundRepo
    prep: PrepRepo
    notes: LeaderNoteRepo
    events: ProcessedEventRepo
    audit: AuditRepo
    conversation_refs: ConversationRefRepo
    bookings: BookingRepo
    plans: PlanRepo
    outbox: OutboxRepo
    templates: TemplateRepo
    round_forms: RoundFormRepo

    def __init__(self, d: _Data) -> None:
        self.workspaces = _Workspaces(d)
        self.people = _People(d)
        self.teams = _Teams(d)
        self.rounds = _Rounds(d)
        self.prep = _Prep(d)
        self.notes = _Notes(d)
        self.events = _Events(d)
        self.audit = _Audit(d)
        self.conversation_refs = _Refs(d)
        self.bookings = _Bookings(d)
        self.plans = _Plans(d)
        self.outbox = _Outbox(d)
        self.templates = _Templates(d)
        self.round_forms = _RoundForms(d)


class MemoryStore:
    """Implements `conversations.ports.Store`; one writer at a time, like SQLite."""

    def __init__(self) -> None:
        self._data = _Data()
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[MemoryTx]:
        async with self._lock:
            working = self._data.snapshot()
            yield MemoryTx(working)
            self._data = working

    async def close(self) -> None:
        """Nothing to release; here so callers treat every store alike."""


class MemoryFileRepo:
    """`FileRepo` in a dict, for tests: the same contract as `storage.files.SqlFileRepo`."""

    def __init__(self) -> None:
        self._files: dict[str, StoredFile] = {}

    async def put(
        self,
        *,
        filename: str,
        mime_type: str,
        content: bytes,
        owner_user_id: str | None,
        now: datetime,
        expires_at: datetime,
    ) -> str:
        token = new_token()
        self._files[token] = StoredFile(
            token=token,
            filename=filename,
            mime_type=mime_type,
            content=bytes(content),
            owner_user_id=owner_user_id,
            created_at=as_utc(now),
            expires_at=as_utc(expires_at),
        )
        return token

    async def get(self, *, token: str, now: datetime) -> StoredFile | None:
        found = self._files.get(token)
        if found is None or found.expires_at <= as_utc(now):
            return None
        return found

    async def purge(self, *, before: datetime) -> int:
        cutoff = as_utc(before)
        gone = [t for t, f in self._files.items() if f.expires_at <= cutoff]
        for token in gone:
            del self._files[token]
        return len(gone)


if TYPE_CHECKING:  # MemoryStore must satisfy the port the flows depend on, as SqlStore does.

    def _conforms(store: MemoryStore) -> Store:
        return store

    def _conforms_files(repo: MemoryFileRepo) -> FileRepo:
        return repo
