"""Which form a member of a round meets, and whether it is out yet.

A round's form is its template snapshot, adapted by the team; a sub-group has its own copy.
Preparation can be held back while the team adapts it: members then hear that it opens soon.
The prep flow asks here for a member's view, so every read path shows the right variant.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from conversations import i18n
from conversations.actions import StaleAction
from conversations.context import Ctx
from conversations.domain import PrepStatus, Round
from conversations.flows.common import Refuse, RoundView
from conversations.templates.model import Template, snapshot_template
from conversations.templates.stored import RoundForm

BASE = "team"  # the form of members in no sub-group


def question_ids(data: dict[str, Any]) -> list[str]:
    return [q["id"] for t in data.get("themes", ()) for q in t.get("questions", ())]


def new_form(round_: Round) -> RoundForm:
    """The state of a round nobody has adapted yet: out, one form, its ids taken."""
    return RoundForm(
        round_id=round_.id, original=round_.template, used_ids=tuple(question_ids(round_.template))
    )


async def round_form(ctx: Ctx, round_: Round) -> RoundForm:
    found = await ctx.tx.round_forms.get(round_id=round_.id)
    return found if found is not None else new_form(round_)


def is_held(form: RoundForm | None, today: date) -> bool:
    """Preparation not yet out: held by the leader, and its release date (if any) not come."""
    return form is not None and form.held and (form.release_on is None or today < form.release_on)


def template_for(round_: Round, form: RoundForm | None, person_id: int) -> Template:
    group = form.group_of(person_id) if form is not None else None
    return snapshot_template(group.template if group is not None else round_.template)


async def view_for(ctx: Ctx, view: RoundView, person_id: int) -> RoundView:
    """The round as `person_id` prepares it: their sub-group's form, if they are in one."""
    form = await ctx.tx.round_forms.get(round_id=view.round.id)
    group = form.group_of(person_id) if form is not None else None
    if group is None:
        return view
    return replace(view, template=snapshot_template(group.template))


async def member_view(ctx: Ctx, view: RoundView) -> RoundView:
    """The actor's own form; a refusal that says when it opens while it is held back."""
    return own_view(ctx, view, await ctx.tx.round_forms.get(round_id=view.round.id))


def own_view(ctx: Ctx, view: RoundView, form: RoundForm | None) -> RoundView:
    """`member_view` with the round's form already read (`PrepRepo.own` reads it)."""
    if is_held(form, ctx.today):
        assert form is not None
        if form.release_on is not None:
            raise Refuse("adapt.soon_on", day=i18n.format_date(ctx.locale, form.release_on))
        raise Refuse("adapt.soon")
    group = form.group_of(ctx.person.id) if form is not None else None
    if group is None:
        return view
    return replace(view, template=snapshot_template(group.template))


def form_template(view: RoundView, form: RoundForm, key: str) -> Template:
    if key == BASE:
        return view.template
    group = form.group(key)
    if group is None:
        raise StaleAction("adapt")
    return snapshot_template(group.template)


def audience(view: RoundView, form: RoundForm, key: str) -> list[int]:
    """The members who meet the form `key`."""
    if key == BASE:
        return [m for m in view.member_ids if form.group_of(m) is None]
    group = form.group(key)
    return [m for m in view.member_ids if group is not None and m in group.member_ids]


def form_name(ctx: Ctx, form: RoundForm, key: str) -> str:
    group = form.group(key) if key != BASE else None
    return group.name if group is not None else ctx.t("adapt.whole_team")


async def anyone_started(ctx: Ctx, view: RoundView) -> bool:
    return any(
        s.status != PrepStatus.NOT_STARTED
        for s in await ctx.tx.prep.sessions(round_id=view.round.id)
    )
