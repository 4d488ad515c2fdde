"""The team's action plan (Skema 5, "Fælles opsamling på MUS"), after the summary meeting.

The leader writes the joint agreements in chat: what, when, who (one or more of the round's
people) and how it is followed up. Each is posted to the team channel, each owner is reminded
on its date and moves it on from the reminder, and anyone in the team sees the plan's status
with `/mus handleplan`. The leader may change an agreement afterwards (what, when, who, how):
the team channel hears of the change and the owners' pending reminder follows the new date.
An owner may put their reminder off to tomorrow. States move only by
`lifecycles/action_item.py`; every read and every refusal goes through the policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date

from conversations import i18n, policy
from conversations.actions import (
    ActionAdd,
    ActionAddForm,
    ActionEdit,
    ActionEditForm,
    ActionMove,
    ActionShow,
    ActionSnooze,
    ButtonAction,
    FormState,
    StaleAction,
)
from conversations.context import Ctx
from conversations.domain import Person, Phase, Round, Team
from conversations.flows.common import RoundView, accept, load_round, say
from conversations.flows.status import team_label
from conversations.lifecycles import action_item
from conversations.lifecycles.action_item import (
    ActionItemAction,
    ActionItemTransition,
    ActionState,
)
from conversations.lifecycles.base import Effect, Refusal
from conversations.messages import (
    Block,
    Button,
    DateInput,
    Fields,
    Form,
    FormErrors,
    Heading,
    Message,
    Note,
    Paragraph,
    PeopleInput,
    Quote,
    Reply,
    TextInput,
    ToActor,
    ToChannel,
    ToPerson,
)
from conversations.parsing import ParseError, parse_date
from conversations.refusal import Refuse
from conversations.reminders import (
    TEAM_ACTION_DUE,
    cancel_team_action,
    schedule_team_action,
    snooze_team_action,
)
from conversations.year import TeamAction

Values = Mapping[str, str | tuple[str, ...] | None]
TEXT_LIMIT = 500
# The action plan is written after the summary meeting (and lives on after the round closes).
WRITABLE = (Phase.SUMMARY, Phase.FOLLOW_UP)
READABLE = (Phase.SUMMARY, Phase.FOLLOW_UP, Phase.CLOSED)
# An agreement may be changed as long as it is followed up, after the round closed too.
EDITABLE = READABLE


async def _newest(ctx: Ctx, *, leading: bool) -> RoundView | None:
    """The newest round with an action plan phase the person leads (or takes part in)."""
    found = (
        await ctx.tx.rounds.led_by(person_id=ctx.person.id)
        if leading
        else await ctx.tx.rounds.with_member(person_id=ctx.person.id)
    )
    for round_ in found:
        if round_.phase in READABLE and (view := await load_round(ctx, round_.id)):
            return view
    return None


async def command(ctx: Ctx, rest: str) -> Reply:
    """`/mus handleplan`: the leader's plan with "add", or the team's view of it."""
    view = await _newest(ctx, leading=True) or await _newest(ctx, leading=False)
    if view is None:
        raise Refuse("action.none")
    return await show(ctx, view)


async def show(ctx: Ctx, view: RoundView) -> Reply:
    await policy.read_round(
        policy.access(ctx), round_=view.round, round_id=view.round.id, kind=policy.Read.TEAM_ACTIONS
    )
    actions = await ctx.tx.team_actions.for_round(round_id=view.round.id)
    people = await ctx.people_by_id(sorted({p for a in actions for p in a.owner_ids}))
    title = ctx.t("action.title", team=team_label(view))
    blocks: list[Block] = [Heading(title)]
    if not actions:
        blocks.append(Paragraph(ctx.t("action.empty")))
    for n, action in enumerate(actions, start=1):
        blocks += _item_blocks(ctx.locale, action, people, n=n)
    buttons: list[Button] = []
    access = policy.access(ctx)
    writer = policy.may(access, policy.Do.WRITE_TEAM_ACTIONS, round_=view.round, employee_id=None)
    editor = policy.may(access, policy.Do.EDIT_TEAM_ACTION, round_=view.round, employee_id=None)
    if writer and view.round.phase in WRITABLE:
        buttons.append(
            ActionAdd(round_id=view.round.id).button(ctx.t("action.button.add"), style="primary")
        )
    if editor and view.round.phase in EDITABLE:
        buttons += [
            ActionEdit(round_id=view.round.id, action_id=action.id).button(
                ctx.t("action.button.edit", n=n)
            )
            for n, action in enumerate(actions, start=1)
            if not isinstance(action_item.decide(action.state, ActionItemAction.EDIT), Refusal)
        ]
    return Reply((Message(to=ToActor(), text=title, blocks=tuple(blocks), buttons=tuple(buttons)),))


def _item_blocks(
    loc: str, action: TeamAction, people: Mapping[int, Person], *, n: int
) -> list[Block]:
    owners = ", ".join(people[p].display_name for p in action.owner_ids if p in people) or "–"
    return [
        Quote(action.what, label=f"{n}. {i18n.t(loc, f'action.state.{action.state.value}')}"),
        Fields(
            (
                (i18n.t(loc, "action.when"), i18n.format_date(loc, action.due_on)),
                (i18n.t(loc, "action.who"), owners),
                (i18n.t(loc, "action.how"), action.follow_up),
            )
        ),
    ]


async def on_button(ctx: Ctx, action: ButtonAction) -> Reply:
    if isinstance(action, ActionSnooze):
        return await _snooze(ctx, action)
    if isinstance(action, ActionEdit):
        return await _open_edit(ctx, action)
    if not isinstance(action, ActionShow | ActionAdd | ActionMove):
        return say(ctx, "error.stale_button")
    round_id = action.round_id
    view = await load_round(ctx, round_id)
    found = view.round if view else None
    if isinstance(action, ActionShow):
        await policy.read_round(
            policy.access(ctx), round_=found, round_id=round_id, kind=policy.Read.TEAM_ACTIONS
        )
        assert view is not None
        return await show(ctx, view)
    if isinstance(action, ActionAdd):
        await policy.check(
            policy.access(ctx),
            policy.Do.WRITE_TEAM_ACTIONS,
            round_=found,
            round_id=round_id,
            employee_id=None,
        )
        assert view is not None
        _writable(view)
        return Reply((_form(ctx, view),))
    return await _move(ctx, view, round_id, action.action_id, action.move)


def _writable(view: RoundView) -> None:
    if view.round.phase == Phase.CLOSED:
        raise Refuse("round.refused.closed")
    if view.round.phase not in WRITABLE:
        raise Refuse("action.refused.before_summary")


def _form(ctx: Ctx, view: RoundView) -> Form:
    return ActionAddForm(round_id=view.round.id).form(
        title=ctx.t("action.form.title"),
        submit_label=ctx.t("action.form.submit"),
        intro=(Paragraph(ctx.t("action.form.intro")),),
        inputs=_inputs(ctx),
    )


def _inputs(
    ctx: Ctx, item: TeamAction | None = None, owners: tuple[str, ...] = ()
) -> tuple[TextInput | DateInput | PeopleInput, ...]:
    """What, when, who, how: empty for a new agreement, filled in for a change."""
    return (
        TextInput(
            id="what",
            label=ctx.t("action.what"),
            multiline=True,
            max_length=TEXT_LIMIT,
            initial=item.what if item else None,
        ),
        DateInput(id="due_on", label=ctx.t("action.when"), initial=item.due_on if item else None),
        PeopleInput(
            id="owners",
            label=ctx.t("action.who"),
            hint=ctx.t("action.form.who_hint"),
            initial=owners,
        ),
        TextInput(
            id="follow_up",
            label=ctx.t("action.how"),
            hint=ctx.t("action.form.how_hint"),
            max_length=TEXT_LIMIT,
            initial=item.follow_up if item else None,
        ),
    )


def _text(values: Values, key: str) -> str:
    value = values.get(key)
    if isinstance(value, tuple):
        return value[0] if value else ""
    return (value or "").strip()


@dataclass(frozen=True, slots=True)
class _Agreement:
    """A filled-in agreement form, checked."""

    what: str
    due_on: date
    follow_up: str
    owners: list[Person]


async def _checked(
    ctx: Ctx, view: RoundView, values: Values, *, unchanged: date | None = None
) -> _Agreement | FormErrors:
    """The form's values, or what is wrong with them. `unchanged`: the date an edited
    agreement has now, accepted even when it has passed (only a new date must be ahead)."""
    errors: dict[str, str] = {}
    what, how = _text(values, "what"), _text(values, "follow_up")
    for key, text in (("what", what), ("follow_up", how)):
        if not text:
            errors[key] = ctx.t("error.required")
        elif len(text) > TEXT_LIMIT:
            errors[key] = ctx.t("error.too_long", length=len(text), limit=TEXT_LIMIT)
    due = None
    try:
        due = parse_date(text=_text(values, "due_on"), today=ctx.today)
        if due < ctx.today and due != unchanged:
            errors["due_on"] = ctx.t("action.error.past")
    except ParseError as problem:
        errors["due_on"] = ctx.t(problem.key, value=problem.value)
    owners, unknown = await _owners(ctx, view.round, values.get("owners"))
    if unknown or not owners:
        errors["owners"] = ctx.t("action.error.owners")
    if errors or due is None:
        return FormErrors(errors=errors)
    return _Agreement(what=what, due_on=due, follow_up=how, owners=owners)


async def on_form(ctx: Ctx, state: FormState, values: Values) -> Reply:
    if isinstance(state, ActionEditForm):
        return await _save_edit(ctx, state, values)
    if not isinstance(state, ActionAddForm):
        return say(ctx, "error.stale_button")
    round_id = state.round_id
    view = await load_round(ctx, round_id)
    await policy.check(
        policy.access(ctx),
        policy.Do.WRITE_TEAM_ACTIONS,
        round_=view.round if view else None,
        round_id=round_id,
        employee_id=None,
    )
    assert view is not None
    _writable(view)
    checked = await _checked(ctx, view, values)
    if isinstance(checked, FormErrors):
        return Reply((checked,))
    what, due, how, owners = checked.what, checked.due_on, checked.follow_up, checked.owners
    created = accept(action_item.decide(ActionState.NONE, ActionItemAction.CREATE))
    item = await ctx.tx.team_actions.create(
        round_id=round_id,
        what=what,
        due_on=due,
        follow_up=how,
        owner_ids=[p.id for p in owners],
        transition=created,
        by=ctx.person.id,
        at=ctx.now,
    )
    await ctx.audit(action="actions.write", subject=f"round:{round_id}", detail=str(item.id))
    if created.causes(Effect.SCHEDULE_OWNER_REMINDERS):
        for owner in owners:
            await schedule_team_action(
                tx=ctx.tx, action=item, owner=owner, hours=ctx.settings.hours()
            )
    shared = created.causes(Effect.POST_TO_CHANNEL)
    post = (
        _channel_post(view, item, {p.id: p for p in owners})
        if shared and view.team.channel_id
        else None
    )
    return _told(ctx, post, saved="action.added") + await show(ctx, view)


def _told(ctx: Ctx, post: Message | None, *, saved: str) -> Reply:
    """The leader is told the truth about the channel: shared once the post went out, not
    shared when it failed (the bot not in the channel) or the team has no channel."""
    if post is None:
        return say(ctx, f"{saved}.no_channel")
    done = ctx.t(f"{saved}.shared")
    failed = ctx.t(f"{saved}.not_shared")
    return Reply(
        (
            replace(
                post,
                on_sent=Message(to=ToActor(), text=done, blocks=(Paragraph(done),)),
                on_failure=Message(to=ToActor(), text=failed, blocks=(Paragraph(failed),)),
            ),
        )
    )


def _channel_post(
    view: RoundView, item: TeamAction, people: Mapping[int, Person], *, changed: bool = False
) -> Message:
    """The agreement for the whole team, in the round's language (the text is the leader's:
    adapters escape it, so `<!channel>` stays text). `changed`: the agreement as it is after
    the leader changed it, headed as a change."""
    loc = view.template.language
    title = i18n.t(loc, "action.changed" if changed else "action.posted", team=team_label(view))
    blocks: list[Block] = [Heading(title), *_item_blocks(loc, item, people, n=1)]
    blocks[1] = Quote(item.what, label=i18n.t(loc, "action.what"))
    blocks.append(Note(i18n.t(loc, "action.posted_hint")))
    assert view.team.channel_id
    return Message(to=ToChannel(view.team.channel_id), text=title, blocks=tuple(blocks))


async def _owners(
    ctx: Ctx, round_: Round, raw: str | tuple[str, ...] | None
) -> tuple[list[Person], bool]:
    """The chosen owners, each one of the round's people; True if someone else was chosen."""
    ids = raw if isinstance(raw, tuple) else tuple(x.strip() for x in (raw or "").split(","))
    people: list[Person] = []
    unknown = False
    for user_id in (i for i in ids if i):
        person = await ctx.tx.people.get_by_user_id(workspace_id=ctx.workspace.id, user_id=user_id)
        if person is None or (
            person.id not in round_.member_ids and person.id not in round_.leader_ids
        ):
            unknown = True
            continue
        people.append(person)
    return people, unknown


async def _item(ctx: Ctx, round_id: int, action_id: int, prefix: str) -> TeamAction:
    item = await ctx.tx.team_actions.get(action_id=action_id)
    if item is None or item.round_id != round_id:
        raise StaleAction(prefix)
    return item


async def _snooze(ctx: Ctx, action: ActionSnooze) -> Reply:
    """ "Mind mig om det i morgen" on an owner's reminder: that owner hears of it again the
    next working morning (the leader, not an owner, has no reminder to put off)."""
    item = await _item(ctx, action.round_id, action.action_id, ActionSnooze.prefix)
    view = await load_round(ctx, action.round_id)
    await policy.check_owner(
        policy.access(ctx),
        round_=view.round if view else None,
        round_id=action.round_id,
        owner_ids=item.owner_ids,
        action=policy.Do.SNOOZE_TEAM_ACTION,
    )
    if item.state not in (ActionState.OPEN, ActionState.UNDER_WAY):
        raise Refuse("action.refused.finished")
    due = await snooze_team_action(
        tx=ctx.tx, item=item, owner=ctx.person, now=ctx.now, hours=ctx.settings.hours()
    )
    return say(
        ctx, "reminder.snoozed", when=i18n.format_datetime(ctx.locale, due.astimezone(ctx.tz))
    )


async def _may_edit(
    ctx: Ctx, round_id: int, action_id: int, prefix: str
) -> tuple[RoundView, TeamAction, ActionItemTransition]:
    """The leader's change of an agreement: checked by the policy, then by the lifecycle."""
    view = await load_round(ctx, round_id)
    await policy.check(
        policy.access(ctx),
        policy.Do.EDIT_TEAM_ACTION,
        round_=view.round if view else None,
        round_id=round_id,
        employee_id=None,
    )
    assert view is not None
    if view.round.phase not in EDITABLE:
        raise Refuse("action.refused.before_summary")
    item = await _item(ctx, round_id, action_id, prefix)
    return view, item, accept(action_item.decide(item.state, ActionItemAction.EDIT))


async def _open_edit(ctx: Ctx, action: ActionEdit) -> Reply:
    _, item, _ = await _may_edit(ctx, action.round_id, action.action_id, ActionEdit.prefix)
    owners = await ctx.people_by_id(item.owner_ids)
    form = ActionEditForm(round_id=action.round_id, action_id=item.id).form(
        title=ctx.t("action.edit.title"),
        submit_label=ctx.t("action.edit.submit"),
        intro=(Paragraph(ctx.t("action.edit.intro")),),
        inputs=_inputs(ctx, item, tuple(owners[p].user_id for p in item.owner_ids if p in owners)),
    )
    return Reply((form,))


async def _save_edit(ctx: Ctx, state: ActionEditForm, values: Values) -> Reply:
    """What, when, who, how replaced. A new date (or a new owner) replaces the owners'
    pending reminder; the team channel is told the agreement changed."""
    view, before, edited = await _may_edit(
        ctx, state.round_id, state.action_id, ActionEditForm.prefix
    )
    checked = await _checked(ctx, view, values, unchanged=before.due_on)
    if isinstance(checked, FormErrors):
        return Reply((checked,))
    owner_ids = [p.id for p in checked.owners]
    if (
        checked.what == before.what
        and checked.due_on == before.due_on
        and checked.follow_up == before.follow_up
        and tuple(owner_ids) == before.owner_ids
    ):
        return say(ctx, "action.edit.unchanged") + await show(ctx, view)
    item = await ctx.tx.team_actions.edit(
        action_id=before.id,
        transition=edited,
        what=checked.what,
        due_on=checked.due_on,
        follow_up=checked.follow_up,
        owner_ids=owner_ids,
        by=ctx.person.id,
        at=ctx.now,
    )
    await ctx.audit(action="actions.edit", subject=f"round:{state.round_id}", detail=str(item.id))
    if edited.causes(Effect.REPLACE_OWNER_REMINDERS):
        if item.due_on != before.due_on or set(owner_ids) != set(before.owner_ids):
            await cancel_team_action(tx=ctx.tx, item=before)
        for owner in checked.owners:
            # The same date and owner keep their key: a reminder already sent stays sent.
            await schedule_team_action(
                tx=ctx.tx, action=item, owner=owner, hours=ctx.settings.hours()
            )
    shared = edited.causes(Effect.POST_TO_CHANNEL)
    owners_by_id = {p.id: p for p in checked.owners}
    post = (
        _channel_post(view, item, owners_by_id, changed=True)
        if shared and view.team.channel_id
        else None
    )
    return _told(ctx, post, saved="action.edit.saved") + await show(ctx, view)


async def _move(
    ctx: Ctx, view: RoundView | None, round_id: int, action_id: int, move: ActionItemAction
) -> Reply:
    """An owner (or the leader) moves an agreement on, from its reminder or the plan."""
    if move in action_item.NOT_MOVES:
        raise StaleAction(ActionMove.prefix)
    item = await _item(ctx, round_id, action_id, ActionMove.prefix)
    await policy.check_owner(
        policy.access(ctx),
        round_=view.round if view else None,
        round_id=round_id,
        owner_ids=item.owner_ids,
    )
    assert view is not None
    moved = accept(action_item.decide(item.state, move))
    item = await ctx.tx.team_actions.apply(
        action_id=action_id, transition=moved, by=ctx.person.id, at=ctx.now
    )
    await ctx.audit(
        action="actions.update", subject=f"round:{round_id}", detail=f"{action_id}={item.state}"
    )
    if moved.causes(Effect.CANCEL_OWNER_REMINDERS):
        await cancel_team_action(tx=ctx.tx, item=item)
    saved = ctx.t("action.saved", state=ctx.t(f"action.state.{item.state.value}"))
    message = team_action_message(
        people=await ctx.people_by_id(item.owner_ids),
        team=view.team,
        round_=view.round,
        item=item,
        recipient=ctx.person,
    )
    return Reply(
        (
            Message(
                to=ToActor(),
                text=saved,
                blocks=(Note(saved), *message.blocks),
                buttons=message.buttons,
                replaces=ctx.event.context.message_ref,
            ),
        )
    )


def team_action_message(
    *,
    people: Mapping[int, Person],
    team: Team,
    round_: Round,
    item: TeamAction,
    recipient: Person,
) -> Message:
    """The reminder to an owner (and its refreshed copy): the agreement and the moves."""
    loc = recipient.locale
    text = i18n.t(loc, "action.reminder", team=team.name)
    blocks: list[Block] = [
        Heading(text),
        *_item_blocks(loc, item, people, n=1),
    ]
    buttons = [
        ActionMove(round_id=round_.id, action_id=item.id, move=move).button(
            i18n.t(loc, f"action.move.{move.value}"),
            style="primary" if move == ActionItemAction.COMPLETE else "default",
        )
        for move in action_item.choices(item.state)
    ]
    if recipient.id in item.owner_ids and item.state in (ActionState.OPEN, ActionState.UNDER_WAY):
        buttons.append(
            ActionSnooze(round_id=round_.id, action_id=item.id).button(
                i18n.t(loc, "reminder.button.tomorrow")
            )
        )
    buttons.append(ActionShow(round_id=round_.id).button(i18n.t(loc, "action.button.show")))
    return Message(
        to=ToPerson(recipient.user_id), text=text, blocks=tuple(blocks), buttons=tuple(buttons)
    )


__all__ = ["TEAM_ACTION_DUE", "command", "on_button", "on_form", "team_action_message"]
