"""An in-memory `Store` for pure flow tests and the demo: same contract as the SQL store.

It is checked by the same repository contract suite as SQLite and PostgreSQL, so flow tests
that use it test real behaviour, not a mock's. Transactions are copy-on-write snapshots: a
handler that raises leaves nothing behind, as with a database.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from conversations.domain import (
    AuditEntry,
    LeaderNote,
    Person,
    Phase,
    PrepAnswer,
    PrepSession,
    PrepStatus,
    Round,
    Team,
    Workspace,
)


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
    next_id: int = 1

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1


class _Workspaces:
    def __init__(self, d: _Data) -> None:
        self.d = d

    async def get_or_create(
        self, *, platform: str, external_id: str, name: str | None = None
    ) -> Workspace:
        for w in self.d.workspaces.values():
            if w.platform == platform and w.external_id == external_id:
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
        self.d.people[person_id] = replace(self.d.people[person_id], can_lead=can_lead)

    async def leaders(self, *, workspace_id: int) -> list[Person]:
        found = [p for p in self.d.people.values() if p.workspace_id == workspace_id and p.can_lead]
        return sorted(found, key=lambda p: p.display_name)


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
        team = Team(
            id=self.d.new_id(),
            workspace_id=workspace_id,
            name=name,
            channel_id=channel_id,
            leader_ids=tuple(leader_ids),
            member_ids=tuple(member_ids),
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
        team = self.d.teams[team_id]
        if name is not None:
            team = replace(team, name=name)
        if leader_ids is not None:
            team = replace(team, leader_ids=tuple(leader_ids))
        if member_ids is not None:
            team = replace(team, member_ids=tuple(member_ids))
        self.d.teams[team_id] = team
        return team

    async def led_by(self, *, person_id: int) -> list[Team]:
        return [t for t in self.d.teams.values() if person_id in t.leader_ids]

    async def with_member(self, *, person_id: int) -> list[Team]:
        return [t for t in self.d.teams.values() if person_id in t.member_ids]


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
    ) -> Round:
        created = Round(
            id=self.d.new_id(),
            team_id=team_id,
            template_name=template_name,
            template=copy.deepcopy(template),
            kerneopgave=kerneopgave,
            udviklingsmaal=udviklingsmaal,
            kickoff_at=kickoff_at,
            prep_deadline=prep_deadline,
            conversations_from=conversations_from,
            conversations_to=conversations_to,
            summary_at=summary_at,
            phase=Phase.PREP,
            started_by=started_by,
            created_at=created_at,
        )
        self.d.rounds[created.id] = created
        return created

    async def get(self, *, round_id: int) -> Round | None:
        return self.d.rounds.get(round_id)

    async def for_team(self, *, team_id: int, include_closed: bool = False) -> list[Round]:
        found = [
            r
            for r in self.d.rounds.values()
            if r.team_id == team_id and (include_closed or r.phase != Phase.CLOSED)
        ]
        return sorted(found, key=lambda r: (r.created_at, r.id), reverse=True)

    async def set_phase(self, *, round_id: int, phase: Phase) -> None:
        self.d.rounds[round_id] = replace(self.d.rounds[round_id], phase=phase)

    async def set_template(self, *, round_id: int, template: dict[str, Any]) -> None:
        self.d.rounds[round_id] = replace(self.d.rounds[round_id], template=copy.deepcopy(template))


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
            status=status,
            shared_at=shared_at,
            conversation_held_at=conversation_held_at,
            updated_at=at,
        )
        self.d.sessions[(round_id, person_id)] = session
        return session

    async def sessions(self, *, round_id: int) -> list[PrepSession]:
        return [s for (r, _), s in self.d.sessions.items() if r == round_id]

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
            updated_at=at,
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
            updated_at=at,
        )
        self.d.notes[(round_id, leader_id, employee_id)] = note
        return note

    async def get(self, *, round_id: int, leader_id: int, employee_id: int) -> LeaderNote | None:
        return self.d.notes.get((round_id, leader_id, employee_id))


class _Events:
    def __init__(self, d: _Data) -> None:
        self.d = d

    async def claim(self, *, key: str, at: datetime) -> bool:
        if key in self.d.events:
            return False
        self.d.events[key] = at
        return True

    async def forget_before(self, *, before: datetime) -> int:
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
                at=at,
                actor_id=actor_id,
                action=action,
                subject=subject,
                detail=detail,
            )
        )

    async def entries(
        self, *, subject_prefix: str | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        found = [
            e
            for e in self.d.audit
            if subject_prefix is None or e.subject.startswith(subject_prefix)
        ]
        return list(reversed(found))[:limit]


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


class MemoryTx:
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


class MemoryStore:
    """Implements `conversations.ports.Store`; one writer at a time, like SQLite."""

    def __init__(self) -> None:
        import asyncio

        self._data = _Data()
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[MemoryTx]:
        async with self._lock:
            working = copy.deepcopy(self._data)
            yield MemoryTx(working)
            self._data = working

    async def close(self) -> None:
        """Nothing to release; here so callers treat every store alike."""
