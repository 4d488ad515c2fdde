"""The person's overview (Slack App Home): their own prep, and the teams they lead."""

from __future__ import annotations

from conversations import policy
from conversations.codec import encode
from conversations.context import Ctx
from conversations.domain import PrepStatus
from conversations.flows import forms
from conversations.flows.common import rounds_as_leader, rounds_as_member
from conversations.flows.kickoff import round_facts
from conversations.flows.status import progress, state_of, team_label
from conversations.messages import Block, Button, Divider, Heading, HomeView, Note, Paragraph, Reply


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
        blocks += [
            Heading(ctx.t("home.my_prep", template=view.template.title)),
            Paragraph(ctx.t(f"home.state.{state.value}", done=done, count=total)),
            round_facts(ctx.locale, view.round, tz_name=ctx.person.timezone),
        ]
        label = "home.button.review" if state == PrepStatus.SHARED else "home.button.continue"
        buttons.append(Button(ctx.t(label), "prep.open", encode(view.round.id), style="primary"))
    for view in led:
        rows = await progress(ctx, view)
        shared = sum(1 for _, s in rows if state_of(s) == PrepStatus.SHARED)
        blocks += [
            Divider(),
            Heading(ctx.t("status.title", team=team_label(view))),
            Paragraph(ctx.t("status.summary", shared=shared, count=len(rows))),
        ]
        buttons.append(Button(ctx.t("status.button.show"), "status.show", encode(view.round.id)))
    blocks.append(Note(ctx.t("common.confidential")))
    return Reply(
        (HomeView(user_id=ctx.person.user_id, blocks=tuple(blocks), buttons=tuple(buttons)),)
    )
