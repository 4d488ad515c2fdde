"""Lookups and checks that several flows share (membership, leadership, active rounds)."""

from __future__ import annotations

from dataclasses import dataclass

from conversations.context import Ctx
from conversations.domain import Person, Phase, Round, Team
from conversations.messages import Message, Paragraph, Reply, ToActor, ToPerson
from conversations.templates.model import Template

ACTIVE_PHASES = (Phase.PREP, Phase.CONVERSATIONS, Phase.SUMMARY, Phase.FOLLOW_UP)
PREP_PHASES = (Phase.PREP, Phase.CONVERSATIONS)


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

    def is_leader(self, person: Person) -> bool:
        return person.id in self.round.leader_ids

    def is_member(self, person: Person) -> bool:
        return person.id in self.round.member_ids


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
    return await _views(ctx, await ctx.tx.rounds.with_member(person_id=ctx.person.id), phases)


async def rounds_as_leader(ctx: Ctx) -> list[RoundView]:
    """Active rounds the person leads, newest first."""
    return await _views(ctx, await ctx.tx.rounds.led_by(person_id=ctx.person.id), ACTIVE_PHASES)


async def _views(ctx: Ctx, found: list[Round], phases: tuple[Phase, ...]) -> list[RoundView]:
    views: list[RoundView] = []
    for round_ in found:
        if round_.phase in phases and (view := await _view(ctx, round_)) is not None:
            views.append(view)
    return views


async def _view(ctx: Ctx, round_: Round) -> RoundView | None:
    """The round with its team and template, if the team is in the actor's workspace."""
    team = await ctx.tx.teams.get(team_id=round_.team_id)
    if team is None or team.workspace_id != ctx.workspace.id:
        return None
    return RoundView(round=round_, team=team, template=Template.model_validate(round_.template))


async def leader_names(ctx: Ctx, view: RoundView) -> str:
    leaders = await ctx.tx.people.get_many(person_ids=list(view.leader_ids))
    return ", ".join(p.display_name for p in leaders) or "?"


class Refuse(Exception):
    """Stop handling and tell the actor why, in their language (`key` is an i18n key)."""

    def __init__(self, key: str, /, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


def command_prefix(ctx: Ctx) -> str:
    """How the person types commands on their platform (the port knows: `/mus` in Slack)."""
    return ctx.platform.command_prefix


def option_label(text: str, limit: int = 75) -> str:
    """A select option's label within the platforms' limit, cut visibly (…) when too long."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
