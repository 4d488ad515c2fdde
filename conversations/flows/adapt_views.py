"""What the leader sees while adapting: the overview, the forms (modals/cards) and the
preview of the form as an employee meets it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta

from conversations import i18n
from conversations.codec import encode
from conversations.context import Ctx
from conversations.flows import forms
from conversations.flows.common import (
    Refuse,
    RoundView,
    option_label,
)
from conversations.flows.forms import (
    BASE,
    anyone_started,
    form_name,
    form_template,
)
from conversations.messages import (
    Block,
    BulletList,
    Button,
    DateInput,
    Divider,
    Form,
    Heading,
    Message,
    Note,
    Option,
    Paragraph,
    Reply,
    SelectInput,
    TextInput,
    ToActor,
)
from conversations.templates.model import NAME_MAX, TITLE_MAX, Template
from conversations.templates.stored import RoundForm

Values = Mapping[str, str | tuple[str, ...] | None]
LIMIT = 500
TEXT_LIMIT = 3000


def overview(ctx: Ctx, view: RoundView, form: RoundForm, key: str) -> Reply:
    """The form as the employees will meet it: themes in order, ★ questions first."""
    template = form_template(view, form, key)
    steps = template.steps()
    title = ctx.t("adapt.title")
    if form.groups:
        title = f"{title}: {form_name(ctx, form, key)}"
    blocks: list[Block] = [Heading(title), Note(ctx.t("adapt.intro"))]
    if forms.is_held(form, ctx.today):
        if form.release_on is not None:
            day = i18n.format_date(ctx.locale, form.release_on)
            blocks.append(Paragraph(ctx.t("adapt.held_until", day=day)))
        else:
            blocks.append(Paragraph(ctx.t("adapt.held")))
    else:
        blocks.append(Paragraph(ctx.t("adapt.released")))
    blocks.append(Note(ctx.t("adapt.count", count=len(steps))))
    for theme in template.themes:
        heading = theme.title + (f" ({ctx.t('adapt.optional')})" if theme.optional else "")
        blocks += [
            Heading(heading),
            BulletList(tuple(("★ " if q.priority else "") + q.text for q in theme.ordered())),
        ]
    if form.groups:
        names = [f"{g.name}: {len(g.member_ids)}" for g in form.groups]
        blocks.append(Note(ctx.t("adapt.groups_now", groups=", ".join(names))))
    value = encode(view.round.id, key)
    buttons = [
        Button(ctx.t("adapt.button.add"), "adapt.add", value, style="primary"),
        Button(ctx.t("adapt.button.drop"), "adapt.drop", value),
        Button(ctx.t("adapt.button.move"), "adapt.move", value),
    ]
    if any(
        t.optional for t in Template.model_validate(form.original or view.round.template).themes
    ):
        buttons.append(Button(ctx.t("adapt.button.parts"), "adapt.parts", value))
    buttons += [
        Button(ctx.t("adapt.button.texts"), "adapt.texts", value),
        Button(ctx.t("adapt.button.preview"), "adapt.preview", value),
        Button(ctx.t("adapt.button.groups"), "adapt.groups", value),
    ]
    for other in (BASE, *(g.key for g in form.groups)) if form.groups else ():
        if other != key:
            label = ctx.t("adapt.button.switch", name=form_name(ctx, form, other))
            buttons.append(Button(option_label(label), "adapt.open", encode(view.round.id, other)))
    buttons.append(Button(ctx.t("adapt.button.save"), "adapt.save", value))
    if forms.is_held(form, ctx.today):
        buttons += [
            Button(ctx.t("adapt.button.release"), "adapt.release", value, style="primary"),
            Button(ctx.t("adapt.button.release_on"), "adapt.release_on", value),
        ]
    return Reply((Message(to=ToActor(), text=title, blocks=tuple(blocks), buttons=tuple(buttons)),))


def _yes_no(ctx: Ctx) -> tuple[Option, ...]:
    return (
        Option(value="no", label=ctx.t("common.no")),
        Option(value="yes", label=ctx.t("common.yes")),
    )


def add_form(ctx: Ctx, template: Template, state: str) -> Reply:
    themes = tuple(Option(value=t.id, label=option_label(t.title)) for t in template.themes)
    return Reply(
        (
            Form(
                id="adapt.add",
                title=ctx.t("adapt.button.add"),
                submit_label=ctx.t("prep.form.submit"),
                state=state,
                inputs=(
                    SelectInput(id="theme", label=ctx.t("adapt.theme"), options=themes),
                    TextInput(
                        id="text", label=ctx.t("adapt.text"), multiline=True, max_length=LIMIT
                    ),
                    TextInput(
                        id="help",
                        label=ctx.t("adapt.help"),
                        multiline=True,
                        max_length=LIMIT * 2,
                        optional=True,
                    ),
                    SelectInput(
                        id="priority",
                        label=ctx.t("adapt.priority"),
                        options=_yes_no(ctx),
                        initial="no",
                    ),
                ),
            ),
        )
    )


def _question_options(template: Template) -> tuple[Option, ...]:
    return tuple(
        Option(value=q.id, label=option_label(f"{t.title}: {q.text}"))
        for t in template.themes
        for q in t.ordered()
    )


def pick_question_form(
    ctx: Ctx, template: Template, state: str, form_id: str, submit: str
) -> Reply:
    return Reply(
        (
            Form(
                id=form_id,
                title=ctx.t("adapt.button.drop"),
                submit_label=submit,
                state=state,
                inputs=(
                    SelectInput(
                        id="question",
                        label=ctx.t("adapt.question"),
                        options=_question_options(template),
                    ),
                ),
            ),
        )
    )


def move_form(ctx: Ctx, template: Template, state: str) -> Reply:
    directions = (
        Option(value="up", label=ctx.t("adapt.move.up")),
        Option(value="down", label=ctx.t("adapt.move.down")),
    )
    return Reply(
        (
            Form(
                id="adapt.move",
                title=ctx.t("adapt.button.move"),
                submit_label=ctx.t("adapt.move.submit"),
                state=state,
                intro=(Note(ctx.t("adapt.move.intro")),),
                inputs=(
                    SelectInput(
                        id="question",
                        label=ctx.t("adapt.question"),
                        options=_question_options(template),
                    ),
                    SelectInput(
                        id="direction",
                        label=ctx.t("adapt.move.direction"),
                        options=directions,
                        initial="up",
                    ),
                ),
            ),
        )
    )


def parts_form(ctx: Ctx, view: RoundView, form: RoundForm, template: Template, state: str) -> Reply:
    """One keep/remove choice per question of each optional block."""
    original = Template.model_validate(form.original or view.round.template)
    present = {q.id for t in template.themes for q in t.questions}
    keep = (
        Option(value="keep", label=ctx.t("adapt.parts.keep")),
        Option(value="drop", label=ctx.t("adapt.parts.drop")),
    )
    inputs = []
    for theme in original.themes:
        if not theme.optional:
            continue
        for question in theme.questions:
            inputs.append(
                SelectInput(
                    id=f"keep-{question.id}",
                    label=option_label(f"{theme.title}: {question.text}", 150),
                    options=keep,
                    initial="keep" if question.id in present else "drop",
                )
            )
    return Reply(
        (
            Form(
                id="adapt.parts",
                title=ctx.t("adapt.button.parts"),
                submit_label=ctx.t("prep.form.submit"),
                state=state,
                intro=(Note(ctx.t("adapt.parts.intro")),),
                inputs=tuple(inputs),
            ),
        )
    )


def texts_form(ctx: Ctx, view: RoundView, state: str) -> Reply:
    return Reply(
        (
            Form(
                id="adapt.texts",
                title=ctx.t("adapt.button.texts"),
                submit_label=ctx.t("prep.form.submit"),
                state=state,
                inputs=(
                    TextInput(
                        id="kerneopgave",
                        label=ctx.t("start.form.kerneopgave"),
                        multiline=True,
                        max_length=TEXT_LIMIT,
                        initial=view.round.kerneopgave,
                    ),
                    TextInput(
                        id="udviklingsmaal",
                        label=ctx.t("start.form.udviklingsmaal"),
                        multiline=True,
                        max_length=TEXT_LIMIT,
                        initial=view.round.udviklingsmaal,
                    ),
                ),
            ),
        )
    )


async def groups_form(ctx: Ctx, view: RoundView, form: RoundForm, state: str) -> Reply:
    """Each member to the whole team's form, an existing sub-group, or a new one."""
    if not forms.is_held(form, ctx.today) and await anyone_started(ctx, view):
        raise Refuse("adapt.groups_too_late")
    choices = [Option(value=BASE, label=ctx.t("adapt.whole_team"))]
    choices += [Option(value=g.key, label=option_label(g.name)) for g in form.groups]
    choices.append(Option(value="new", label=ctx.t("adapt.groups.new_option")))
    people = await ctx.tx.people.get_many(person_ids=list(view.member_ids))
    inputs: list[TextInput | SelectInput] = [
        TextInput(
            id="name",
            label=ctx.t("adapt.groups.name"),
            hint=ctx.t("adapt.groups.name_hint"),
            max_length=80,
            optional=True,
        )
    ]
    for person in people:
        group = form.group_of(person.id)
        inputs.append(
            SelectInput(
                id=f"member-{person.id}",
                label=option_label(person.display_name),
                options=tuple(choices),
                initial=group.key if group is not None else BASE,
            )
        )
    return Reply(
        (
            Form(
                id="adapt.groups",
                title=ctx.t("adapt.button.groups"),
                submit_label=ctx.t("prep.form.submit"),
                state=state,
                intro=(Note(ctx.t("adapt.groups.intro")),),
                inputs=tuple(inputs),
            ),
        )
    )


def save_form(ctx: Ctx, template: Template, state: str) -> Reply:
    return Reply(
        (
            Form(
                id="adapt.save",
                title=ctx.t("adapt.button.save"),
                submit_label=ctx.t("adapt.save.submit"),
                state=state,
                intro=(Note(ctx.t("adapt.save.intro")),),
                inputs=(
                    TextInput(
                        id="name",
                        label=ctx.t("adapt.save.name"),
                        hint=ctx.t("adapt.save.name_hint"),
                        max_length=NAME_MAX,
                    ),
                    TextInput(
                        id="title",
                        label=ctx.t("adapt.save.title"),
                        max_length=TITLE_MAX,
                        initial=template.title,
                    ),
                    SelectInput(
                        id="offer",
                        label=ctx.t("adapt.save.offer"),
                        options=_yes_no(ctx),
                        initial="no",
                    ),
                ),
            ),
        )
    )


def release_on_form(ctx: Ctx, form: RoundForm, state: str) -> Reply:
    return Reply(
        (
            Form(
                id="adapt.release_on",
                title=ctx.t("adapt.button.release_on"),
                submit_label=ctx.t("prep.form.submit"),
                state=state,
                inputs=(
                    DateInput(
                        id="day",
                        label=ctx.t("adapt.release_on.day"),
                        initial=form.release_on or ctx.today + timedelta(days=1),
                    ),
                ),
            ),
        )
    )


def preview(ctx: Ctx, view: RoundView, form: RoundForm, key: str) -> Reply:
    """The form as an employee of this (sub-)group meets it, card by card, on the leader's own
    platform: the welcome, then each question as its card shows it (without live buttons)."""
    from conversations.flows import prep

    template = form_template(view, form, key)
    steps = template.steps()
    shown = replace(view, template=template)
    welcome: list[Block] = [
        Note(ctx.t("adapt.preview.note", name=form_name(ctx, form, key))),
        Heading(ctx.t("prep.welcome_title", template=template.title)),
        Paragraph(ctx.t("prep.welcome", count=len(steps))),
    ]
    if template.employee_guidance:
        welcome.append(Note(template.employee_guidance))
    welcome.append(Note(ctx.t("common.confidential")))
    messages = [Message(to=ToActor(), text=ctx.t("adapt.preview.title"), blocks=tuple(welcome))]
    by_theme: list[Block] = []
    for index, step in enumerate(steps):
        card = prep.question_card(ctx, shown, index, step)
        if by_theme and step.theme.id != steps[index - 1].theme.id:
            messages.append(
                Message(to=ToActor(), text=steps[index - 1].theme.title, blocks=tuple(by_theme))
            )
            by_theme = []
        if by_theme:
            by_theme.append(Divider())
        by_theme += list(card.blocks)
    if by_theme:
        messages.append(Message(to=ToActor(), text=steps[-1].theme.title, blocks=tuple(by_theme)))
    messages.append(
        Message(
            to=ToActor(),
            text=ctx.t("adapt.preview.end"),
            blocks=(Paragraph(ctx.t("adapt.preview.end")),),
            buttons=(Button(ctx.t("adapt.button.back"), "adapt.open", encode(view.round.id, key)),),
        )
    )
    return Reply(tuple(messages))
