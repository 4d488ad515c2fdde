"""The cooperation committee (Samarbejdsfeltet): named by an admin, it sees process figures.

`/mus udvalg` (committee): an admin gets the form that names the members; a member sees, per
year, across the workspace's rounds and teams, how many were offered a MUS, prepared, held the
conversation, agreed a plan and were followed up, how many in the teams were not offered one in
the last 12 months, and the anonymous evaluation in aggregate. Never a name, an answer or a
plan; every count passes `conversations.figures` (minimum group size, complement rule).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from conversations import figures, policy
from conversations.actions import CommitteeForm, FormState
from conversations.context import Ctx
from conversations.domain import PrepStatus, Round, agreed_version
from conversations.flows.common import say
from conversations.flows.evaluation import result_blocks
from conversations.flows.people_picker import people_form, picked, remember
from conversations.messages import (
    Block,
    Divider,
    Fields,
    Heading,
    Message,
    Note,
    Paragraph,
    Reply,
    ToActor,
)
from conversations.ports import Tx

Values = Mapping[str, str | tuple[str, ...] | None]


async def command(ctx: Ctx, rest: str) -> Reply:
    out = Reply()
    if await policy.in_committee(policy.access(ctx), workspace_id=ctx.workspace.id):
        out += await show_figures(ctx)
    if policy.governs(ctx, policy.Govern.NAME_COMMITTEE):
        out += await _form(ctx, await ctx.tx.committee.members(workspace_id=ctx.workspace.id))
    if not out.items:
        await policy.read_committee(policy.access(ctx), workspace_id=ctx.workspace.id)
    return out


async def _form(ctx: Ctx, members: list[int]) -> Reply:
    await policy.govern(ctx, policy.Govern.NAME_COMMITTEE, refusal="leaders.not_admin")
    current = await ctx.tx.people.get_many(person_ids=members)
    return people_form(ctx, CommitteeForm(), key="committee", field="members", current=current)


async def on_form(ctx: Ctx, state: FormState, values: Values) -> Reply:
    if not isinstance(state, CommitteeForm):
        return say(ctx, "error.stale_button")
    await policy.govern(ctx, policy.Govern.NAME_COMMITTEE, refusal="leaders.not_admin")
    wanted = picked(values, "members")
    chosen = [await remember(ctx, user_id) for user_id in wanted]
    ids = [p.id for p in chosen]
    names = [p.display_name for p in chosen]
    await ctx.tx.committee.set_members(workspace_id=ctx.workspace.id, person_ids=ids)
    await ctx.audit(
        action="committee.set", subject=f"workspace:{ctx.workspace.id}", detail=",".join(wanted)
    )
    return say(ctx, "committee.saved", names=", ".join(names) or "–")


@dataclass
class YearFigures:
    rounds: int = 0
    teams: set[int] = field(default_factory=set)
    offered: set[int] = field(default_factory=set)
    prepared: int = 0
    held: int = 0
    agreed: int = 0
    followed_up: int = 0
    offers: int = 0  # (round, person) pairs: the base of the four counts above
    round_ids: list[int] = field(default_factory=list)


async def year_figures(tx: Tx, rounds: list[Round]) -> dict[int, YearFigures]:
    """Counts per year of a round's start; nothing here leaves this module but numbers."""
    years: dict[int, YearFigures] = {}
    for round_ in rounds:
        fig = years.setdefault(round_.created_at.year, YearFigures())
        fig.rounds += 1
        fig.round_ids.append(round_.id)
        fig.teams.add(round_.team_id)
        fig.offered |= set(round_.member_ids)
        sessions = {s.person_id: s for s in await tx.prep.sessions(round_id=round_.id)}
        for person_id in round_.member_ids:
            fig.offers += 1
            session = sessions.get(person_id)
            if session is not None and session.status == PrepStatus.SHARED:
                fig.prepared += 1
            if session is not None and session.conversation_held_at is not None:
                fig.held += 1
            agreed = agreed_version(
                await tx.plans.versions(round_id=round_.id, employee_id=person_id)
            )
            if agreed is not None:
                fig.agreed += 1
                progress = await tx.plans.item_progress(round_id=round_.id, employee_id=person_id)
                if any(i.id in progress for i in agreed.items):
                    fig.followed_up += 1
    return years


async def not_offered(
    tx: Tx, *, workspace_id: int, since_days: int, now_date: date
) -> tuple[int, int]:
    """(people in the workspace's teams not offered a MUS in the period, people in teams)."""
    from conversations.flows.coverage import missing_in

    teams = await tx.teams.in_workspace(workspace_id=workspace_id)
    missing, everyone = await missing_in(
        tx, teams=teams, since=now_date - timedelta(days=since_days)
    )
    return len({p for p, _ in missing}), len(everyone)


async def show_figures(ctx: Ctx) -> Reply:
    await policy.read_committee(policy.access(ctx), workspace_id=ctx.workspace.id)
    k = ctx.settings.min_group_size
    rounds = await ctx.tx.rounds.in_workspace(workspace_id=ctx.workspace.id)
    title = ctx.t("committee.figures_title")
    blocks: list[Block] = [Heading(title), Paragraph(ctx.t("committee.figures_intro", k=k))]
    suppressed = ctx.t("committee.suppressed")

    def share(c: int, n: int) -> str:
        shown = figures.share(c, n, k=k)
        return suppressed if shown is None else f"{shown[0]}/{shown[1]}"

    for year, fig in sorted((await year_figures(ctx.tx, rounds)).items(), reverse=True):
        offered = figures.size(len(fig.offered), k=k)
        blocks += [
            Divider(),
            Heading(ctx.t("committee.year", year=year)),
            Fields(
                (
                    (ctx.t("committee.rounds"), str(fig.rounds)),
                    (ctx.t("committee.offered"), suppressed if offered is None else str(offered)),
                    (ctx.t("committee.prepared"), share(fig.prepared, fig.offers)),
                    (ctx.t("committee.held"), share(fig.held, fig.offers)),
                    (ctx.t("committee.agreed"), share(fig.agreed, fig.offers)),
                    (ctx.t("committee.followed_up"), share(fig.followed_up, fig.offers)),
                )
            ),
        ]
        responses = await ctx.tx.evaluations.responses(round_ids=fig.round_ids)
        invited = await ctx.tx.evaluations.invited(round_ids=fig.round_ids)
        blocks.append(Paragraph(ctx.t("committee.evaluation")))
        blocks += result_blocks(
            ctx, [(r.scores, r.comment) for r in responses], invited=invited, k=k
        )
    missing, everyone = await not_offered(
        ctx.tx, workspace_id=ctx.workspace.id, since_days=365, now_date=ctx.today
    )
    blocks += [Divider(), Paragraph(ctx.t("committee.coverage", count=share(missing, everyone)))]
    if not rounds:
        blocks.append(Paragraph(ctx.t("committee.no_rounds")))
    blocks.append(Note(ctx.t("committee.rule", k=k)))
    return Reply((Message(to=ToActor(), text=title, blocks=tuple(blocks)),))
