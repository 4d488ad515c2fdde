"""`/mus start`: a leader opens a round for a team; the channel gets the kickoff, members a DM.

The form is validated here, not in the adapters, so every platform refuses the same bad
dates with the same words. A team has at most one active round: a double-submitted form
(or a second leader in the same channel) gets a clear message, not a second round.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta

from conversations import i18n, policy
from conversations.actions import (
    AdaptOpen,
    ButtonAction,
    FormState,
    PrepOpen,
    RoundKickoffResend,
    RoundStart,
    RoundStartForm,
    StatusShow,
)
from conversations.context import Ctx
from conversations.domain import Person, Round, Team
from conversations.events import Actor
from conversations.flows.common import ACTIVE_PHASES, command_prefix, option_label, say
from conversations.flows.forms import new_form
from conversations.messages import (
    BulletList,
    ChannelInput,
    DateInput,
    DateTimeInput,
    Fields,
    FormErrors,
    Heading,
    Message,
    Note,
    Option,
    Paragraph,
    PeopleInput,
    Quote,
    Reply,
    SelectInput,
    TextInput,
    ToActor,
    ToChannel,
    ToPerson,
)
from conversations.parsing import ParseError, parse_date, parse_datetime
from conversations.ports import ChannelInfo, DeliveryError
from conversations.reminders import schedule_prep_nudges, schedule_unclosed_flag
from conversations.templates.model import Template
from conversations.templates.offer import offered_templates

FORM_ID = RoundStartForm.prefix
TEXT_LIMIT = 3000

Values = Mapping[str, str | tuple[str, ...] | None]


async def open_start_form(ctx: Ctx, rest: str) -> Reply:
    """The round form; only people allowed to lead get it."""
    await policy.govern(
        ctx, policy.Govern.START_ROUND, refusal="start.not_allowed", mus=command_prefix(ctx)
    )
    today = ctx.today
    channel = ctx.event.context.channel_id if not ctx.event.context.is_direct else None
    offered = await _offered(ctx)
    names = list(offered)
    default_template = "kk-buf" if ctx.locale == "da" else "generic"
    options = tuple(
        Option(value=name, label=option_label(f"{template.title} ({name})"))
        for name, template in offered.items()
    )
    form = RoundStartForm().form(
        title=ctx.t("start.form.title"),
        submit_label=ctx.t("start.form.submit"),
        intro=(Paragraph(ctx.t("start.form.intro")),),
        inputs=(
            ChannelInput(id="channel", label=ctx.t("start.form.channel"), initial=channel),
            PeopleInput(
                id="members",
                label=ctx.t("start.form.members"),
                hint=ctx.t("start.form.members_hint"),
                optional=True,
                exclude=(ctx.person.user_id,),
            ),
            SelectInput(
                id="template",
                label=ctx.t("start.form.template"),
                options=options,
                initial=default_template
                if default_template in names
                else (names[0] if names else None),
            ),
            SelectInput(
                id="release",
                label=ctx.t("adapt.start.release"),
                options=(
                    Option(value="now", label=ctx.t("adapt.start.now")),
                    Option(value="later", label=ctx.t("adapt.start.later")),
                ),
                initial="now",
            ),
            TextInput(
                id="kerneopgave",
                label=ctx.t("start.form.kerneopgave"),
                hint=ctx.t("start.form.kerneopgave_hint"),
                multiline=True,
                max_length=TEXT_LIMIT,
            ),
            TextInput(
                id="udviklingsmaal",
                label=ctx.t("start.form.udviklingsmaal"),
                hint=ctx.t("start.form.udviklingsmaal_hint"),
                multiline=True,
                max_length=TEXT_LIMIT,
            ),
            DateTimeInput(id="kickoff_at", label=ctx.t("start.form.kickoff_at"), optional=True),
            DateInput(
                id="prep_deadline",
                label=ctx.t("start.form.prep_deadline"),
                initial=today + timedelta(days=14),
            ),
            DateInput(
                id="conversations_from",
                label=ctx.t("start.form.conversations_from"),
                initial=today + timedelta(days=14),
            ),
            DateInput(
                id="conversations_to",
                label=ctx.t("start.form.conversations_to"),
                initial=today + timedelta(days=42),
            ),
            DateTimeInput(id="summary_at", label=ctx.t("start.form.summary_at"), optional=True),
        ),
    )
    return Reply((form,))


async def on_button(ctx: Ctx, action: ButtonAction) -> Reply:
    if isinstance(action, RoundStart):
        return await open_start_form(ctx, "")
    if isinstance(action, RoundKickoffResend):
        return await _resend(ctx, action.round_id)
    return say(ctx, "error.stale_button")


def _not_member(ctx: Ctx, name: str) -> str:
    """Why the round cannot start yet, with the channel's name and how to add the bot here."""
    how = ctx.t(f"start.error.add_bot.{ctx.event.actor.platform}", channel=name)
    return ctx.t("start.error.not_member", channel=name, how=how)


def _announce(
    ctx: Ctx,
    *,
    round_: Round,
    team: Team,
    template: Template,
    where: ChannelInfo | None,
    confirmation: Message | None = None,
) -> Message:
    """The kickoff post, carrying what the leader is told when it reached the channel or not.

    One message to the leader either way: the round's confirmation (if any) with one line that
    says truthfully where the kickoff stands, and on failure the button that sends it again.
    """
    name = where.name if where is not None else (team.channel_id or "")
    post = kickoff_post(ctx, round_=round_, team=team, template=template)
    sent = Paragraph(ctx.t("start.kickoff_sent", channel=name))
    failed = Paragraph(ctx.t("start.kickoff_failed", channel=name))
    resend = RoundKickoffResend(round_id=round_.id).button(
        ctx.t("start.button.resend"), style="primary"
    )
    base = confirmation or Message(to=ToActor(), text=sent.text)
    return replace(
        post,
        on_sent=replace(base, blocks=(*base.blocks, sent)),
        on_failure=replace(
            base,
            text=failed.text,
            blocks=(failed, *base.blocks),
            buttons=(resend, *base.buttons),
        ),
    )


async def _resend(ctx: Ctx, round_id: int) -> Reply:
    """Post the kickoff again (the bot was added to the channel after the round started)."""
    round_ = await ctx.tx.rounds.get(round_id=round_id)
    if round_ is None:
        return say(ctx, "error.stale_button")
    await policy.check(
        policy.access(ctx),
        policy.Do.RESEND_KICKOFF,
        round_=round_,
        round_id=round_id,
        employee_id=None,
    )
    team = await ctx.tx.teams.get(team_id=round_.team_id)
    if team is None or not team.channel_id:
        return say(ctx, "error.stale_button")
    template = Template.model_validate(round_.template)
    where = await ctx.directory.channel_info(channel_id=team.channel_id)
    await ctx.audit(action="round.kickoff.resend", subject=f"round:{round_.id}")
    return Reply((_announce(ctx, round_=round_, team=team, template=template, where=where),))


async def on_form(ctx: Ctx, state: FormState, values: Values) -> Reply:
    if not isinstance(state, RoundStartForm):
        return say(ctx, "error.stale_button")
    await policy.govern(
        ctx, policy.Govern.START_ROUND, refusal="start.not_allowed", mus=command_prefix(ctx)
    )
    offered = await _offered(ctx)
    parsed = _validate(ctx, values, names=list(offered))
    if isinstance(parsed, FormErrors):
        return Reply((parsed,))
    template = offered[parsed.template_name]

    where = await ctx.directory.channel_info(channel_id=parsed.channel)
    if where is not None and not where.bot_is_member:
        return Reply((FormErrors(errors={"channel": _not_member(ctx, where.name)}),))
    members, error = await _members(ctx, parsed)
    if error is not None:
        return Reply((error,))
    team = await ctx.tx.teams.get_by_channel(
        workspace_id=ctx.workspace.id, channel_id=parsed.channel
    )
    if team is not None:
        for existing in await ctx.tx.rounds.for_team(team_id=team.id):
            if existing.phase in ACTIVE_PHASES:
                return Reply((FormErrors(errors={"channel": ctx.t("start.error.active_round")}),))
        # The channel's team shows who ran its latest round; each round keeps its own people.
        team = await ctx.tx.teams.update(
            team_id=team.id, leader_ids=[ctx.person.id], member_ids=[m.id for m in members]
        )
    else:
        team = await ctx.tx.teams.create(
            workspace_id=ctx.workspace.id,
            name=parsed.channel,
            channel_id=parsed.channel,
            leader_ids=[ctx.person.id],
            member_ids=[m.id for m in members],
        )
    created = await ctx.tx.rounds.create(
        team_id=team.id,
        template_name=template.name,
        template=template.model_dump(mode="json"),
        kerneopgave=parsed.kerneopgave,
        udviklingsmaal=parsed.udviklingsmaal,
        kickoff_at=parsed.kickoff_at,
        prep_deadline=parsed.prep_deadline,
        conversations_from=parsed.conversations_from,
        conversations_to=parsed.conversations_to,
        summary_at=parsed.summary_at,
        started_by=ctx.person.id,
        created_at=ctx.now,
        leader_ids=[ctx.person.id],
        member_ids=[m.id for m in members],
    )
    await schedule_prep_nudges(
        tx=ctx.tx, round_=created, people=members, now=ctx.now, hours=ctx.settings.hours()
    )
    admins = await _admins(ctx)
    await schedule_unclosed_flag(
        tx=ctx.tx,
        round_=created,
        people=[ctx.person, *(a for a in admins if a.id != ctx.person.id)],
        hours=ctx.settings.hours(),
    )
    await ctx.audit(
        action="round.start", subject=f"round:{created.id}", detail=f"members={len(members)}"
    )
    held = _text(values, "release") == "later"
    if held:
        # The team adapts the form first; the leader releases it (`tilpas`).
        await ctx.tx.round_forms.save(form=replace(new_form(created), held=True))
        dms = tuple(soon_dm(ctx, round_=created, member=m) for m in members)
        confirmation = _held_confirmation(ctx, round_=created, members=members)
    else:
        dms = tuple(member_dm(ctx, round_=created, member=m, template=template) for m in members)
        confirmation = _confirmation(ctx, round_=created, team=team, members=members)
    from conversations.flows import home  # home shows round facts from here

    return Reply(
        (
            _announce(
                ctx,
                round_=created,
                team=team,
                template=template,
                where=where,
                confirmation=confirmation,
            ),
            *dms,
        )
    ) + await home.refresh(ctx, [ctx.person])  # the leader's overview now shows the round


def _held_confirmation(ctx: Ctx, *, round_: Round, members: list[Person]) -> Message:
    names = ", ".join(m.display_name for m in members)
    text = ctx.t("adapt.start.held_done", count=len(members))
    return Message(
        to=ToActor(),
        text=text,
        blocks=(Heading(ctx.t("start.done_title")), Paragraph(text), Note(names)),
        buttons=(
            AdaptOpen(round_id=round_.id).button(ctx.t("adapt.button.open"), style="primary"),
        ),
    )


class _Parsed:
    def __init__(self) -> None:
        self.channel = ""
        self.member_ids: tuple[str, ...] = ()
        self.template_name = ""
        self.kerneopgave = ""
        self.udviklingsmaal = ""
        self.kickoff_at: datetime | None = None
        self.prep_deadline = date.min
        self.conversations_from = date.min
        self.conversations_to = date.min
        self.summary_at: datetime | None = None


def _text(values: Values, key: str) -> str:
    value = values.get(key)
    if isinstance(value, tuple):
        return value[0] if value else ""
    return (value or "").strip()


async def _offered(ctx: Ctx) -> dict[str, Template]:
    """Built-in and directory templates, the organisation's and the leader's own."""
    return await offered_templates(
        repo=ctx.tx.templates, library=ctx.templates, person_id=ctx.person.id, language=ctx.locale
    )


def _validate(ctx: Ctx, values: Values, *, names: list[str]) -> _Parsed | FormErrors:
    """Every field checked; all problems reported at once, next to their inputs."""
    errors: dict[str, str] = {}
    out = _Parsed()
    out.channel = _text(values, "channel")
    if not out.channel:
        errors["channel"] = ctx.t("start.error.channel")
    raw_members = values.get("members")
    if isinstance(raw_members, tuple):
        out.member_ids = tuple(m for m in raw_members if m)
    elif raw_members:
        out.member_ids = tuple(m.strip() for m in raw_members.split(",") if m.strip())
    out.template_name = _text(values, "template")
    if out.template_name not in names:
        errors["template"] = ctx.t("start.error.template")
    for key in ("kerneopgave", "udviklingsmaal"):
        text = _text(values, key)
        if not text:
            errors[key] = ctx.t("error.required")
        elif len(text) > TEXT_LIMIT:
            errors[key] = ctx.t("error.too_long", length=len(text), limit=TEXT_LIMIT)
        setattr(out, key, text)
    today = ctx.today
    for key in ("prep_deadline", "conversations_from", "conversations_to"):
        try:
            setattr(out, key, parse_date(text=_text(values, key), today=today))
        except ParseError as problem:
            errors[key] = ctx.t(problem.key, value=problem.value)
    for key in ("kickoff_at", "summary_at"):
        raw = _text(values, key)
        if not raw:
            continue
        try:
            local = parse_datetime(text=raw, today=today)
        except ParseError as problem:
            errors[key] = ctx.t(problem.key, value=problem.value)
            continue
        setattr(out, key, local.replace(tzinfo=ctx.tz))
    if not errors:
        if out.prep_deadline < today:
            errors["prep_deadline"] = ctx.t("start.error.past")
        if out.conversations_to < out.conversations_from:
            errors["conversations_to"] = ctx.t("start.error.period")
        if out.prep_deadline > out.conversations_to:
            errors["prep_deadline"] = ctx.t("start.error.deadline_after_period")
        if out.summary_at is not None and out.summary_at.date() < out.conversations_from:
            errors["summary_at"] = ctx.t("start.error.summary_before")
    return FormErrors(errors=errors) if errors else out


async def _members(ctx: Ctx, parsed: _Parsed) -> tuple[list[Person], FormErrors | None]:
    """The chosen people, or the channel's human members; never the leader themself."""
    actors: list[Actor] = []
    if parsed.member_ids:
        for user_id in parsed.member_ids:
            found = await ctx.directory.lookup(user_id=user_id)
            actors.append(
                found
                or Actor(
                    platform=ctx.event.actor.platform,
                    workspace_id=ctx.workspace.external_id,
                    user_id=user_id,
                )
            )
    else:
        try:
            actors = await ctx.directory.channel_members(channel_id=parsed.channel)
        except DeliveryError as error:
            reason = i18n.t(ctx.locale, f"delivery.reason.{error.kind}")
            return [], FormErrors(
                errors={"channel": ctx.t("start.error.channel_members", reason=reason)}
            )
    people: list[Person] = []
    for actor in actors:
        if actor.user_id == ctx.person.user_id:
            continue
        people.append(
            await ctx.tx.people.upsert(
                workspace_id=ctx.workspace.id,
                user_id=actor.user_id,
                display_name=actor.display_name,
                locale=i18n.language(actor.locale) if actor.locale else None,
                timezone=actor.timezone,
                is_admin=actor.is_admin,
            )
        )
    if not people:
        key = "members" if parsed.member_ids else "channel"
        return [], FormErrors(errors={key: ctx.t("start.error.no_members")})
    return people, None


async def _admins(ctx: Ctx) -> list[Person]:
    """The workspace's admins as the policy counts them (platform flag or MUSBOT_ADMINS).
    An admin named in configuration whom the bot has not met yet is stored now, from the
    platform's profile (read before the transaction: `Directory.prefetch`), so the round's
    13-month flag can reach them too."""
    for user_id in sorted(ctx.settings.configured_admins):
        known = await ctx.tx.people.get_by_user_id(workspace_id=ctx.workspace.id, user_id=user_id)
        if known is not None:
            continue
        actor = await ctx.directory.lookup(user_id=user_id)
        await ctx.tx.people.upsert(
            workspace_id=ctx.workspace.id,
            user_id=user_id,
            display_name=actor.display_name if actor else None,
            locale=i18n.language(actor.locale) if actor and actor.locale else None,
            timezone=actor.timezone if actor else None,
        )
    return await policy.admins(
        ctx.tx, workspace_id=ctx.workspace.id, configured=ctx.settings.configured_admins
    )


def round_facts(locale: str, round_: Round, *, tz_name: str | None = None) -> Fields:
    """The dates of a round, in the reader's language and time zone."""
    from conversations.context import zone

    tz = zone(tz_name)
    items: list[tuple[str, str]] = []
    if round_.kickoff_at is not None:
        items.append(
            (
                i18n.t(locale, "round.kickoff_at"),
                i18n.format_datetime(locale, round_.kickoff_at.astimezone(tz)),
            )
        )
    items.append(
        (i18n.t(locale, "round.prep_deadline"), i18n.format_date(locale, round_.prep_deadline))
    )
    items.append(
        (
            i18n.t(locale, "round.conversations"),
            f"{i18n.format_date(locale, round_.conversations_from)} – {i18n.format_date(locale, round_.conversations_to)}",
        )
    )
    if round_.summary_at is not None:
        items.append(
            (
                i18n.t(locale, "round.summary_at"),
                i18n.format_datetime(locale, round_.summary_at.astimezone(tz)),
            )
        )
    return Fields(tuple(items))


def kickoff_post(ctx: Ctx, *, round_: Round, team: Team, template: Template) -> Message:
    """The announcement in the team channel: the task, the goals, the four steps, the dates."""
    loc = template.language
    title = i18n.t(loc, "kickoff.title", leader=ctx.person.display_name)
    return Message(
        to=ToChannel(team.channel_id or ""),
        text=title,
        blocks=(
            Heading(title),
            Paragraph(i18n.t(loc, "kickoff.intro")),
            Quote(round_.kerneopgave, label=i18n.t(loc, "round.kerneopgave")),
            Quote(round_.udviklingsmaal, label=i18n.t(loc, "round.udviklingsmaal")),
            Heading(i18n.t(loc, "kickoff.steps_title")),
            BulletList(
                (
                    i18n.t(loc, "kickoff.step1"),
                    i18n.t(loc, "kickoff.step2"),
                    i18n.t(loc, "kickoff.step3"),
                    i18n.t(loc, "kickoff.step4"),
                )
            ),
            round_facts(loc, round_, tz_name=ctx.person.timezone),
            Note(i18n.t(loc, "kickoff.confidential", template=template.title)),
        ),
    )


def member_dm(ctx: Ctx, *, round_: Round, member: Person, template: Template) -> Message:
    """Each member's first DM names the leader who started the round and opens the prep."""
    return invitation(
        round_=round_, member=member, template=template, leader_name=ctx.person.display_name
    )


def invitation_key(round_id: int, person_id: int) -> str:
    """`Message.key` of a member's invitation, so a later adaptation can update it."""
    return f"prep-invitation:{round_id}:{person_id}"


def invitation(*, round_: Round, member: Person, template: Template, leader_name: str) -> Message:
    """The invitation to prepare; the count is that of the member's own (adapted) form
    (`forms.template_for`, the form the prep flow shows them)."""
    loc = member.locale
    text = i18n.t(loc, "kickoff.dm", name=member.display_name, leader=leader_name)
    steps = len(template.steps())
    return Message(
        to=ToPerson(member.user_id),
        text=text,
        blocks=(
            Heading(i18n.t(loc, "kickoff.dm_title")),
            Paragraph(text),
            Quote(round_.kerneopgave, label=i18n.t(loc, "round.kerneopgave")),
            round_facts(loc, round_, tz_name=member.timezone),
            Paragraph(i18n.t(loc, "kickoff.dm_how", count=steps)),
            Note(i18n.t(loc, "common.confidential")),
        ),
        buttons=(
            PrepOpen(round_id=round_.id).button(i18n.t(loc, "prep.button.open"), style="primary"),
        ),
        key=invitation_key(round_.id, member.id),
    )


def soon_dm(ctx: Ctx, *, round_: Round, member: Person) -> Message:
    """While the team adapts the form: the round has started, preparation opens soon."""
    loc = member.locale
    text = i18n.t(loc, "kickoff.dm", name=member.display_name, leader=ctx.person.display_name)
    return Message(
        to=ToPerson(member.user_id),
        text=text,
        blocks=(
            Heading(i18n.t(loc, "kickoff.dm_title")),
            Paragraph(text),
            Quote(round_.kerneopgave, label=i18n.t(loc, "round.kerneopgave")),
            round_facts(loc, round_, tz_name=member.timezone),
            Paragraph(i18n.t(loc, "adapt.soon")),
            Note(i18n.t(loc, "common.confidential")),
        ),
    )


def _confirmation(ctx: Ctx, *, round_: Round, team: Team, members: list[Person]) -> Message:
    names = ", ".join(m.display_name for m in members)
    text = ctx.t("start.done_one" if len(members) == 1 else "start.done", count=len(members))
    return Message(
        to=ToActor(),
        text=text,
        blocks=(Heading(ctx.t("start.done_title")), Paragraph(text), Note(names)),
        buttons=(StatusShow(round_id=round_.id).button(ctx.t("status.button.show")),),
    )
