"""Step 3, the summary meeting (fælles opsamling): the leader's overview and the channel call.

The leader sees the round across the team: who has prepared, held the conversation and agreed
a plan, and the development goals of the agreed plans without names (the development needs in
aggregate). The channel gets the meeting's call and agenda with counts only, and only when the
team is at least `min_group_size` people, so no number points at one person.
"""

from __future__ import annotations

from conversations import i18n, policy
from conversations.actions import (
    ButtonAction,
    SummaryAnnounce,
    SummaryClose,
    SummaryCloseAsk,
    SummaryFollowUp,
    SummaryShow,
)
from conversations.context import Ctx
from conversations.domain import Phase, PrepStatus, agreed_version
from conversations.flows.common import (
    Refuse,
    RoundView,
    accept,
    advance,
    command_prefix,
    load_round,
    require_open,
    rounds_as_leader,
    say,
)
from conversations.flows.status import progress, state_of, team_label
from conversations.lifecycles import round as round_lifecycle
from conversations.lifecycles.base import Effect
from conversations.lifecycles.round import RoundAction
from conversations.messages import (
    Block,
    BulletList,
    Fields,
    Heading,
    Message,
    Note,
    Paragraph,
    Reply,
    ToActor,
    ToChannel,
)
from conversations.reminders import (
    BOOKING_BEFORE,
    PREP_NUDGE,
    ROUND_UNCLOSED,
    schedule_waiting_items,
)


async def close_command(ctx: Ctx, rest: str) -> Reply:
    """`/mus afslut`: asks first, for each round the person leads (an admin: every open round
    of the workspace), and says what closing does."""
    views = await rounds_as_leader(ctx)
    if not views and policy.may_anywhere(policy.access(ctx), policy.Do.CLOSE_ROUND):
        views = [
            v
            for r in await ctx.tx.rounds.open_in_workspace(workspace_id=ctx.workspace.id)
            if (v := await load_round(ctx, r.id)) is not None
        ]
    if not views:
        raise Refuse("status.not_leader")
    return Reply(tuple(close_question(ctx, view) for view in views))


def close_question(ctx: Ctx, view: RoundView) -> Message:
    """The confirmation: what closing does, and the one button that does it."""
    title = ctx.t("round.close.title", team=team_label(view))
    return Message(
        to=ToActor(),
        text=title,
        blocks=(Heading(title), Paragraph(ctx.t("round.close.explain"))),
        buttons=(
            SummaryClose(round_id=view.round.id).button(
                ctx.t("round.close.button.confirm"), style="danger"
            ),
        ),
    )


async def summary_command(ctx: Ctx, rest: str) -> Reply:
    views = await rounds_as_leader(ctx)
    if not views:
        raise Refuse("status.not_leader")
    return await overview(ctx, views[0], round_id=views[0].round.id)


_ACTIONS = {
    "summary.announce": policy.Do.ANNOUNCE_SUMMARY,
    "summary.follow_up": policy.Do.START_FOLLOW_UP,
}


async def on_button(ctx: Ctx, action: ButtonAction) -> Reply:
    if not isinstance(
        action, SummaryShow | SummaryAnnounce | SummaryFollowUp | SummaryClose | SummaryCloseAsk
    ):
        return say(ctx, "error.stale_button")
    round_id = action.round_id
    view = await load_round(ctx, round_id)
    if isinstance(action, SummaryShow):
        return await overview(ctx, view, round_id=round_id)
    if isinstance(action, SummaryClose):
        return await close_round(ctx, view, round_id=round_id)
    if isinstance(action, SummaryCloseAsk):
        await policy.check(
            policy.access(ctx),
            policy.Do.CLOSE_ROUND,
            round_=view.round if view else None,
            round_id=round_id,
            employee_id=None,
        )
        assert view is not None
        require_open(view)
        return Reply((close_question(ctx, view),))
    found = view.round if view else None
    await policy.check(
        policy.access(ctx),
        _ACTIONS[action.prefix],
        round_=found,
        round_id=round_id,
        employee_id=None,
    )
    assert view is not None
    if isinstance(action, SummaryAnnounce):
        return await announce(ctx, view)
    await advance(ctx, view, RoundAction.START_FOLLOW_UP)
    await ctx.audit(action="round.follow_up", subject=f"round:{round_id}")
    return say(ctx, "summary.follow_up_done")


async def close_round(ctx: Ctx, view: RoundView | None, *, round_id: int) -> Reply:
    """The year's round ends (the leader or an admin, after `close_question`).

    As the lifecycle's CLOSE says: the prep is locked (a closed round refuses every change),
    pending prep nudges and booking reminders are cancelled, the plans' follow-ups go on.
    """
    await policy.check(
        policy.access(ctx),
        policy.Do.CLOSE_ROUND,
        round_=view.round if view else None,
        round_id=round_id,
        employee_id=None,
    )
    assert view is not None
    closed = await advance(ctx, view, RoundAction.CLOSE)
    kinds = [
        kind
        for effect, kind in (
            (Effect.CANCEL_PREP_NUDGES, PREP_NUDGE),
            (Effect.CANCEL_BOOKING_REMINDERS, BOOKING_BEFORE),
        )
        if closed.causes(effect)
    ] + [ROUND_UNCLOSED]  # closed now: the 13-month flag has nothing to say
    await ctx.tx.outbox.cancel_for_round(round_id=round_id, kinds=kinds)
    await ctx.audit(action="round.close", subject=f"round:{round_id}")
    return say(ctx, "round.closed", team=team_label(view), mus=command_prefix(ctx)) + (
        await after_close(ctx, view)
    )


async def after_close(ctx: Ctx, view: RoundView) -> Reply:
    """What a closed round sets going: the anonymous evaluation of the process."""
    from conversations.flows import evaluation

    return await evaluation.invite(ctx, view)


async def _figures(ctx: Ctx, view: RoundView) -> tuple[int, int, int, int, list[str], list[str]]:
    """Members, shared, held, agreed; agreed goals and goals waiting for the meeting (no names)."""
    rows = await progress(ctx, view)
    shared = sum(1 for _, s in rows if state_of(s) == PrepStatus.SHARED)
    held = sum(1 for _, s in rows if s is not None and s.conversation_held_at is not None)
    agreed = 0
    goals: list[str] = []
    waiting: list[str] = []
    first = view.template.plan.fields[0].id
    for person, _ in rows:
        versions = await ctx.tx.plans.versions(round_id=view.round.id, employee_id=person.id)
        plan = agreed_version(versions)
        if plan is None:
            continue
        agreed += 1
        for item in plan.items:
            text = item.fields.get(first, "").strip()
            if text:
                (waiting if item.waits_for_summary else goals).append(text)
    return len(rows), shared, held, agreed, sorted(goals), sorted(waiting)


async def overview(ctx: Ctx, view: RoundView | None, *, round_id: int) -> Reply:
    await policy.read_round(
        policy.access(ctx),
        round_=view.round if view else None,
        round_id=round_id,
        kind=policy.Read.ROUND_SUMMARY,
    )
    assert view is not None
    members, shared, held, agreed, goals, waiting = await _figures(ctx, view)
    blocks: list[Block] = [
        Heading(ctx.t("summary.title", team=team_label(view))),
        Fields(
            (
                (ctx.t("summary.prepared"), f"{shared}/{members}"),
                (ctx.t("status.held_count"), f"{held}/{members}"),
                (ctx.t("status.agreed_count"), f"{agreed}/{members}"),
            )
        ),
    ]
    if waiting:
        blocks += [Paragraph(ctx.t("summary.waiting")), BulletList(tuple(waiting))]
    if goals:
        blocks += [Paragraph(ctx.t("summary.goals")), BulletList(tuple(goals))]
    blocks.append(Note(ctx.t("summary.private")))
    buttons = [
        SummaryAnnounce(round_id=view.round.id).button(
            ctx.t("summary.button.announce"), style="primary"
        )
    ]
    if view.round.phase == Phase.SUMMARY:
        buttons.append(
            SummaryFollowUp(round_id=view.round.id).button(ctx.t("summary.button.follow_up"))
        )
    buttons.append(SummaryCloseAsk(round_id=view.round.id).button(ctx.t("round.close.button")))
    return Reply(
        (
            Message(
                to=ToActor(),
                text=ctx.t("summary.title", team=team_label(view)),
                blocks=tuple(blocks),
                buttons=tuple(buttons),
            ),
        )
    )


async def announce(ctx: Ctx, view: RoundView) -> Reply:
    """The call to the summary meeting in the team channel, once (the round lifecycle)."""
    accept(round_lifecycle.decide(view.round.phase, RoundAction.ANNOUNCE_SUMMARY))
    if not view.team.channel_id:
        raise Refuse("summary.no_channel")
    members, _, held, agreed, _, _ = await _figures(ctx, view)
    loc = view.template.language
    when = (
        i18n.format_datetime(loc, view.round.summary_at.astimezone(ctx.tz))
        if view.round.summary_at
        else i18n.t(loc, "summary.when_unset")
    )
    blocks: list[Block] = [
        Heading(i18n.t(loc, "summary.call_title")),
        Paragraph(i18n.t(loc, "summary.call", when=when, leader=ctx.person.display_name)),
    ]
    if view.template.summary_agenda:
        blocks += [Heading(i18n.t(loc, "summary.agenda")), BulletList(view.template.summary_agenda)]
    if members >= ctx.settings.min_group_size:
        blocks.append(
            Fields(
                (
                    (i18n.t(loc, "status.held_count"), f"{held}/{members}"),
                    (i18n.t(loc, "status.agreed_count"), f"{agreed}/{members}"),
                )
            )
        )
    blocks.append(Note(i18n.t(loc, "summary.call_confidential")))
    await advance(ctx, view, RoundAction.ANNOUNCE_SUMMARY)
    await schedule_waiting_items(
        tx=ctx.tx,
        round_=view.round,
        leaders=await ctx.tx.people.get_many(person_ids=list(view.leader_ids)),
        hours=ctx.settings.hours(),
    )
    await ctx.audit(action="summary.announce", subject=f"round:{view.round.id}")
    done = ctx.t("summary.announced")
    return Reply(
        (
            Message(
                to=ToChannel(view.team.channel_id),
                text=i18n.t(loc, "summary.call_title"),
                blocks=tuple(blocks),
            ),
            Message(
                to=ToActor(),
                text=done,
                blocks=(Paragraph(done),),
                buttons=(
                    SummaryFollowUp(round_id=view.round.id).button(
                        ctx.t("summary.button.follow_up")
                    ),
                ),
            ),
        )
    )
