"""Teams with their leaders (one or more) and members."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Integer, bindparam, delete, insert, select, update

from conversations.domain import Team
from storage.models import TeamRole, team_people, teams
from storage.repositories._base import NotFound, Repo, unique


class SqlTeamRepo(Repo):
    async def create(
        self,
        *,
        workspace_id: int,
        name: str,
        channel_id: str | None,
        leader_ids: Sequence[int],
        member_ids: Sequence[int],
    ) -> Team:
        """A team needs a leader: an empty `leader_ids` is a `ValueError`."""
        _require_leaders(leader_ids)
        team_id = (
            await self._conn.execute(
                insert(teams)
                .values(workspace_id=workspace_id, name=name, channel_id=channel_id)
                .returning(teams.c.id)
            )
        ).scalar_one()
        await self._replace(TeamRole.LEADER, team_id=team_id, person_ids=leader_ids)
        await self._replace(TeamRole.MEMBER, team_id=team_id, person_ids=member_ids)
        return await self._require(team_id)

    async def get(self, *, team_id: int) -> Team | None:
        found = await self._load([team_id])
        return found[0] if found else None

    async def get_by_channel(self, *, workspace_id: int, channel_id: str) -> Team | None:
        found = await self._load_where(
            (teams.c.workspace_id == workspace_id) & (teams.c.channel_id == channel_id)
        )
        return found[0] if found else None

    async def update(
        self,
        *,
        team_id: int,
        name: str | None = None,
        leader_ids: Sequence[int] | None = None,
        member_ids: Sequence[int] | None = None,
    ) -> Team:
        """Given sets replace the stored ones; None leaves them. Unknown team: `NotFound`."""
        if leader_ids is not None:
            _require_leaders(leader_ids)
        if (await self.get(team_id=team_id)) is None:
            raise NotFound(f"team {team_id}")
        if name is not None:
            await self._conn.execute(update(teams).where(teams.c.id == team_id).values(name=name))
        if leader_ids is not None:
            await self._replace(TeamRole.LEADER, team_id=team_id, person_ids=leader_ids)
        if member_ids is not None:
            await self._replace(TeamRole.MEMBER, team_id=team_id, person_ids=member_ids)
        return await self._require(team_id)

    async def in_workspace(self, *, workspace_id: int) -> list[Team]:
        return await self._load_where(teams.c.workspace_id == workspace_id)

    async def led_by(self, *, person_id: int) -> list[Team]:
        return await self._teams_linked(TeamRole.LEADER, person_id=person_id)

    async def with_member(self, *, person_id: int) -> list[Team]:
        return await self._teams_linked(TeamRole.MEMBER, person_id=person_id)

    async def _teams_linked(self, role: TeamRole, *, person_id: int) -> list[Team]:
        """Teams where the person has `role`, oldest team first (one statement)."""
        stmt = self._statement("linked", role.value, build=lambda _: _linked(role))
        return _teams(await self._conn.execute(stmt, {"person_id": person_id}))

    async def _replace(self, role: TeamRole, *, team_id: int, person_ids: Sequence[int]) -> None:
        await self._conn.execute(
            delete(team_people).where(
                (team_people.c.team_id == team_id) & (team_people.c.role == role.value)
            )
        )
        rows = [
            {"team_id": team_id, "person_id": pid, "role": role.value, "position": i}
            for i, pid in enumerate(unique(person_ids))
        ]
        if rows:
            await self._conn.execute(insert(team_people), rows)

    async def _require(self, team_id: int) -> Team:
        team = await self.get(team_id=team_id)
        if team is None:
            raise NotFound(f"team {team_id}")
        return team

    async def _load(self, team_ids: list[int]) -> list[Team]:
        """Teams with their leader and member ids, in the order of `team_ids`, in 1 statement
        (an outer join: a team row is small, repeating it per person costs little)."""
        if not team_ids:
            return []
        by_id = {team.id: team for team in await self._load_where(teams.c.id.in_(team_ids))}
        return [by_id[tid] for tid in team_ids if tid in by_id]

    async def _load_where(self, condition: Any) -> list[Team]:
        """The teams `condition` picks, by id, with their people, in 1 statement."""
        return _teams(await self._conn.execute(_with_people().where(condition)))


def _with_people() -> Any:
    """Teams with their people (an outer join: a team row is small, repeating it per person
    costs little), by team id and position; `_teams` reads the rows."""
    return (
        select(teams, team_people.c.person_id, team_people.c.role)
        .outerjoin(team_people, team_people.c.team_id == teams.c.id)
        .order_by(teams.c.id, team_people.c.position)
    )


def _linked(role: TeamRole) -> Any:
    """Teams where a person (`:person_id`) has `role`: built once per process."""
    linked = select(team_people.c.team_id).where(
        (team_people.c.person_id == bindparam("person_id", type_=Integer))
        & (team_people.c.role == role.value)
    )
    return _with_people().where(teams.c.id.in_(linked))


def _teams(rows: Any) -> list[Team]:
    """Teams from `_with_people` rows, in team id order."""
    found: dict[int, Any] = {}
    ids: dict[tuple[int, str], list[int]] = {}
    for row in rows:
        found.setdefault(row.id, row)
        if row.person_id is not None:
            ids.setdefault((row.id, row.role), []).append(row.person_id)
    by_id = {
        row.id: Team(
            id=row.id,
            workspace_id=row.workspace_id,
            name=row.name,
            channel_id=row.channel_id,
            leader_ids=tuple(ids.get((row.id, TeamRole.LEADER.value), ())),
            member_ids=tuple(ids.get((row.id, TeamRole.MEMBER.value), ())),
        )
        for row in found.values()
    }
    return list(by_id.values())


def _require_leaders(leader_ids: Sequence[int]) -> None:
    if not leader_ids:
        raise ValueError("a team has one or more leaders")
