"""Saving the adapted form, sub-groups, texts and templates; releasing preparation; the
one gentle message about a new question."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from conversations import i18n, policy
from conversations.actions import AdaptApprove, PrepGoto
from conversations.context import Ctx
from conversations.domain import Person, PrepStatus, Round
from conversations.flows import forms
from conversations.flows.adapt_views import TEXT_LIMIT, overview
from conversations.flows.common import (
    Refuse,
    RoundView,
    say,
)
from conversations.flows.forms import (
    BASE,
    anyone_started,
    audience,
)
from conversations.messages import (
    BulletList,
    FormErrors,
    Message,
    Note,
    Paragraph,
    Quote,
    Reply,
    ToPerson,
)
from conversations.parsing import ParseError, parse_date
from conversations.reminders import PREP_RELEASE, release_key
from conversations.schedule import morning_of
from conversations.templates.model import NAME_MAX, SLUG_PATTERN, Template
from conversations.templates.stored import FormGroup, RoundForm, Scope, Status

Values = Mapping[str, str | tuple[str, ...] | None]


async def store(
    ctx: Ctx, view: RoundView, form: RoundForm, key: str, template: Template
) -> RoundForm:
    data = template.model_dump(mode="json")
    if key == BASE:
        await ctx.tx.rounds.set_template(round_id=view.round.id, template=data)
    else:
        group = form.group(key)
        assert group is not None
        form = form.with_group(replace(group, template=data))
    form = form.with_ids(forms.question_ids(data))
    await ctx.tx.round_forms.save(form=form)
    return form


async def save_texts(ctx: Ctx, view: RoundView, form: RoundForm, key: str, values: Values) -> Reply:
    errors: dict[str, str] = {}
    texts: dict[str, str] = {}
    for field in ("kerneopgave", "udviklingsmaal"):
        text = str(values.get(field) or "").strip()
        if not text:
            errors[field] = ctx.t("error.required")
        elif len(text) > TEXT_LIMIT:
            errors[field] = ctx.t("error.too_long", length=len(text), limit=TEXT_LIMIT)
        texts[field] = text
    if errors:
        return Reply((FormErrors(errors=errors),))
    await ctx.tx.rounds.set_texts(
        round_id=view.round.id,
        kerneopgave=texts["kerneopgave"],
        udviklingsmaal=texts["udviklingsmaal"],
    )
    await ctx.audit(action="round.adapt", subject=f"round:{view.round.id}", detail="texts")
    round_ = replace(
        view.round, kerneopgave=texts["kerneopgave"], udviklingsmaal=texts["udviklingsmaal"]
    )
    invitations = await refresh_invitations(ctx, round_, form, view.member_ids)
    return (
        say(ctx, "adapt.texts_saved")
        + Reply(invitations)
        + overview(ctx, replace(view, round=round_), form, key)
    )


async def save_groups(
    ctx: Ctx, view: RoundView, form: RoundForm, key: str, values: Values
) -> Reply:
    if not forms.is_held(form, ctx.today) and await anyone_started(ctx, view):
        raise Refuse("adapt.groups_too_late")
    name = str(values.get("name") or "").strip()
    choice = {
        m: str(values.get(f"member-{m}") or (g.key if (g := form.group_of(m)) else BASE))
        for m in view.member_ids
    }
    valid = {BASE, "new", *(g.key for g in form.groups)}
    errors = {
        f"member-{m}": ctx.t("adapt.error.choice") for m, c in choice.items() if c not in valid
    }
    if "new" in choice.values() and not name:
        errors["name"] = ctx.t("adapt.groups.name_needed")
    if name and any(g.name.casefold() == name.casefold() for g in form.groups):
        errors["name"] = ctx.t("adapt.groups.name_taken")
    if errors:
        return Reply((FormErrors(errors=errors),))
    groups: list[FormGroup] = []
    for group in form.groups:
        members = tuple(m for m in view.member_ids if choice[m] == group.key)
        if members:
            groups.append(replace(group, member_ids=members))
    new_members = tuple(m for m in view.member_ids if choice[m] == "new")
    if new_members:
        n = 1
        while any(g.key == f"g{n}" for g in form.groups):
            n += 1
        groups.append(
            FormGroup(
                key=f"g{n}",
                name=name,
                member_ids=new_members,
                template=view.template.model_dump(mode="json"),  # starts as the team's form
            )
        )
    before = form
    form = replace(form, groups=tuple(groups))
    await ctx.tx.round_forms.save(form=form)
    moved = [
        m
        for m in view.member_ids
        if len(forms.template_for(view.round, before, m).steps())
        != len(forms.template_for(view.round, form, m).steps())
    ]
    invitations = await refresh_invitations(ctx, view.round, form, moved)
    await ctx.audit(
        action="round.adapt", subject=f"round:{view.round.id}", detail=f"groups={len(groups)}"
    )
    shown = groups[-1].key if new_members else (key if form.group(key) or key == BASE else BASE)
    return (
        say(ctx, "adapt.groups_saved", count=len(groups))
        + Reply(invitations)
        + overview(ctx, view, form, shown)
    )


async def save_as_template(ctx: Ctx, template: Template, values: Values) -> Reply:
    """The adapted form as the leader's own template. Offered to the organisation, it waits
    for an admin: each admin gets a message to approve it (or `musbot templates approve`)."""
    name = str(values.get("name") or "").strip().lower()
    title = str(values.get("title") or "").strip()
    errors: dict[str, str] = {}
    if not re.fullmatch(SLUG_PATTERN.strip("^$"), name) or len(name) > NAME_MAX:
        errors["name"] = ctx.t("adapt.save.bad_name")
    elif name in ctx.templates.names():
        errors["name"] = ctx.t("adapt.save.name_taken")
    else:
        existing = await ctx.tx.templates.latest(name=name)
        if existing is not None and existing.owner_id != ctx.person.id:
            errors["name"] = ctx.t("adapt.save.name_taken")
    if not title:
        errors["title"] = ctx.t("error.required")
    if errors:
        return Reply((FormErrors(errors=errors),))
    offer = values.get("offer") == "yes"
    data = template.model_dump(mode="json") | {"name": name, "title": title}
    stored = await ctx.tx.templates.add(
        name=name,
        data=Template.model_validate(data).model_dump(mode="json"),
        source_text=None,
        scope=Scope.OWN,
        status=Status.PENDING if offer else Status.ACTIVE,
        owner_id=ctx.person.id,
        at=ctx.now,
    )
    await ctx.audit(
        action="template.save",
        subject=f"template:{stored.name}",
        detail=f"version {stored.version}{' offered' if offer else ''}",
    )
    if not offer:
        return say(ctx, "adapt.save.done", name=name)
    notices = tuple(
        _approval_request(admin, leader=ctx.person, template=stored.template())
        for admin in await _admins(ctx)
    )
    return say(ctx, "adapt.save.offered", name=name) + Reply(notices)


async def _admins(ctx: Ctx) -> list[Person]:
    """The workspace's admins: those the platform says are, and those configured."""
    return await policy.admins(
        ctx.tx, workspace_id=ctx.workspace.id, configured=ctx.settings.configured_admins
    )


def _approval_request(admin: Person, *, leader: Person, template: Template) -> Message:
    loc = admin.locale
    text = i18n.t(loc, "adapt.approve.request", leader=leader.display_name, title=template.title)
    return Message(
        to=ToPerson(admin.user_id),
        text=text,
        blocks=(
            Paragraph(text),
            BulletList(tuple(t.title for t in template.themes)),
            Note(i18n.t(loc, "adapt.approve.note", count=len(template.steps()))),
        ),
        buttons=(
            AdaptApprove(name=template.name).button(
                i18n.t(loc, "adapt.approve.button"), style="primary"
            ),
        ),
    )


async def approve_template(ctx: Ctx, name: str) -> Reply:
    """Only an admin offers a leader's template to the whole organisation."""
    await policy.govern(ctx, policy.Govern.APPROVE_TEMPLATE, refusal="error.not_allowed")
    latest = await ctx.tx.templates.latest(name=name)
    if latest is None or latest.status != Status.PENDING:
        return say(ctx, "adapt.approve.not_pending")
    await ctx.tx.templates.set_status(name=name, status=Status.ACTIVE, scope=Scope.ORG)
    await ctx.audit(action="template.approve", subject=f"template:{name}")
    owner = await ctx.tx.people.get(person_id=latest.owner_id) if latest.owner_id else None
    told: tuple[Message, ...] = ()
    title = str(latest.data.get("title", name))
    if owner is not None and owner.id != ctx.person.id:
        text = i18n.t(owner.locale, "adapt.approve.owner", title=title)
        told = (Message(to=ToPerson(owner.user_id), text=text, blocks=(Paragraph(text),)),)
    return say(ctx, "adapt.approve.done", title=title) + Reply(told)


async def release(ctx: Ctx, view: RoundView, form: RoundForm) -> Reply:
    """Send preparation out now: each member gets the invitation for their own form."""
    from conversations.flows.kickoff import member_dm

    if not form.held:
        return say(ctx, "adapt.already_released")
    form = replace(form, held=False, released_at=ctx.now)
    await ctx.tx.round_forms.save(form=form)
    people = await ctx.tx.people.get_many(person_ids=list(view.member_ids))
    for person in people:
        await ctx.tx.outbox.cancel(key=release_key(view.round.id, person.id))
    await ctx.audit(action="round.release", subject=f"round:{view.round.id}")
    invitations = tuple(
        member_dm(
            ctx,
            round_=view.round,
            member=person,
            template=forms.template_for(view.round, form, person.id),
        )
        for person in people
    )
    return Reply(invitations) + say(ctx, "adapt.released_now", count=len(people))


async def set_release_on(
    ctx: Ctx, view: RoundView, form: RoundForm, key: str, values: Values
) -> Reply:
    try:
        day = parse_date(text=str(values.get("day") or ""), today=ctx.today)
    except ParseError as problem:
        return Reply((FormErrors(errors={"day": ctx.t(problem.key, value=problem.value)}),))
    if day <= ctx.today:
        return Reply((FormErrors(errors={"day": ctx.t("adapt.release_on.future")}),))
    if day > view.round.prep_deadline:
        return Reply((FormErrors(errors={"day": ctx.t("adapt.release_on.after_deadline")}),))
    form = replace(form, held=True, release_on=day)
    await ctx.tx.round_forms.save(form=form)
    for person in await ctx.tx.people.get_many(person_ids=list(view.member_ids)):
        await ctx.tx.outbox.schedule(
            key=release_key(view.round.id, person.id),
            kind=PREP_RELEASE,
            round_id=view.round.id,
            recipient_id=person.id,
            subject_id=person.id,
            due_at=morning_of(day=day, timezone=person.timezone, hours=ctx.settings.hours()),
        )
    await ctx.audit(
        action="round.release_on", subject=f"round:{view.round.id}", detail=day.isoformat()
    )
    return say(ctx, "adapt.release_on.saved", day=i18n.format_date(ctx.locale, day)) + (
        overview(ctx, view, form, key)
    )


async def refresh_invitations(
    ctx: Ctx,
    round_: Round,
    form: RoundForm,
    person_ids: Sequence[int],
    *,
    template: Template | None = None,
) -> tuple[Message, ...]:
    """Invitations already sent to members who have not started yet show the form as it is
    now (its question count, the core task): updated in place, never sent again.

    `template` is the form these people meet, when the caller has just changed it (the
    round's own copy may not be re-read yet); otherwise each person's own form is used.
    """
    from conversations.flows.kickoff import invitation

    if forms.is_held(form, ctx.today):
        return ()  # no invitation is out yet; the one sent at release will be right
    started = {
        s.person_id
        for s in await ctx.tx.prep.sessions(round_id=round_.id)
        if s.status != PrepStatus.NOT_STARTED
    }
    waiting = [p for p in person_ids if p not in started]
    if not waiting:
        return ()
    leader = await ctx.tx.people.get(person_id=round_.started_by)
    out: list[Message] = []
    for person in await ctx.tx.people.get_many(person_ids=waiting):
        updated = invitation(
            round_=round_,
            member=person,
            template=template or forms.template_for(round_, form, person.id),
            leader_name=leader.display_name if leader else "",
        )
        out.append(replace(updated, replaces_key=updated.key, update_only=True))
    return tuple(out)


async def notify_new(
    ctx: Ctx,
    view: RoundView,
    form: RoundForm,
    key: str,
    template: Template,
    question_id: str,
) -> tuple[Message, ...]:
    """A question added after someone shared reaches them once, gently, with a button to it."""
    if forms.is_held(form, ctx.today):
        return ()
    steps = template.steps()
    index = next((i for i, s in enumerate(steps) if s.question.id == question_id), None)
    if index is None:
        return ()
    step = steps[index]
    out: list[Message] = []
    shared = {
        s.person_id
        for s in await ctx.tx.prep.sessions(round_id=view.round.id)
        if s.status == PrepStatus.SHARED and s.conversation_held_at is None
    }
    reached = [m for m in audience(view, form, key) if m in shared]
    for person in await ctx.tx.people.get_many(person_ids=reached):
        out.append(_new_question_dm(person, view, index, step.id, step.question.text))
    return tuple(out)


def _new_question_dm(
    person: Person, view: RoundView, index: int, step_id: str, text: str
) -> Message:
    loc = person.locale
    intro = i18n.t(loc, "adapt.new_question")
    return Message(
        to=ToPerson(person.user_id),
        text=intro,
        blocks=(Paragraph(intro), Quote(text), Note(i18n.t(loc, "adapt.new_question_note"))),
        buttons=(
            PrepGoto(round_id=view.round.id, index=index, step=step_id).button(
                i18n.t(loc, "adapt.button.answer_new"), style="primary"
            ),
        ),
    )
