"""Repositories for issue #12: the team action plan, the committee, the anonymous evaluation."""

from __future__ import annotations

import random
import secrets
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from conversations.lifecycles.action_item import (
    ActionItemAction,
    ActionItemTransition,
    ActionState,
    lawful,
)
from conversations.year import EvaluationResponse, TeamAction
from storage.models import (
    committee_members,
    evaluation_invitations,
    evaluation_slots,
    team_action_owners,
    team_actions,
)
from storage.repositories._base import NotFound, Repo, rowcount, unique


class SqlTeamActionRepo(Repo):
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
    ) -> TeamAction:
        if transition.before != ActionState.NONE or not lawful(transition):
            raise ValueError(f"not a lawful creation: {transition}")
        action_id = await self._conn.scalar(
            insert(team_actions)
            .values(
                round_id=round_id,
                what=what,
                due_on=due_on,
                follow_up=follow_up,
                state=transition.after.value,
                created_by=by,
                created_at=at,
            )
            .returning(team_actions.c.id)
        )
        assert isinstance(action_id, int)
        await self._add_owners(action_id=action_id, owner_ids=owner_ids)
        found = await self.get(action_id=action_id)
        assert found is not None
        return found

    async def get(self, *, action_id: int) -> TeamAction | None:
        rows = await self._rows(team_actions.c.id == action_id)
        return rows[0] if rows else None

    async def for_round(self, *, round_id: int) -> list[TeamAction]:
        return await self._rows(team_actions.c.round_id == round_id)

    async def apply(
        self, *, action_id: int, transition: ActionItemTransition, by: int, at: datetime
    ) -> TeamAction:
        if not lawful(transition):
            raise ValueError(f"not a lawful transition: {transition}")
        result = await self._conn.execute(
            update(team_actions)
            .where(
                (team_actions.c.id == action_id) & (team_actions.c.state == transition.before.value)
            )
            .values(state=transition.after.value, updated_by=by, updated_at=at)
        )
        found = await self.get(action_id=action_id)
        if found is None:
            raise NotFound(f"team action {action_id}")
        if rowcount(result) == 0:
            raise ValueError(f"team action {action_id} is {found.state}, not {transition.before}")
        return found

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
        if transition.action != ActionItemAction.EDIT or not lawful(transition):
            raise ValueError(f"not a lawful edit: {transition}")
        result = await self._conn.execute(
            update(team_actions)
            .where(
                (team_actions.c.id == action_id) & (team_actions.c.state == transition.before.value)
            )
            .values(what=what, due_on=due_on, follow_up=follow_up, updated_by=by, updated_at=at)
        )
        if rowcount(result) == 0:
            found = await self.get(action_id=action_id)
            if found is None:
                raise NotFound(f"team action {action_id}")
            raise ValueError(f"team action {action_id} is {found.state}, not {transition.before}")
        await self._conn.execute(
            delete(team_action_owners).where(team_action_owners.c.action_id == action_id)
        )
        await self._add_owners(action_id=action_id, owner_ids=owner_ids)
        found = await self.get(action_id=action_id)
        assert found is not None
        return found

    async def _add_owners(self, *, action_id: int, owner_ids: Sequence[int]) -> None:
        """The owners in the order given, each once (their order is how they are listed)."""
        owners = unique(owner_ids)
        if owners:
            await self._conn.execute(
                insert(team_action_owners),
                [
                    {"action_id": action_id, "person_id": p, "position": n}
                    for n, p in enumerate(owners)
                ],
            )

    async def _rows(self, where: Any) -> list[TeamAction]:
        rows = list(
            await self._conn.execute(select(team_actions).where(where).order_by(team_actions.c.id))
        )
        owners: dict[int, list[int]] = {}
        if rows:
            linked = await self._conn.execute(
                select(team_action_owners.c.action_id, team_action_owners.c.person_id)
                .where(team_action_owners.c.action_id.in_([r.id for r in rows]))
                .order_by(team_action_owners.c.action_id, team_action_owners.c.position)
            )
            for action_id, person_id in linked:
                owners.setdefault(action_id, []).append(person_id)
        return [
            TeamAction(
                id=r.id,
                round_id=r.round_id,
                what=r.what,
                due_on=r.due_on,
                follow_up=r.follow_up,
                owner_ids=tuple(owners.get(r.id, ())),
                state=ActionState(r.state),
                created_by=r.created_by,
                created_at=r.created_at,
                updated_by=r.updated_by,
                updated_at=r.updated_at,
            )
            for r in rows
        ]


class SqlCommitteeRepo(Repo):
    async def set_members(self, *, workspace_id: int, person_ids: Sequence[int]) -> None:
        await self._conn.execute(
            delete(committee_members).where(committee_members.c.workspace_id == workspace_id)
        )
        if person_ids:
            await self._conn.execute(
                insert(committee_members),
                [{"workspace_id": workspace_id, "person_id": p} for p in unique(person_ids)],
            )

    async def members(self, *, workspace_id: int) -> list[int]:
        rows = await self._conn.execute(
            select(committee_members.c.person_id)
            .where(committee_members.c.workspace_id == workspace_id)
            .order_by(committee_members.c.person_id)
        )
        return [r[0] for r in rows]


class SqlEvaluationRepo(Repo):
    """Invitations and slots are two tables with nothing in common but the round: slots are
    made in a shuffled batch with random ids when people are invited, and an answer fills a
    random empty slot, so neither order nor key nor time ties an answer to its author."""

    async def invite(self, *, round_id: int, person_ids: Sequence[int]) -> int:
        already = {
            r[0]
            for r in await self._conn.execute(
                select(evaluation_invitations.c.person_id).where(
                    evaluation_invitations.c.round_id == round_id
                )
            )
        }
        new = [p for p in unique(person_ids) if p not in already]
        if not new:
            return 0
        rng = random.SystemRandom()
        shuffled = list(new)
        rng.shuffle(shuffled)
        await self._conn.execute(
            insert(evaluation_invitations),
            [{"round_id": round_id, "person_id": p, "answered": False} for p in shuffled],
        )
        await self._conn.execute(
            insert(evaluation_slots),
            [{"id": secrets.token_hex(16), "round_id": round_id, "filled": False} for _ in new],
        )
        return len(new)

    async def is_open_for(self, *, round_id: int, person_id: int) -> bool:
        row = (
            await self._conn.execute(
                select(evaluation_invitations.c.answered).where(
                    (evaluation_invitations.c.round_id == round_id)
                    & (evaluation_invitations.c.person_id == person_id)
                )
            )
        ).one_or_none()
        return row is not None and not row[0]

    async def answer(
        self, *, round_id: int, person_id: int, scores: Mapping[str, int], comment: str | None
    ) -> bool:
        marked = await self._conn.execute(
            update(evaluation_invitations)
            .where(
                (evaluation_invitations.c.round_id == round_id)
                & (evaluation_invitations.c.person_id == person_id)
                & evaluation_invitations.c.answered.is_(False)
            )
            .values(answered=True)
        )
        if rowcount(marked) == 0:
            return False
        rng = random.SystemRandom()
        while True:  # a concurrent answer may take the slot we picked: pick again
            empty = [
                r[0]
                for r in await self._conn.execute(
                    select(evaluation_slots.c.id).where(
                        (evaluation_slots.c.round_id == round_id)
                        & evaluation_slots.c.filled.is_(False)
                    )
                )
            ]
            if not empty:
                raise RuntimeError("no empty evaluation slot for an open invitation")
            filled = await self._conn.execute(
                update(evaluation_slots)
                .where(
                    (evaluation_slots.c.id == rng.choice(empty))
                    & evaluation_slots.c.filled.is_(False)
                )
                .values(filled=True, scores=dict(scores), comment=comment)
            )
            if rowcount(filled) == 1:
                break
        return True

    async def responses(self, *, round_ids: Sequence[int]) -> list[EvaluationResponse]:
        if not round_ids:
            return []
        rows = await self._conn.execute(
            select(evaluation_slots)
            .where(evaluation_slots.c.round_id.in_(list(round_ids)) & evaluation_slots.c.filled)
            .order_by(evaluation_slots.c.id)  # random ids: a meaningless order
        )
        return [
            EvaluationResponse(round_id=r.round_id, scores=dict(r.scores or {}), comment=r.comment)
            for r in rows
        ]

    async def invited(self, *, round_ids: Sequence[int]) -> int:
        if not round_ids:
            return 0
        count = await self._conn.scalar(
            select(func.count()).where(evaluation_invitations.c.round_id.in_(list(round_ids)))
        )
        return int(count or 0)
