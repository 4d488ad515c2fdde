"""MUS rounds: one per team per year, each with its own snapshot of the questions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Integer, String, bindparam, cast, func, insert, literal, select, update
from sqlalchemy import delete as sa_delete
from sqlalchemy.ext.asyncio import AsyncConnection

from conversations.domain import Phase, Round, Team
from conversations.lifecycles.round import RoundTransition, lawful
from storage.models import TeamRole, round_people, rounds, team_people, teams
from storage.repositories._base import NotFound, Repo, one_of, rowcount


def to_round(
    row: Any,
    *,
    leader_ids: Sequence[int] = (),
    member_ids: Sequence[int] = (),
    template: dict[str, Any] | None = None,
) -> Round:
    """`template`: the snapshot, when the row carries it in another form (`PrepRepo.own`)."""
    return Round(
        leader_ids=tuple(leader_ids),
        member_ids=tuple(member_ids),
        id=row.id,
        team_id=row.team_id,
        template_name=row.template_name,
        template=row.template if template is None else template,
        kerneopgave=row.kerneopgave,
        udviklingsmaal=row.udviklingsmaal,
        kickoff_at=row.kickoff_at,
        prep_deadline=row.prep_deadline,
        conversations_from=row.conversations_from,
        conversations_to=row.conversations_to,
        summary_at=row.summary_at,
        phase=Phase(row.phase),
        started_by=row.started_by,
        created_at=row.created_at,
    )


def select_with_people() -> Any:
    """Rounds with their people in one statement: a correlated aggregate of round_people (not
    a join, which would repeat each round's large template snapshot once per person)."""
    return select(rounds, _people_of(round_people, rounds.c.id).label("people"))


def _people_of(table: Any, owner: Any) -> Any:
    """ "role:position:person_id" of everyone in `table` (round_people or team_people) whose
    owner column matches `owner`, as one string: a correlated aggregate, not a join."""
    alias = table.alias()
    item = (
        alias.c.role
        + literal(":")
        + cast(alias.c.position, String)
        + literal(":")
        + cast(alias.c.person_id, String)
    )
    key = alias.c.round_id if table is round_people else alias.c.team_id
    return select(func.aggregate_strings(item, ",")).where(key == owner).scalar_subquery()


def split_people(text: str | None) -> dict[str, list[int]]:
    """`_people_of`'s string as person ids per role, in position order."""
    people: dict[str, list[tuple[int, int]]] = {}
    for item in (text or "").split(","):
        if item:
            role, position, person_id = item.split(":")
            people.setdefault(role, []).append((int(position), int(person_id)))
    return {role: [p for _, p in sorted(found)] for role, found in people.items()}


def select_with_team() -> Any:
    """`select_with_people()` joined to each round's team (one row: a team row is small), the
    team's people aggregated like the round's: a round and its team in one statement."""
    return (
        select_with_people()
        .add_columns(
            teams.c.workspace_id.label("t_workspace_id"),
            teams.c.name.label("t_name"),
            teams.c.channel_id.label("t_channel_id"),
            _people_of(team_people, rounds.c.team_id).label("t_people"),
        )
        .join(teams, teams.c.id == rounds.c.team_id)
    )


def round_and_team(row: Any, *, template: dict[str, Any] | None = None) -> tuple[Round, Team]:
    """A row of `select_with_team()` (`template`: as `to_round`)."""
    people = split_people(row.people)
    round_ = to_round(
        row,
        leader_ids=people.get(TeamRole.LEADER.value, []),
        member_ids=people.get(TeamRole.MEMBER.value, []),
        template=template,
    )
    in_team = split_people(row.t_people)
    team = Team(
        id=row.team_id,
        workspace_id=row.t_workspace_id,
        name=row.t_name,
        channel_id=row.t_channel_id,
        leader_ids=tuple(in_team.get(TeamRole.LEADER.value, [])),
        member_ids=tuple(in_team.get(TeamRole.MEMBER.value, [])),
    )
    return round_, team


# Statements built once per process (`Repo._statement`), run with bound parameters.


def _get(_dialect: str) -> Any:
    return select_with_people().where(rounds.c.id == bindparam("round_id", type_=Integer))


def _newest_first(stmt: Any) -> Any:
    return stmt.order_by(rounds.c.created_at.desc(), rounds.c.id.desc())


def _with_members(dialect: str) -> Any:
    taking_part = select(round_people.c.round_id).where(
        one_of(round_people.c.person_id, "person_ids", dialect)
        & (round_people.c.role == TeamRole.MEMBER.value)
    )
    return _newest_first(select_with_people().where(rounds.c.id.in_(taking_part)))


def _linked(role: TeamRole) -> Any:
    return _newest_first(
        select_with_people()
        .join(round_people, round_people.c.round_id == rounds.c.id)
        .where(
            (round_people.c.person_id == bindparam("person_id", type_=Integer))
            & (round_people.c.role == role.value)
        )
    )


def _linked_with_teams(role: TeamRole) -> Any:
    taking_part = select(round_people.c.round_id).where(
        (round_people.c.person_id == bindparam("person_id", type_=Integer))
        & (round_people.c.role == role.value)
    )
    return _newest_first(select_with_team().where(rounds.c.id.in_(taking_part)))


class SqlRoundRepo(Repo):
    """One per transaction: each person's rounds as an employee, once read by `with_members`,
    are kept until this repository writes (the status view asks twice: for the last plans of
    the round's members and for the coverage of the leader's teams)."""

    def __init__(self, conn: AsyncConnection) -> None:
        super().__init__(conn)
        self._as_member: dict[int, list[Round]] = {}

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
        """A new round starts in the prep phase, with its own leaders and members."""
        self._as_member.clear()
        row = (
            await self._conn.execute(
                insert(rounds)
                .values(
                    team_id=team_id,
                    template_name=template_name,
                    template=template,
                    kerneopgave=kerneopgave,
                    udviklingsmaal=udviklingsmaal,
                    kickoff_at=kickoff_at,
                    prep_deadline=prep_deadline,
                    conversations_from=conversations_from,
                    conversations_to=conversations_to,
                    summary_at=summary_at,
                    phase=Phase.PREP.value,
                    started_by=started_by,
                    created_at=created_at,
                )
                .returning(*rounds.c)
            )
        ).one()
        people = [
            {"round_id": row.id, "person_id": pid, "role": role.value, "position": i}
            for role, ids in ((TeamRole.LEADER, leader_ids), (TeamRole.MEMBER, member_ids))
            for i, pid in enumerate(dict.fromkeys(ids))
        ]
        if people:
            await self._conn.execute(insert(round_people), people)
        return to_round(
            row,
            leader_ids=list(dict.fromkeys(leader_ids)),
            member_ids=list(dict.fromkeys(member_ids)),
        )

    async def get(self, *, round_id: int) -> Round | None:
        stmt = self._statement("get", build=_get)
        row = (await self._conn.execute(stmt, {"round_id": round_id})).one_or_none()
        return None if row is None else (await self._with_people([row]))[0]

    async def led_by(self, *, person_id: int) -> list[Round]:
        return await self._linked(TeamRole.LEADER, person_id=person_id)

    async def with_member(self, *, person_id: int) -> list[Round]:
        return await self._linked(TeamRole.MEMBER, person_id=person_id)

    async def with_members(self, *, person_ids: Sequence[int]) -> dict[int, list[Round]]:
        """Each person's rounds as an employee, newest first, in one statement (each round
        once, not once per person): for overviews of a team, not a query per member."""
        wanted = set(person_ids)
        missing = sorted(wanted - self._as_member.keys())
        if missing:
            stmt = self._statement("with_members", build=_with_members)
            rows = await self._conn.execute(stmt, {"person_ids": missing})
            fresh: dict[int, list[Round]] = {person_id: [] for person_id in missing}
            for round_ in await self._with_people(list(rows)):
                for person_id in round_.member_ids:
                    if person_id in fresh:
                        fresh[person_id].append(round_)
            self._as_member.update(fresh)
        return {p: list(self._as_member[p]) for p in sorted(wanted) if self._as_member[p]}

    async def _linked(self, role: TeamRole, *, person_id: int) -> list[Round]:
        stmt = self._statement("linked", role.value, build=lambda _: _linked(role))
        rows = await self._conn.execute(stmt, {"person_id": person_id})
        return await self._with_people(list(rows))

    async def linked_with_teams(
        self, *, person_id: int, as_leader: bool
    ) -> list[tuple[Round, Team]]:
        """`led_by` (or `with_member`) with each round's team, in one statement."""
        role = TeamRole.LEADER if as_leader else TeamRole.MEMBER
        stmt = self._statement(
            "linked_with_teams", role.value, build=lambda _: _linked_with_teams(role)
        )
        rows = await self._conn.execute(stmt, {"person_id": person_id})
        return [round_and_team(row) for row in rows]

    async def _with_people(self, rows: Sequence[Any]) -> list[Round]:
        """Rounds from `select_with_people()` rows: their leaders and members came in the same
        statement (no second query), as "role:position:person_id" strings, in position order."""
        found = []
        for row in rows:
            people = split_people(row.people)
            found.append(
                to_round(
                    row,
                    leader_ids=people.get(TeamRole.LEADER.value, []),
                    member_ids=people.get(TeamRole.MEMBER.value, []),
                )
            )
        return found

    async def for_team(self, *, team_id: int, include_closed: bool = False) -> list[Round]:
        """Newest first (by creation time, then id for rounds created in the same instant)."""
        stmt = select_with_people().where(rounds.c.team_id == team_id)
        if not include_closed:
            stmt = stmt.where(rounds.c.phase != Phase.CLOSED.value)
        stmt = stmt.order_by(rounds.c.created_at.desc(), rounds.c.id.desc())
        return await self._with_people(list(await self._conn.execute(stmt)))

    async def open_in_workspace(self, *, workspace_id: int) -> list[Round]:
        return [
            r for r in await self.in_workspace(workspace_id=workspace_id) if r.phase != Phase.CLOSED
        ]

    async def in_workspace(self, *, workspace_id: int) -> list[Round]:
        stmt = (
            select_with_people()
            .join(teams, teams.c.id == rounds.c.team_id)
            .where(teams.c.workspace_id == workspace_id)
            .order_by(rounds.c.created_at.desc(), rounds.c.id.desc())
        )
        return await self._with_people(list(await self._conn.execute(stmt)))

    async def apply(self, *, round_id: int, transition: RoundTransition) -> Round:
        """The phase moves only from the phase the transition was decided on, in one UPDATE
        (a concurrent close is not overwritten). Unknown round: `NotFound`."""
        if not lawful(transition):
            raise ValueError(f"not a round transition: {transition}")
        self._as_member.clear()
        result = await self._conn.execute(
            update(rounds)
            .where((rounds.c.id == round_id) & (rounds.c.phase == transition.before.value))
            .values(phase=transition.after.value)
        )
        found = await self.get(round_id=round_id)
        if found is None:
            raise NotFound(f"round {round_id}")
        if rowcount(result) == 0:
            raise ValueError(f"round {round_id} is {found.phase}, not {transition.before}")
        return found

    async def ended_before(self, *, day: date) -> list[Round]:
        stmt = (
            select_with_people()
            .where(rounds.c.conversations_to < day)
            .order_by(rounds.c.conversations_to, rounds.c.id)
        )
        return await self._with_people(list(await self._conn.execute(stmt)))

    async def past_prep_deadline(self, *, day: date) -> list[Round]:
        stmt = (
            select_with_people()
            .where((rounds.c.phase == Phase.PREP.value) & (rounds.c.prep_deadline < day))
            .order_by(rounds.c.id)
        )
        return await self._with_people(list(await self._conn.execute(stmt)))

    async def delete(self, *, round_id: int) -> bool:
        """Every table that belongs to a round refers to it ON DELETE CASCADE."""
        self._as_member.clear()
        result = await self._conn.execute(sa_delete(rounds).where(rounds.c.id == round_id))
        return rowcount(result) > 0

    async def set_template(self, *, round_id: int, template: dict[str, Any]) -> None:
        """Local adaptation after the kickoff meeting; the snapshot is the round's own copy."""
        await self._update(round_id, template=template)

    async def set_texts(self, *, round_id: int, kerneopgave: str, udviklingsmaal: str) -> None:
        await self._update(round_id, kerneopgave=kerneopgave, udviklingsmaal=udviklingsmaal)

    async def _update(self, round_id: int, **values: Any) -> None:
        self._as_member.clear()
        result = await self._conn.execute(
            update(rounds).where(rounds.c.id == round_id).values(**values)
        )
        if rowcount(result) == 0:
            raise NotFound(f"round {round_id}")
