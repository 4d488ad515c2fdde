"""Yearly coverage: every employee is offered a MUS every year (KK BUF).

`/mus dækning` (coverage) lists, for a leader the teams they lead and for an admin every team
of the workspace, who has not been a member of a round started in the last 12 months. Names go
to leaders and admins only; the committee gets a count (`flows/committee.py`).
"""

from __future__ import annotations

from datetime import date, timedelta

from conversations import policy
from conversations.context import Ctx
from conversations.domain import Team
from conversations.messages import (
    Block,
    BulletList,
    Heading,
    Message,
    Note,
    Paragraph,
    Reply,
    ToActor,
)
from conversations.ports import Tx

PERIOD = timedelta(days=365)


async def missing_in(
    tx: Tx, *, teams: list[Team], since: date
) -> tuple[list[tuple[int, Team]], set[int]]:
    """(person id, team) for each team member not in a round started on or after `since`,
    and every team member. Leaders of a team are not counted as its employees."""
    employees = [
        (person_id, team)
        for team in teams
        for person_id in team.member_ids
        if person_id not in team.leader_ids
    ]
    everyone = {person_id for person_id, _ in employees}
    # Every member's rounds in one statement, not a query per member.
    taken = await tx.rounds.with_members(person_ids=sorted(everyone))
    covered = {p for p, rs in taken.items() if any(r.created_at.date() >= since for r in rs)}
    missing = [(person_id, team) for person_id, team in employees if person_id not in covered]
    return missing, everyone


async def command(ctx: Ctx, rest: str) -> Reply:
    await policy.govern(ctx, policy.Govern.COVERAGE, refusal="status.not_leader")
    if policy.governs(ctx, policy.Govern.COVERAGE_ALL_TEAMS):
        teams = await ctx.tx.teams.in_workspace(workspace_id=ctx.workspace.id)
    else:
        teams = await ctx.tx.teams.led_by(person_id=ctx.person.id)
    await ctx.audit(action="coverage.view", subject=f"workspace:{ctx.workspace.id}")
    return await coverage_reply(ctx, teams)


async def coverage_lines(ctx: Ctx, teams: list[Team]) -> list[str]:
    missing, _ = await missing_in(ctx.tx, teams=teams, since=ctx.today - PERIOD)
    people = await ctx.people_by_id(sorted({p for p, _ in missing}))
    return [
        ctx.t("coverage.line", name=people[p].display_name, team=team.name)
        for p, team in missing
        if p in people
    ]


async def coverage_reply(ctx: Ctx, teams: list[Team]) -> Reply:
    title = ctx.t("coverage.title")
    lines = await coverage_lines(ctx, teams)
    blocks: list[Block] = [Heading(title)]
    if lines:
        blocks += [Paragraph(ctx.t("coverage.intro")), BulletList(tuple(lines))]
    else:
        blocks.append(Paragraph(ctx.t("coverage.none")))
    blocks.append(Note(ctx.t("coverage.private")))
    return Reply((Message(to=ToActor(), text=title, blocks=tuple(blocks)),))
