"""Lookups and checks that several flows share (membership, leadership, active rounds)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from conversations.context import Ctx
from conversations.domain import Phase, Round, Team
from conversations.lifecycles.base import Refusal, Transition
from conversations.lifecycles.round import (
    OPEN_PHASES,
    PREP_PHASES,
    RoundAction,
    RoundTransition,
    accepts_work,
)
from conversations.lifecycles.round import decide as decide_round
from conversations.messages import Message, Paragraph, Reply, ToActor, ToPerson
from conversations.refusal import Refuse
from conversations.round_clock import pass_prep_deadline
from conversations.templates.model import Template, snapshot_template

ACTIVE_PHASES = OPEN_PHASES
_T = TypeVar("_T", bound=Transition)
__all__ = ["ACTIVE_PHASES", "PREP_PHASES", "Refuse", "RoundView", "accept"]


@dataclass(frozen=True, slots=True)
class RoundView:
    round: Round
    team: Team
    template: Template

    @property
    def leader_ids(self) -> tuple[int, ...]:
        """This round's leaders (not the channel's team, which later rounds may change)."""
        return self.round.leader_ids

    @property
    def member_ids(self) -> tuple[int, ...]:
        return self.round.member_ids


def say(ctx: Ctx, key: str, /, **values: object) -> Reply:
    """A short answer to the person who acted, where they acted."""
    text = ctx.t(key, **values)
    return Reply((Message(to=ToActor(), text=text, blocks=(Paragraph(text),)),))


def dm(ctx: Ctx, key: str, /, **values: object) -> Message:
    text = ctx.t(key, **values)
    return Message(to=ToPerson(ctx.person.user_id), text=text, blocks=(Paragraph(text),))


async def load_round(ctx: Ctx, round_id: int) -> RoundView | None:
    found = await ctx.tx.rounds.get(round_id=round_id)
    return None if found is None else await _view(ctx, found)


async def rounds_as_member(ctx: Ctx, *, phases: tuple[Phase, ...] = PREP_PHASES) -> list[RoundView]:
    """The person's rounds as an employee, newest first."""
    return await _views(ctx, as_leader=False, phases=phases)


async def rounds_as_leader(ctx: Ctx) -> list[RoundView]:
    """Active rounds the person leads, newest first."""
    return await _views(ctx, as_leader=True, phases=ACTIVE_PHASES)


async def _views(ctx: Ctx, *, as_leader: bool, phases: tuple[Phase, ...]) -> list[RoundView]:
    """The rounds with their teams in one statement (not a team query per round)."""
    found = await ctx.tx.rounds.linked_with_teams(person_id=ctx.person.id, as_leader=as_leader)
    views: list[RoundView] = []
    for round_, team in found:
        if round_.phase in phases and (view := await view_of(ctx, round_, team)) is not None:
            views.append(view)
    return views


async def _view(ctx: Ctx, round_: Round) -> RoundView | None:
    team = await ctx.tx.teams.get(team_id=round_.team_id)
    return None if team is None else await view_of(ctx, round_, team)


async def view_of(ctx: Ctx, round_: Round, team: Team) -> RoundView | None:
    """The round with its team and template, if the team is in the actor's workspace."""
    if team.workspace_id != ctx.workspace.id:
        return None
    round_ = await catch_up(ctx, round_)
    return RoundView(round=round_, team=team, template=snapshot_template(round_.template))


async def catch_up(ctx: Ctx, round_: Round) -> Round:
    """The round hears of the clock as the reader sees it (`round_clock`): once its prep
    deadline has passed it is in the conversations phase; a later phase is left alone."""
    caught, _ = await pass_prep_deadline(tx=ctx.tx, round_=round_, today=ctx.today)
    return caught


async def advance(ctx: Ctx, view: RoundView, action: RoundAction) -> RoundTransition:
    """Move the round on as its lifecycle allows (or stop with the lifecycle's refusal).

    Another handler may have moved the round since it was read (two leaders, a deadline
    caught up): then the action is decided once more on the phase it has now.
    """
    transition = accept(decide_round(view.round.phase, action))
    if not transition.changed:
        return transition
    try:
        await ctx.tx.rounds.apply(round_id=view.round.id, transition=transition)
    except ValueError:
        fresh = await ctx.tx.rounds.get(round_id=view.round.id)
        assert fresh is not None
        transition = accept(decide_round(fresh.phase, action))
        if transition.changed:
            await ctx.tx.rounds.apply(round_id=view.round.id, transition=transition)
    return transition


async def leader_names(ctx: Ctx, view: RoundView) -> str:
    leaders = await ctx.tx.people.get_many(person_ids=list(view.leader_ids))
    return ", ".join(p.display_name for p in leaders) or "?"


def accept(result: _T | Refusal, /, **values: object) -> _T:
    """The transition a lifecycle allowed, or stop with its refusal (`values` fill its text)."""
    if isinstance(result, Refusal):
        raise Refuse(result.reason, **{**result.values, **values})
    return result


def require_open(view: RoundView) -> None:
    """A closed round takes no more work (the round lifecycle says so)."""
    closed = accepts_work(view.round.phase)
    if closed is not None:
        raise Refuse(closed.reason, **closed.values)


def command_prefix(ctx: Ctx) -> str:
    """How the person types commands on their platform (the port knows: `/mus` in Slack)."""
    return ctx.platform.command_prefix


def option_label(text: str, limit: int = 75) -> str:
    """A select option's label within the platforms' limit, cut visibly (…) when too long."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
