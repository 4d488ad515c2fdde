"""The development plan: drafted by either party, approved by both, followed up by both.

Every proposed version is kept. Proposing signs the version for its author; the other party
approves (the plan is agreed when the employee and a leader have signed the same version) or
asks for a change, which starts a new draft. Changing an agreed plan makes a new version that
needs both signatures again; until then the earlier agreed version stays in force.
Only the employee and their leaders can see a plan.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping

from conversations import i18n, policy
from conversations.actions import (
    ButtonAction,
    EmployeeRef,
    FormState,
    PlanApprove,
    PlanChange,
    PlanChangeForm,
    PlanDownload,
    PlanFollowUp,
    PlanFollowUpForm,
    PlanHistory,
    PlanItemEdit,
    PlanItemForm,
    PlanOpen,
    PlanPropose,
    PlanRemove,
    PlanRevise,
    PlanStatus,
    StaleAction,
)
from conversations.context import Ctx
from conversations.domain import (
    ItemStatus,
    Person,
    PlanItem,
    PlanState,
    PlanVersion,
    agreed_version,
)
from conversations.flows.common import (
    Refuse,
    RoundView,
    accept,
    load_round,
    require_open,
    rounds_as_member,
    say,
)
from conversations.lifecycles import plan as lifecycle
from conversations.lifecycles.base import Effect, Refusal
from conversations.lifecycles.plan import PlanAction, PlanFacts, PlanStage, PlanTransition
from conversations.messages import (
    Attachment,
    Block,
    Button,
    DateInput,
    Divider,
    Fields,
    Form,
    FormErrors,
    Heading,
    Message,
    Note,
    Option,
    Paragraph,
    Quote,
    Reply,
    SelectInput,
    TextInput,
    ToActor,
    ToPerson,
)
from conversations.parsing import ParseError, parse_date
from conversations.reminders import (
    PLAN_FOLLOW_UP,
    follow_up_message,
    follow_up_started,
    schedule_follow_up,
)
from conversations.schedule import morning_of

FIELD_LIMIT = 1000
Values = Mapping[str, str | tuple[str, ...] | None]


class _Plan:
    """The round, the employee, who is looking, and what they read (for a read)."""

    def __init__(
        self,
        view: RoundView,
        employee: Person,
        leaders: list[Person],
        read: policy.PlanRead | None = None,
    ) -> None:
        self.view = view
        self.employee = employee
        self.leaders = leaders
        self.read = read

    @property
    def who(self) -> EmployeeRef:
        """The plan's address on a button or form: round and employee."""
        return {"round_id": self.view.round.id, "employee_id": self.employee.id}


async def _load(
    ctx: Ctx, round_id: int, employee_id: int, intent: policy.Do | policy.Read = policy.Read.PLAN
) -> _Plan:
    """The plan, if the policy lets the actor read it (`Read`) or act on it (`Do`)."""
    view = await load_round(ctx, round_id)
    found = view.round if view else None
    read = None
    if isinstance(intent, policy.Read):
        read = await policy.read_plan(
            policy.access(ctx),
            round_=found,
            round_id=round_id,
            employee_id=employee_id,
            kind=intent,
        )
    else:
        await policy.check(
            policy.access(ctx), intent, round_=found, round_id=round_id, employee_id=employee_id
        )
    assert view is not None
    if intent not in (*policy.Read, policy.Do.SET_ITEM_STATUS):
        require_open(view)  # a closed round's plans are final; their follow-up goes on
    [employee] = await ctx.tx.people.get_many(person_ids=[employee_id])
    leaders = await ctx.tx.people.get_many(person_ids=list(view.leader_ids))
    # Both parties may act at once: checks (stale buttons, signatures) and writes must see the
    # same plan, so each handler holds it for its transaction.
    await ctx.tx.plans.lock(round_id=round_id, employee_id=employee_id)
    return _Plan(view, employee, leaders, read)


async def plan_command(ctx: Ctx, rest: str) -> Reply:
    """`/mus plan`: the employee's own plan (any phase of their newest round)."""
    from conversations.flows.common import ACTIVE_PHASES

    views = await rounds_as_member(ctx, phases=ACTIVE_PHASES)
    if not views:
        raise Refuse("plan.none")
    plan = await _load(ctx, views[0].round.id, ctx.person.id)
    return await _show(ctx, plan, plan.read)


_INTENTS: dict[str, policy.Do | policy.Read] = {
    "plan.open": policy.Read.PLAN,
    "plan.download": policy.Read.DOCUMENT,
    "plan.history": policy.Read.PLAN_HISTORY,
    "plan.status": policy.Do.SET_ITEM_STATUS,
    "plan.propose": policy.Do.PROPOSE_PLAN,
    "plan.approve": policy.Do.APPROVE_PLAN,
    "plan.change": policy.Do.REQUEST_PLAN_CHANGE,
}


async def on_button(ctx: Ctx, action: ButtonAction) -> Reply:
    if not isinstance(action, PlanButton):
        return say(ctx, "error.stale_button")
    round_id, employee_id = action.round_id, action.employee_id
    intent = _INTENTS.get(action.prefix, policy.Do.EDIT_PLAN)
    plan = await _load(ctx, round_id, employee_id, intent)
    if isinstance(action, PlanOpen):
        return await _show(ctx, plan, plan.read)
    if isinstance(action, PlanDownload):
        return await _download(ctx, plan)
    if isinstance(action, PlanHistory):
        return await _history(ctx, plan)
    if isinstance(action, PlanStatus):
        return await _set_status(ctx, plan, action.item_id, action.status)
    latest = await ctx.tx.plans.latest(round_id=round_id, employee_id=employee_id)
    if isinstance(action, PlanItemEdit):
        draft = await _draft(ctx, plan, latest)
        return Reply((_item_form(ctx, plan, draft, action.item_id),))
    if isinstance(action, PlanRemove):
        draft = await _draft(ctx, plan, latest)
        item_id = action.item_id
        items = [i for i in draft.items if i.id != item_id]
        await ctx.tx.plans.update_draft(
            version_id=draft.id, items=items, follow_up_on=draft.follow_up_on
        )
        return await _show(ctx, plan)
    if isinstance(action, PlanFollowUp):
        draft = await _draft(ctx, plan, latest)
        return Reply((_follow_up_form(ctx, plan, draft),))
    if isinstance(action, PlanPropose):
        return await _propose(ctx, plan, latest, action)
    if isinstance(action, PlanApprove):
        if (
            latest is not None
            and latest.number == action.number
            and any(a.person_id == ctx.person.id for a in latest.approvals)
        ):
            return say(ctx, "plan.already_approved")  # a double click, not a changed plan
        return await _approve(ctx, plan, latest, action.number)
    if isinstance(action, PlanChange):
        accept(_decide(latest, PlanAction.REQUEST_CHANGE, current=_names(latest, action.number)))
        assert latest is not None
        return Reply((_change_form(ctx, plan, latest),))
    await _draft(ctx, plan, latest)  # PlanRevise
    return await _show(ctx, plan)


PlanButton = (
    PlanOpen
    | PlanDownload
    | PlanHistory
    | PlanStatus
    | PlanItemEdit
    | PlanRemove
    | PlanFollowUp
    | PlanPropose
    | PlanApprove
    | PlanChange
    | PlanRevise
)


async def on_form(ctx: Ctx, state: FormState, values: Values) -> Reply:
    if not isinstance(state, PlanItemForm | PlanFollowUpForm | PlanChangeForm):
        return say(ctx, "error.stale_button")
    round_id, employee_id = state.round_id, state.employee_id
    changing = isinstance(state, PlanChangeForm)
    intent = policy.Do.REQUEST_PLAN_CHANGE if changing else policy.Do.EDIT_PLAN
    plan = await _load(ctx, round_id, employee_id, intent)
    latest = await ctx.tx.plans.latest(round_id=round_id, employee_id=employee_id)
    if isinstance(state, PlanItemForm):
        return await _save_item(ctx, plan, latest, state.item_id, values)
    if isinstance(state, PlanFollowUpForm):
        draft = await _draft(ctx, plan, latest)
        raw = values.get("follow_up_on")
        try:
            day = parse_date(text=raw if isinstance(raw, str) else "", today=ctx.today)
        except ParseError as problem:
            return Reply(
                (FormErrors(errors={"follow_up_on": ctx.t(problem.key, value=problem.value)}),)
            )
        if day <= ctx.today:
            return Reply((FormErrors(errors={"follow_up_on": ctx.t("plan.error.follow_up_past")}),))
        await ctx.tx.plans.update_draft(version_id=draft.id, items=draft.items, follow_up_on=day)
        shown = await _show(ctx, plan)
        hours = ctx.settings.hours()
        if hours.is_working_day(day):
            return shown
        # A weekend or holiday is a fine date to agree on; the nudge comes on the next working day.
        nudge = morning_of(day=day, timezone=ctx.person.timezone, hours=hours)
        return shown + say(
            ctx,
            "plan.follow_up_not_working_day",
            day=i18n.format_date(ctx.locale, day),
            when=i18n.format_datetime(ctx.locale, nudge.astimezone(ctx.tz)),
        )
    if isinstance(state, PlanChangeForm):
        change = accept(
            _decide(latest, PlanAction.REQUEST_CHANGE, current=_names(latest, state.number))
        )
        raw = values.get("comment")
        comment = (raw if isinstance(raw, str) else "").strip()
        if not comment:
            return Reply((FormErrors(errors={"comment": ctx.t("error.required")}),))
        if len(comment) > FIELD_LIMIT:
            return Reply(
                (
                    FormErrors(
                        errors={
                            "comment": ctx.t(
                                "error.too_long", length=len(comment), limit=FIELD_LIMIT
                            )
                        }
                    ),
                )
            )
        await ctx.tx.plans.apply(
            round_id=round_id,
            employee_id=employee_id,
            transition=change,
            actor_id=ctx.person.id,
            at=ctx.now,
            change_request=comment,
        )
        await ctx.audit(
            action="plan.change_requested", subject=f"round:{round_id}:person:{employee_id}"
        )
        notices = tuple(
            _notice(p, plan, "plan.notice.change", who=ctx.person.display_name, comment=comment)
            for p in _others(ctx, plan)
        )
        return say(ctx, "plan.change_sent") + Reply(notices)
    return say(ctx, "error.stale_button")


# ---------------------------------------------------------------- internals


def _others(ctx: Ctx, plan: _Plan) -> list[Person]:
    """The other party: the employee for a leader; the leaders for the employee."""
    if ctx.person.id == plan.employee.id:
        return plan.leaders
    return [plan.employee]


def _awaited(plan: _Plan, latest: PlanVersion | None) -> list[Person]:
    """Whose approval a proposed version still needs: the employee's, a leader's, or both."""
    if latest is None or latest.state != PlanState.PROPOSED:
        return []
    signers = {a.person_id for a in latest.approvals}
    missing = [] if plan.employee.id in signers else [plan.employee]
    if not signers & set(plan.view.leader_ids):
        missing += plan.leaders
    return missing


def _notice(person: Person, plan: _Plan, key: str, **values: object) -> Message:
    text = i18n.t(person.locale, key, **values)
    return Message(
        to=ToPerson(person.user_id),
        text=text,
        blocks=(Paragraph(text),),
        buttons=(
            PlanOpen(**plan.who).button(i18n.t(person.locale, "plan.button.open"), style="primary"),
        ),
    )


def _decide(
    latest: PlanVersion | None, action: PlanAction, **facts: bool
) -> PlanTransition | Refusal:
    return lifecycle.decide(PlanStage.of(latest), action, PlanFacts(**facts))


def _names(latest: PlanVersion | None, number: int) -> bool:
    """The button or form was made for the newest version."""
    return latest is not None and latest.number == number


async def _may_draft(ctx: Ctx, plan: _Plan) -> bool:
    """A plan is written once the conversation is held or its booked time has passed."""
    session = await ctx.tx.prep.get_session(round_id=plan.view.round.id, person_id=plan.employee.id)
    booking = await ctx.tx.bookings.get(round_id=plan.view.round.id, employee_id=plan.employee.id)
    held = session is not None and session.conversation_held_at is not None
    past = booking is not None and booking.starts_at <= ctx.now
    return held or past


async def _draft(ctx: Ctx, plan: _Plan, latest: PlanVersion | None) -> PlanVersion:
    """The draft to edit: the latest if it is one, else a new version copying the latest."""
    may_draft = True
    if PlanStage.of(latest) in (PlanStage.NONE, PlanStage.AGREED):
        may_draft = await _may_draft(ctx, plan)
    awaited = _awaited(plan, latest)
    edit = accept(
        _decide(
            latest,
            PlanAction.EDIT,
            may_draft=may_draft,
            awaits_actor=any(p.id == ctx.person.id for p in awaited),
        ),
        other=", ".join(p.display_name for p in awaited if p.id != ctx.person.id),
    )
    if not edit.causes(Effect.NEW_DRAFT):
        assert latest is not None
        return latest
    return await ctx.tx.plans.apply(
        round_id=plan.view.round.id,
        employee_id=plan.employee.id,
        transition=edit,
        actor_id=ctx.person.id,
        at=ctx.now,
    )


def _item_form(ctx: Ctx, plan: _Plan, draft: PlanVersion, item_id: str) -> Form:
    spec = plan.view.template.plan
    existing = next((i for i in draft.items if i.id == item_id), None)
    if item_id and existing is None:
        raise StaleAction(PlanItemEdit.prefix)
    inputs: list = [
        TextInput(
            id=f.id,
            label=f.label,
            hint=f.hint,
            multiline=f.multiline,
            max_length=FIELD_LIMIT,
            initial=existing.fields.get(f.id) if existing else None,
            optional=not f.required,
        )
        for f in spec.fields
    ]
    inputs.append(
        SelectInput(
            id="waits",
            label=ctx.t("plan.waits"),
            options=(
                Option(value="no", label=ctx.t("common.no")),
                Option(value="yes", label=ctx.t("common.yes")),
            ),
            initial="yes" if existing and existing.waits_for_summary else "no",
        )
    )
    return PlanItemForm(**plan.who, item_id=item_id or "new").form(
        title=ctx.t("plan.item_title"),
        submit_label=ctx.t("plan.item_submit"),
        intro=(Note(spec.intro or spec.title),),
        inputs=tuple(inputs),
    )


async def _save_item(
    ctx: Ctx, plan: _Plan, latest: PlanVersion | None, item_id: str, values: Values
) -> Reply:
    draft = await _draft(ctx, plan, latest)
    spec = plan.view.template.plan
    errors: dict[str, str] = {}
    fields: dict[str, str] = {}
    for f in spec.fields:
        raw = values.get(f.id)
        text = (raw if isinstance(raw, str) else "").strip()
        if f.required and not text:
            errors[f.id] = ctx.t("error.required")
        elif len(text) > FIELD_LIMIT:
            errors[f.id] = ctx.t("error.too_long", length=len(text), limit=FIELD_LIMIT)
        if text:
            fields[f.id] = text
    if not fields and not errors:
        errors[spec.fields[0].id] = ctx.t("plan.error.empty_item")
    if errors:
        return Reply((FormErrors(errors=errors),))
    waits = values.get("waits") == "yes"
    items = list(draft.items)
    if item_id == "new":
        if len(items) >= spec.max_items:
            return Reply(
                (
                    FormErrors(
                        errors={
                            spec.fields[0].id: ctx.t("plan.error.too_many", limit=spec.max_items)
                        }
                    ),
                )
            )
        items.append(PlanItem(id=uuid.uuid4().hex[:8], fields=fields, waits_for_summary=waits))
    else:
        index = next((n for n, i in enumerate(items) if i.id == item_id), None)
        if index is None:
            raise StaleAction(PlanItemForm.prefix)
        items[index] = PlanItem(id=item_id, fields=fields, waits_for_summary=waits)
    await ctx.tx.plans.update_draft(
        version_id=draft.id, items=items, follow_up_on=draft.follow_up_on
    )
    return await _show(ctx, plan)


def _follow_up_form(ctx: Ctx, plan: _Plan, draft: PlanVersion) -> Form:
    return PlanFollowUpForm(**plan.who).form(
        title=ctx.t("plan.follow_up"),
        submit_label=ctx.t("prep.form.submit"),
        inputs=(
            DateInput(id="follow_up_on", label=ctx.t("plan.follow_up"), initial=draft.follow_up_on),
        ),
    )


def _change_form(ctx: Ctx, plan: _Plan, version: PlanVersion) -> Form:
    return PlanChangeForm(**plan.who, number=version.number).form(
        title=ctx.t("plan.button.change"),
        submit_label=ctx.t("plan.change_submit"),
        inputs=(
            TextInput(
                id="comment",
                label=ctx.t("plan.change_label"),
                multiline=True,
                max_length=FIELD_LIMIT,
            ),
        ),
    )


def fingerprint(version: PlanVersion) -> str:
    """A short digest of what a draft says: proposing signs exactly the content shown."""
    content = {
        "items": [
            {"id": i.id, "fields": i.fields, "waits": i.waits_for_summary} for i in version.items
        ],
        "follow_up_on": version.follow_up_on.isoformat() if version.follow_up_on else None,
    }
    encoded = json.dumps(content, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()[:16]


async def _propose(ctx: Ctx, plan: _Plan, latest: PlanVersion | None, action: PlanPropose) -> Reply:
    """Sign and send the draft, if it is still the one the button was shown with.

    The draft is edited in place by both parties; a "propose" button from an older view must
    not sign what the other party has changed since (`number:fingerprint` on the button).
    """
    current = (
        _names(latest, action.number)
        and latest is not None
        and fingerprint(latest) == action.fingerprint
    )
    complete = latest is not None and bool(latest.items) and latest.follow_up_on is not None
    proposal = accept(_decide(latest, PlanAction.PROPOSE, current=current, complete=complete))
    assert latest is not None
    await ctx.tx.plans.apply(
        round_id=plan.view.round.id,
        employee_id=plan.employee.id,
        transition=proposal,
        actor_id=ctx.person.id,
        at=ctx.now,
    )
    await ctx.audit(
        action="plan.propose",
        subject=f"round:{plan.view.round.id}:person:{plan.employee.id}",
        detail=str(latest.number),
    )
    notices = tuple(
        _notice(p, plan, "plan.notice.proposed", who=ctx.person.display_name)
        for p in _others(ctx, plan)
    )
    # The sent version replaces the draft on screen, so its old buttons cannot be pressed.
    others = ", ".join(p.display_name for p in _others(ctx, plan))
    sent = await _show(ctx, plan) + say(ctx, "plan.proposed", other=others)
    return sent + Reply(notices) + await _live(ctx, plan)


async def _approve(ctx: Ctx, plan: _Plan, latest: PlanVersion | None, number: int) -> Reply:
    """Sign the proposed version; with the employee's and a leader's signatures it is agreed."""
    signers = {a.person_id for a in latest.approvals} if latest else set()
    after = signers | {ctx.person.id}
    approval = accept(
        _decide(
            latest,
            PlanAction.APPROVE,
            current=_names(latest, number),
            actor_signed=ctx.person.id in signers,
            agreed_after=plan.employee.id in after and bool(after & set(plan.view.leader_ids)),
        )
    )
    assert latest is not None
    version = await ctx.tx.plans.apply(
        round_id=plan.view.round.id,
        employee_id=plan.employee.id,
        transition=approval,
        actor_id=ctx.person.id,
        at=ctx.now,
    )
    await ctx.audit(
        action="plan.approve",
        subject=f"round:{plan.view.round.id}:person:{plan.employee.id}",
        detail=str(version.number),
    )
    if approval.after == PlanStage.AGREED:
        if approval.causes(Effect.SCHEDULE_FOLLOW_UP) and version.follow_up_on is not None:
            await schedule_follow_up(
                tx=ctx.tx,
                round_id=plan.view.round.id,
                employee=plan.employee,
                leaders=plan.leaders,
                day=version.follow_up_on,
                hours=ctx.settings.hours(),
            )
        notices = tuple(
            _notice(p, plan, "plan.notice.agreed", who=ctx.person.display_name)
            for p in _others(ctx, plan)
        )
        return await _show(ctx, plan) + Reply(notices) + await _live(ctx, plan)
    return say(ctx, "plan.approved_waiting") + await _live(ctx, plan)


async def _live(ctx: Ctx, plan: _Plan) -> Reply:
    """Both parties' overviews, now that the plan's state changed."""
    from conversations.flows import home

    return await home.refresh(ctx, [plan.employee, *plan.leaders])


async def _set_status(ctx: Ctx, plan: _Plan, item_id: str, chosen: ItemStatus) -> Reply:
    versions = await ctx.tx.plans.versions(
        round_id=plan.view.round.id, employee_id=plan.employee.id
    )
    agreed = agreed_version(versions)
    if agreed is None or all(i.id != item_id for i in agreed.items):
        raise StaleAction(PlanStatus.prefix)
    await ctx.tx.plans.set_item_status(
        round_id=plan.view.round.id,
        employee_id=plan.employee.id,
        item_id=item_id,
        status=chosen,
        by=ctx.person.id,
        at=ctx.now,
    )
    await ctx.audit(
        action="plan.item_status",
        subject=f"round:{plan.view.round.id}:person:{plan.employee.id}",
        detail=f"{item_id}={chosen.value}",
    )
    # Once the follow-up date's nudge has gone out, a status from either party is the answer
    # to it: no further nudges (the other party's, a snoozed one) for that date.
    if agreed.follow_up_on is not None and await follow_up_started(
        tx=ctx.tx,
        round_id=plan.view.round.id,
        employee_id=plan.employee.id,
        day=agreed.follow_up_on,
    ):
        await ctx.tx.outbox.cancel_for_subject(
            round_id=plan.view.round.id, subject_id=plan.employee.id, kinds=(PLAN_FOLLOW_UP,)
        )
    number = next(n for n, i in enumerate(agreed.items, start=1) if i.id == item_id)
    seen_by_both = tuple(
        _notice(
            p,
            plan,
            "plan.notice.status",
            who=ctx.person.display_name,
            n=number,
            status=i18n.t(p.locale, f"plan.status.{chosen.value}"),
        )
        for p in _others(ctx, plan)
    )
    saved = ctx.t("plan.status_saved", status=ctx.t(f"plan.status.{chosen.value}"))
    refreshed = await follow_up_message(
        tx=ctx.tx,
        round_=plan.view.round,
        template=plan.view.template,
        recipient=ctx.person,
        employee=plan.employee,
        now=ctx.now,
    )
    if refreshed is None:
        return say(ctx, "plan.status_saved", status=ctx.t(f"plan.status.{chosen.value}")) + Reply(
            seen_by_both
        )
    # The other party's copy: their follow-up with the new status, and who set it (a short
    # notice where they have no follow-up to show).
    theirs: list[Message] = []
    for other, notice in zip(_others(ctx, plan), seen_by_both, strict=True):
        copy = await follow_up_message(
            tx=ctx.tx,
            round_=plan.view.round,
            template=plan.view.template,
            recipient=other,
            employee=plan.employee,
            now=ctx.now,
        )
        if copy is None:
            theirs.append(notice)
            continue
        told = notice.text  # who set which item to what, in the other party's language
        theirs.append(
            Message(
                to=ToPerson(other.user_id),
                text=told,
                blocks=(Note(told), *copy.blocks),
                buttons=copy.buttons,
            )
        )
    from conversations.flows import home

    live = await home.refresh(ctx, [plan.employee, *plan.leaders])
    # The reminder the button sat on shows the new status (updated in place where possible).
    return (
        live
        + Reply(tuple(theirs))
        + Reply(
            (
                Message(
                    to=ToActor(),
                    text=saved,
                    blocks=(Note(saved), *refreshed.blocks),
                    buttons=refreshed.buttons,
                    replaces=ctx.event.context.message_ref,
                ),
            )
        )
    )


def version_blocks(
    ctx: Ctx,
    plan: _Plan,
    version: PlanVersion,
    people: Mapping[int, Person],
    progress: Mapping[str, ItemStatus],
) -> list[Block]:
    spec = plan.view.template.plan
    blocks: list[Block] = [
        Heading(
            ctx.t(
                "plan.version_title",
                title=spec.title,
                n=version.number,
                state=ctx.t(f"plan.state.{version.state.value}"),
            )
        )
    ]
    for n, item in enumerate(version.items, start=1):
        label = ctx.t("plan.item_label", n=n)
        if item.waits_for_summary:
            label += f" · {ctx.t('plan.waits_short')}"
        if item.id in progress:
            label += f" · {ctx.t(f'plan.status.{progress[item.id].value}')}"
        blocks.append(Fields(tuple((f.label, item.fields.get(f.id, "–")) for f in spec.fields)))
        blocks.insert(len(blocks) - 1, Paragraph(label))
    if not version.items:
        blocks.append(Note(ctx.t("plan.no_items")))
    follow = i18n.format_date(ctx.locale, version.follow_up_on) if version.follow_up_on else "–"
    blocks.append(Fields(((ctx.t("plan.follow_up"), follow),)))
    for approval in version.approvals:
        who = people[approval.person_id].display_name if approval.person_id in people else "?"
        when = i18n.format_datetime(ctx.locale, approval.at.astimezone(ctx.tz))
        blocks.append(Note(ctx.t("plan.signed", who=who, when=when)))
    if version.change_request:
        blocks.append(Quote(version.change_request, label=ctx.t("plan.change_label")))
    return blocks


async def _show(ctx: Ctx, plan: _Plan, read: policy.PlanRead | None = None) -> Reply:
    """The plan as it stands, with the actions its state allows (read through the policy)."""
    if read is None:
        read = await policy.read_plan(
            policy.access(ctx),
            round_=plan.view.round,
            round_id=plan.view.round.id,
            employee_id=plan.employee.id,
        )
    latest = read.latest
    who = plan.who
    people = {p.id: p for p in (plan.employee, *plan.leaders)}
    blocks: list[Block] = [Heading(ctx.t("plan.title", name=plan.employee.display_name))]
    buttons: list[Button] = []
    if latest is None:
        blocks.append(Paragraph(ctx.t("plan.empty")))
        buttons.append(PlanItemEdit(**who).button(ctx.t("plan.button.add"), style="primary"))
    else:
        progress = {k: v.status for k, v in read.progress.items()}
        blocks += version_blocks(ctx, plan, latest, people, progress)
        if latest.state == PlanState.DRAFT:
            if latest.number > 1:
                # A draft made from a request for a change shows what was asked for.
                versions = read.versions
                asked = versions[-2].change_request if len(versions) > 1 else None
                if asked:
                    blocks.append(Quote(asked, label=ctx.t("plan.change_label")))
            blocks.append(Note(ctx.t("plan.draft_hint")))
            buttons.append(PlanItemEdit(**who).button(ctx.t("plan.button.add")))
            for n, item in enumerate(latest.items, start=1):
                buttons.append(
                    PlanItemEdit(**who, item_id=item.id).button(ctx.t("plan.button.edit_item", n=n))
                )
                buttons.append(
                    PlanRemove(**who, item_id=item.id).button(
                        ctx.t("plan.button.remove_item", n=n), style="danger"
                    )
                )
            buttons.append(PlanFollowUp(**who).button(ctx.t("plan.button.follow_up")))
            buttons.append(
                PlanPropose(**who, number=latest.number, fingerprint=fingerprint(latest)).button(
                    ctx.t("plan.button.propose"), style="primary"
                )
            )
        elif latest.state == PlanState.PROPOSED:
            if any(a.person_id == ctx.person.id for a in latest.approvals):
                awaited = _awaited(plan, latest) or _others(ctx, plan)
                others = ", ".join(p.display_name for p in awaited)
                blocks.append(Note(ctx.t("plan.waiting_for", other=others)))
            else:
                blocks.append(Note(ctx.t("plan.approve_hint")))
                buttons.append(
                    PlanApprove(**who, number=latest.number).button(
                        ctx.t("plan.button.approve"), style="primary"
                    )
                )
                buttons.append(
                    PlanChange(**who, number=latest.number).button(ctx.t("plan.button.change"))
                )
        elif latest.state == PlanState.AGREED:
            blocks.append(Note(ctx.t("plan.agreed_hint")))
            buttons.append(PlanRevise(**who).button(ctx.t("plan.button.revise")))
        buttons.append(PlanDownload(**who).button(ctx.t("plan.button.download")))
        if latest.number > 1:
            buttons.append(PlanHistory(**who).button(ctx.t("plan.button.history")))
    blocks.append(Note(ctx.t("plan.confidential")))
    return Reply(
        (
            Message(
                to=ToActor(),
                text=ctx.t("plan.title", name=plan.employee.display_name),
                blocks=tuple(blocks),
                buttons=tuple(buttons),
                replaces=ctx.event.context.message_ref,
            ),
        )
    )


async def _history(ctx: Ctx, plan: _Plan) -> Reply:
    assert plan.read is not None  # read (and audited) as PLAN_HISTORY by `_load`
    versions = plan.read.versions
    people = {p.id: p for p in (plan.employee, *plan.leaders)}
    blocks: list[Block] = [Heading(ctx.t("plan.history_title", name=plan.employee.display_name))]
    for version in versions:
        blocks += version_blocks(ctx, plan, version, people, {})
        blocks.append(Divider())
    return Reply(
        (
            Message(
                to=ToActor(),
                text=ctx.t("plan.history_title", name=plan.employee.display_name),
                blocks=tuple(blocks),
            ),
        )
    )


async def _download(ctx: Ctx, plan: _Plan) -> Reply:
    """The plan as a PDF and as plain text, every version with its signatures."""
    from conversations.plan_document import render_pdf, render_text

    assert plan.read is not None  # read (and audited) as DOCUMENT by `_load`
    versions, progress = plan.read.versions, plan.read.progress
    people = {p.id: p for p in (plan.employee, *plan.leaders)}
    document = dict(
        locale=ctx.locale,
        tz=ctx.tz,
        template=plan.view.template,
        employee=plan.employee,
        versions=versions,
        people=people,
        progress={k: v.status for k, v in progress.items()},
        kerneopgave=plan.view.round.kerneopgave,
    )
    text = render_text(**document)  # type: ignore[arg-type]
    pdf = render_pdf(**document)  # type: ignore[arg-type]
    name = ctx.t("plan.filename")
    return Reply(
        (
            Message(
                to=ToActor(),
                text=ctx.t("plan.download_ready"),
                blocks=(Paragraph(ctx.t("plan.download_ready")),),
                attachments=(
                    Attachment(
                        filename=name,
                        content=text.encode("utf-8"),
                        mime_type="text/plain; charset=utf-8",
                        title=name,
                    ),
                    Attachment(
                        filename=name.rsplit(".", 1)[0] + ".pdf",
                        content=pdf,
                        mime_type="application/pdf",
                        title=name.rsplit(".", 1)[0] + ".pdf",
                    ),
                ),
            ),
        )
    )
