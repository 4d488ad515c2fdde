"""The person's overview (Slack App Home): their own prep, and the teams they lead."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from conversations import policy
from conversations.actions import PlanOpen, PrepOpen, StatusShow
from conversations.context import Ctx
from conversations.domain import Person, PlanState, PrepStatus
from conversations.flows import forms
from conversations.flows.common import rounds_as_leader, rounds_as_member
from conversations.flows.kickoff import round_facts
from conversations.flows.status import progress, state_of, team_label
from conversations.messages import (
    Block,
    Button,
    Divider,
    Fields,
    Heading,
    HomeView,
    Note,
    Paragraph,
    Reply,
)


async def refresh(ctx: Ctx, people: Iterable[Person]) -> Reply:
    """Fresh overviews for `people` after a change they would see there (live, not on request).

    Each is computed as that person sees it (their rounds, their language); the platform shows
    it where it has an overview (Slack App Home, the web chat's side panel, pushed over SSE).
    """
    views: list[HomeView] = []
    for person in {p.id: p for p in people}.values():
        as_them = replace(ctx, person=person)
        for item in (await show_home(as_them, "")).items:
            if isinstance(item, HomeView):
                views.append(replace(item, unasked=True))
    return Reply(tuple(views))


async def show_home(ctx: Ctx, rest: str) -> Reply:
    blocks: list[Block] = [Heading(ctx.t("home.title"))]
    buttons: list[Button] = []
    mine = await rounds_as_member(ctx)
    led = await rounds_as_leader(ctx)
    if not mine and not led:
        blocks.append(Paragraph(ctx.t("home.no_prep")))
    for view in mine:
        view = await forms.view_for(ctx, view, ctx.person.id)  # their sub-group's form
        own = await policy.read_prep(
            policy.access(ctx),
            round_=view.round,
            round_id=view.round.id,
            employee_id=ctx.person.id,
        )
        session, answers = own.session, own.answers
        total = len(view.template.steps())
        done = sum(1 for a in answers.values() if a.text)
        state = state_of(session)
        held = session is not None and session.conversation_held_at is not None
        plan = await ctx.tx.plans.latest(round_id=view.round.id, employee_id=ctx.person.id)
        if held:
            # After the conversation nothing can be corrected: say where things stand instead.
            line = ctx.t("home.state.held")
            if plan is not None:
                line += " " + ctx.t(f"home.plan.{plan.state.value}")
        else:
            line = ctx.t(f"home.state.{state.value}", done=done, count=total)
        blocks += [
            Heading(ctx.t("home.my_prep", template=view.template.title)),
            Paragraph(line),
            round_facts(ctx.locale, view.round, tz_name=ctx.person.timezone),
        ]
        label = {
            PrepStatus.NOT_STARTED: "prep.button.open",
            PrepStatus.IN_PROGRESS: "home.button.continue",
        }.get(state, "home.button.review")
        if held:
            # Locked: answers given can be read; a preparation never begun cannot start now.
            label = "home.button.review" if done or state != PrepStatus.NOT_STARTED else ""
        if label:
            buttons.append(PrepOpen(round_id=view.round.id).button(ctx.t(label), style="primary"))
        if held or plan is not None:
            buttons.append(
                PlanOpen(round_id=view.round.id, employee_id=ctx.person.id).button(
                    ctx.t("plan.button.open")
                )
            )
    for view in led:
        rows = await progress(ctx, view)
        shared = sum(1 for _, s in rows if state_of(s) == PrepStatus.SHARED)
        held_count = sum(1 for _, s in rows if s is not None and s.conversation_held_at is not None)
        # One read for the round's plans (as the status view does), not one per member.
        versions = await ctx.tx.plans.versions_for_round(round_id=view.round.id)
        plans = [versions[person.id][-1] for person, _ in rows if versions.get(person.id)]
        awaiting = sum(1 for p in plans if p.state == PlanState.PROPOSED)
        agreed = sum(1 for p in plans if p.state == PlanState.AGREED)
        blocks += [
            Divider(),
            Heading(ctx.t("status.title", team=team_label(view))),
            Paragraph(ctx.t("status.summary", shared=shared, count=len(rows))),
            Fields(
                (
                    (ctx.t("home.phase"), ctx.t(f"home.phase.{view.round.phase.value}")),
                    (ctx.t("home.shared"), f"{shared}/{len(rows)}"),
                    (ctx.t("status.held_count"), f"{held_count}/{len(rows)}"),
                    (ctx.t("home.awaiting"), str(awaiting)),
                    (ctx.t("status.agreed_count"), f"{agreed}/{len(rows)}"),
                )
            ),
        ]
        buttons.append(StatusShow(round_id=view.round.id).button(ctx.t("status.button.show")))
    # The confidentiality line is the one each reader needs: an employee's, or a leader's.
    blocks.append(Note(ctx.t("common.confidential" if mine else "status.confidential")))
    return Reply(
        (HomeView(user_id=ctx.person.user_id, blocks=tuple(blocks), buttons=tuple(buttons)),)
    )
