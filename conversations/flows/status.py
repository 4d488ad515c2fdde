"""`/mus status`: the leader sees who has prepared, and nothing of what they wrote.

Progress is three states per person (not started, under way, shared). How many questions an
employee has answered before sharing is their own business, so it is not shown. Each person
has a card with the leader's actions: read the shared prep, own notes, book, mark held, plan.
"""

from __future__ import annotations

from collections.abc import Mapping

from conversations import i18n, policy
from conversations.actions import (
    BookingHeld,
    BookingOpen,
    ButtonAction,
    EmployeeRef,
    NotesOpen,
    PlanOpen,
    PrepView,
    ReminderList,
    StatusMember,
    StatusShow,
    SummaryCloseAsk,
)
from conversations.context import Ctx
from conversations.domain import (
    ItemProgress,
    ItemStatus,
    Person,
    PlanState,
    PlanVersion,
    PrepSession,
    PrepStatus,
    ReminderState,
    agreed_version,
    item_status,
)
from conversations.flows.common import (
    Refuse,
    RoundView,
    command_prefix,
    load_round,
    rounds_as_leader,
)
from conversations.flows.kickoff import round_facts
from conversations.messages import (
    Block,
    BulletList,
    Button,
    Divider,
    Fields,
    Heading,
    Message,
    Note,
    Paragraph,
    Reply,
    ToActor,
)


async def show_status(ctx: Ctx, rest: str) -> Reply:
    views = await rounds_as_leader(ctx)
    if not views:
        if policy.governs(ctx, policy.Govern.START_ROUND):
            raise Refuse("status.no_round", mus=command_prefix(ctx))
        raise Refuse("status.not_leader")
    replies = Reply()
    for view in views:
        replies += await status_reply(ctx, view, round_id=view.round.id)
    return replies


async def on_button(ctx: Ctx, action: ButtonAction) -> Reply:
    if not isinstance(action, StatusShow | StatusMember):
        return Reply()
    round_id = action.round_id
    view = await load_round(ctx, round_id)
    if isinstance(action, StatusShow):
        return await status_reply(ctx, view, round_id=round_id)
    if isinstance(action, StatusMember):
        employee_id = action.employee_id
        card = await policy.read_person_card(
            policy.access(ctx),
            round_=view.round if view else None,
            round_id=round_id,
            employee_id=employee_id,
        )
        assert view is not None
        return await member_card(ctx, view, employee_id, card)
    return Reply()


async def progress(ctx: Ctx, view: RoundView) -> list[tuple[Person, PrepSession | None]]:
    """Each member with their session (None when they have not opened their prep)."""
    sessions = {s.person_id: s for s in await ctx.tx.prep.sessions(round_id=view.round.id)}
    members = await ctx.tx.people.get_many(person_ids=list(view.member_ids))
    return [(m, sessions.get(m.id)) for m in members]


def team_label(view: RoundView) -> str:
    """The team's name; a bare channel id (all a picker gives us) reads worse than the template."""
    if view.team.name == view.team.channel_id:
        return view.template.title
    return view.team.name


def state_of(session: PrepSession | None) -> PrepStatus:
    if session is None:
        return PrepStatus.NOT_STARTED
    return session.status


def _plan_state(plan: PlanVersion | None) -> str:
    return "none" if plan is None else plan.state.value


async def status_reply(ctx: Ctx, view: RoundView | None, *, round_id: int) -> Reply:
    """The round's progress for its leaders (the policy checks and audits the read, and each
    member's plan from their last round, shown beside them)."""
    last_plans = await policy.read_round_status(
        policy.access(ctx),
        round_=view.round if view else None,
        round_id=round_id,
        employee_ids=view.member_ids if view else (),
    )
    assert view is not None
    rows = await progress(ctx, view)
    shared = sum(1 for _, s in rows if state_of(s) == PrepStatus.SHARED)
    blocks: list[Block] = [
        Heading(ctx.t("status.title", team=team_label(view))),
        Paragraph(ctx.t("status.summary", shared=shared, count=len(rows))),
        round_facts(ctx.locale, view.round, tz_name=ctx.person.timezone),
        Divider(),
    ]
    buttons: list[Button] = []
    held = agreed = 0
    # The round's bookings and plans in a few statements, not a query per member.
    bookings = {b.employee_id: b for b in await ctx.tx.bookings.for_round(round_id=view.round.id)}
    plans = await ctx.tx.plans.versions_for_round(round_id=view.round.id)
    progress_by = await ctx.tx.plans.item_progress_for_round(round_id=view.round.id)
    for person, session in rows:
        state = state_of(session)
        line = ctx.t(f"status.line.{state.value}", name=person.display_name)
        if state == PrepStatus.SHARED and session is not None and session.shared_at is not None:
            when = i18n.format_date(ctx.locale, session.shared_at.astimezone(ctx.tz).date())
            line = ctx.t("status.line.shared_at", name=person.display_name, when=when)
        extras = []
        booking = bookings.get(person.id)
        if session is not None and session.conversation_held_at is not None:
            held += 1
            extras.append(ctx.t("status.held"))
        elif booking is not None:
            extras.append(
                ctx.t(
                    "status.booked",
                    when=i18n.format_datetime(ctx.locale, booking.starts_at.astimezone(ctx.tz)),
                )
            )
        versions = plans.get(person.id, [])
        plan = versions[-1] if versions else None
        if plan is not None:
            extras.append(ctx.t(f"status.plan.{_plan_state(plan)}"))
            if plan.state == PlanState.AGREED:
                agreed += 1
            items = _item_summary(ctx, versions, progress_by.get(person.id, {}))
            if items:
                extras.append(items)
        last = last_plans.get(person.id)
        if last is not None:
            extras.append(
                ctx.t("status.last_plan", items=_counts(ctx, last.version, last.progress))
            )
        if extras:
            line += " · " + " · ".join(extras)
        blocks.append(Paragraph(line))
        buttons.append(
            StatusMember(round_id=view.round.id, employee_id=person.id).button(person.display_name)
        )
    blocks.append(
        Fields(
            (
                (ctx.t("status.held_count"), f"{held}/{len(rows)}"),
                (ctx.t("status.agreed_count"), f"{agreed}/{len(rows)}"),
            )
        )
    )
    reminders = await ctx.tx.outbox.for_round(round_id=view.round.id)
    pending = sum(1 for r in reminders if r.state in (ReminderState.PENDING, ReminderState.SENDING))
    failed = sum(1 for r in reminders if r.state == ReminderState.FAILED)
    blocks.append(Paragraph(ctx.t("status.reminders", pending=pending, failed=failed)))
    buttons.append(ReminderList(round_id=view.round.id).button(ctx.t("status.button.reminders")))
    buttons.append(SummaryCloseAsk(round_id=view.round.id).button(ctx.t("round.close.button")))
    from conversations.flows.coverage import coverage_lines

    missed = await coverage_lines(ctx, await ctx.tx.teams.led_by(person_id=ctx.person.id))
    if missed:  # the yearly offer (KK BUF): who in the leader's teams has had none in 12 months
        blocks += [Paragraph(ctx.t("coverage.intro")), BulletList(tuple(missed))]
    blocks.append(Note(ctx.t("status.pick_hint")))
    blocks.append(Note(ctx.t("status.confidential")))
    return Reply(
        (
            Message(
                to=ToActor(),
                text=ctx.t("status.summary", shared=shared, count=len(rows)),
                blocks=tuple(blocks),
                buttons=tuple(buttons),
            ),
        )
    )


def _item_summary(ctx: Ctx, versions: list[PlanVersion], progress: dict[str, ItemProgress]) -> str:
    """The follow-up statuses of the agreed plan's items, counted ("2 i gang, 1 gennemført")."""
    agreed = agreed_version(versions)
    if agreed is None or not agreed.items:
        return ""
    return _counts(ctx, agreed, progress)


def _counts(ctx: Ctx, agreed: PlanVersion, progress: Mapping[str, ItemProgress]) -> str:
    counts: dict[ItemStatus, int] = {}
    for item in agreed.items:
        status = item_status(progress, item.id)
        counts[status] = counts.get(status, 0) + 1
    return ", ".join(f"{n} {ctx.t(f'plan.status.{status.value}')}" for status, n in counts.items())


async def member_card(
    ctx: Ctx, view: RoundView, employee_id: int, card: policy.PersonCard
) -> Reply:
    """One employee's card: read through `policy.read_person_card` by the caller."""
    [person] = await ctx.tx.people.get_many(person_ids=[employee_id])
    session, booking, plan = card.session, card.booking, card.plan
    who = EmployeeRef(round_id=view.round.id, employee_id=employee_id)
    state = state_of(session)
    facts = [(ctx.t("status.prep"), ctx.t(f"status.state.{state.value}"))]
    if booking is not None:
        facts.append(
            (
                ctx.t("status.conversation"),
                i18n.format_datetime(ctx.locale, booking.starts_at.astimezone(ctx.tz)),
            )
        )
    facts.append((ctx.t("status.plan_label"), ctx.t(f"status.plan.{_plan_state(plan)}")))
    buttons: list[Button] = []
    if state == PrepStatus.SHARED:
        buttons.append(
            PrepView(**who).button(
                ctx.t("prep.button.view"),
                style="primary",
                private=not ctx.settings.content_in_messages,
            )
        )
    buttons.append(NotesOpen(**who).button(ctx.t("notes.button.open")))
    held = session is not None and session.conversation_held_at is not None
    if not held:
        buttons.append(
            BookingOpen(**who).button(
                ctx.t("booking.button.book" if booking is None else "booking.button.move")
            )
        )
        if booking is not None:
            buttons.append(BookingHeld(**who).button(ctx.t("booking.button.held")))
    if held or plan is not None:
        buttons.append(PlanOpen(**who).button(ctx.t("plan.button.open")))
    from conversations.flows.prep import last_plan_blocks

    last = await policy.read_last_plan(
        policy.access(ctx), round_=view.round, round_id=view.round.id, employee_id=employee_id
    )
    since = last_plan_blocks(ctx, last, title=ctx.t("status.last_plan_title"))
    return Reply(
        (
            Message(
                to=ToActor(),
                text=person.display_name,
                blocks=(Heading(person.display_name), Fields(tuple(facts)), *since),
                buttons=tuple(buttons),
            ),
        )
    )
