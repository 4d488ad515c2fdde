"""The team's adaptation of the form, between the kickoff meeting and release (Tønder step 1).

The leader opens the round's form and adds sub-questions under any theme or priority
questions, removes or reorders questions, keeps parts of an optional block (Skema 2/3), edits
the core task and goals, previews the form as an employee meets it, splits the members into
sub-groups with a form each, releases preparation (now or on a date) and may save the result
as a template for the next round.

Answers are stored under question ids, and a round never gives an id to a second question, so
no answer ever moves to a question its author did not see. A question someone has answered is
not removed. A question added after someone shared reaches them once, as a gentle message.
Only the round's leader changes its form.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

from pydantic import ValidationError

from conversations import i18n
from conversations.codec import BadValue, decode_ints, encode
from conversations.context import Ctx
from conversations.domain import Person, PrepStatus
from conversations.flows import forms
from conversations.flows.common import (
    PREP_PHASES,
    Refuse,
    RoundView,
    load_round,
    option_label,
    rounds_as_leader,
    say,
)
from conversations.flows.forms import BASE
from conversations.messages import (
    Block,
    BulletList,
    Button,
    DateInput,
    Divider,
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
from conversations.reminders import PREP_RELEASE, release_key
from conversations.schedule import morning_of
from conversations.templates.model import NAME_MAX, SLUG_PATTERN, TITLE_MAX, Template
from conversations.templates.stored import FormGroup, RoundForm, Scope, Status

Values = Mapping[str, str | tuple[str, ...] | None]
LIMIT = 500
TEXT_LIMIT = 3000


# ---------------------------------------------------------------- entry points


async def adapt_command(ctx: Ctx, rest: str) -> Reply:
    led = await rounds_as_leader(ctx)
    views = [v for v in led if v.round.phase in PREP_PHASES]
    if not views:
        raise Refuse("adapt.too_late" if led else "status.not_leader")
    view = views[0]
    return _overview(ctx, view, await forms.round_form(ctx, view.round), BASE)


async def _leader_view(ctx: Ctx, round_id: int) -> RoundView:
    view = await load_round(ctx, round_id)
    if view is None or not view.is_leader(ctx.person):
        await ctx.audit(action="round.adapt_denied", subject=f"round:{round_id}")
        raise Refuse("error.not_allowed")
    if view.round.phase not in PREP_PHASES:
        raise Refuse("adapt.too_late")
    return view


def _key(value: str) -> str:
    parts = value.split(":")
    return parts[1] if len(parts) > 1 and parts[1] else BASE


def _template(view: RoundView, form: RoundForm, key: str) -> Template:
    if key == BASE:
        return view.template
    group = form.group(key)
    if group is None:
        raise BadValue(key)
    return Template.model_validate(group.template)


def _audience(view: RoundView, form: RoundForm, key: str) -> list[int]:
    """The members who meet the form `key`."""
    if key == BASE:
        return [m for m in view.member_ids if form.group_of(m) is None]
    group = form.group(key)
    return [m for m in view.member_ids if group is not None and m in group.member_ids]


def _form_name(ctx: Ctx, form: RoundForm, key: str) -> str:
    group = form.group(key) if key != BASE else None
    return group.name if group is not None else ctx.t("adapt.whole_team")


# ---------------------------------------------------------------- the overview


def _overview(ctx: Ctx, view: RoundView, form: RoundForm, key: str) -> Reply:
    """The form as the employees will meet it: themes in order, ★ questions first."""
    template = _template(view, form, key)
    steps = template.steps()
    title = ctx.t("adapt.title")
    if form.groups:
        title = f"{title}: {_form_name(ctx, form, key)}"
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
            label = ctx.t("adapt.button.switch", name=_form_name(ctx, form, other))
            buttons.append(Button(option_label(label), "adapt.open", encode(view.round.id, other)))
    buttons.append(Button(ctx.t("adapt.button.save"), "adapt.save", value))
    if forms.is_held(form, ctx.today):
        buttons += [
            Button(ctx.t("adapt.button.release"), "adapt.release", value, style="primary"),
            Button(ctx.t("adapt.button.release_on"), "adapt.release_on", value),
        ]
    return Reply((Message(to=ToActor(), text=title, blocks=tuple(blocks), buttons=tuple(buttons)),))


# ---------------------------------------------------------------- buttons: the forms


async def on_button(ctx: Ctx, action: str, value: str) -> Reply:
    view = await _leader_view(ctx, decode_ints(value, count=1)[0])
    form = await forms.round_form(ctx, view.round)
    key = _key(value)
    template = _template(view, form, key)
    state = encode(view.round.id, key)
    if action == "adapt.open":
        return _overview(ctx, view, form, key)
    if action == "adapt.add":
        return _add_form(ctx, template, state)
    if action == "adapt.drop":
        return _pick_question_form(ctx, template, state, "adapt.drop", ctx.t("adapt.drop_submit"))
    if action == "adapt.move":
        return _move_form(ctx, template, state)
    if action == "adapt.parts":
        return _parts_form(ctx, view, form, template, state)
    if action == "adapt.texts":
        return _texts_form(ctx, view, state)
    if action == "adapt.preview":
        return _preview(ctx, view, form, key)
    if action == "adapt.groups":
        return await _groups_form(ctx, view, form, state)
    if action == "adapt.save":
        return _save_form(ctx, template, state)
    if action == "adapt.release":
        return await _release(ctx, view, form)
    if action == "adapt.release_on":
        return _release_on_form(ctx, form, state)
    return say(ctx, "error.stale_button")


def _yes_no(ctx: Ctx) -> tuple[Option, ...]:
    return (
        Option(value="no", label=ctx.t("common.no")),
        Option(value="yes", label=ctx.t("common.yes")),
    )


def _add_form(ctx: Ctx, template: Template, state: str) -> Reply:
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


def _pick_question_form(
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


def _move_form(ctx: Ctx, template: Template, state: str) -> Reply:
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


def _parts_form(
    ctx: Ctx, view: RoundView, form: RoundForm, template: Template, state: str
) -> Reply:
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


def _texts_form(ctx: Ctx, view: RoundView, state: str) -> Reply:
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


async def _groups_form(ctx: Ctx, view: RoundView, form: RoundForm, state: str) -> Reply:
    """Each member to the whole team's form, an existing sub-group, or a new one."""
    if not forms.is_held(form, ctx.today) and await _anyone_started(ctx, view):
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


def _save_form(ctx: Ctx, template: Template, state: str) -> Reply:
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


def _release_on_form(ctx: Ctx, form: RoundForm, state: str) -> Reply:
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


# ---------------------------------------------------------------- the preview


def _preview(ctx: Ctx, view: RoundView, form: RoundForm, key: str) -> Reply:
    """The form as an employee of this (sub-)group meets it, card by card, on the leader's own
    platform: the welcome, then each question as its card shows it (without live buttons)."""
    from conversations.flows import prep

    template = _template(view, form, key)
    steps = template.steps()
    shown = replace(view, template=template)
    welcome: list[Block] = [
        Note(ctx.t("adapt.preview.note", name=_form_name(ctx, form, key))),
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


# ---------------------------------------------------------------- submissions


async def on_form(ctx: Ctx, form_id: str, state: str, values: Values) -> Reply:
    view = await _leader_view(ctx, decode_ints(state, count=1)[0])
    form = await forms.round_form(ctx, view.round)
    key = _key(state)
    template = _template(view, form, key)
    if form_id == "adapt.texts":
        return await _save_texts(ctx, view, form, key, values)
    if form_id == "adapt.groups":
        return await _save_groups(ctx, view, form, key, values)
    if form_id == "adapt.save":
        return await _save_as_template(ctx, template, values)
    if form_id == "adapt.release_on":
        return await _set_release_on(ctx, view, form, key, values)
    data: dict[str, Any] = template.model_dump(mode="json")
    added: str | None = None
    if form_id == "adapt.add":
        result = _add(ctx, data, form, view, values, await _answered_ids(ctx, view))
        if isinstance(result, FormErrors):
            return Reply((result,))
        added = result
        detail = f"add {added}"
    elif form_id == "adapt.drop":
        qid = str(values.get("question") or "")
        problem = await _drop(ctx, view, form, key, data, [qid])
        if problem is not None:
            return Reply((FormErrors(errors={"question": problem}),))
        detail = f"drop {qid}"
    elif form_id == "adapt.move":
        problem = _move(ctx, data, str(values.get("question") or ""), values.get("direction"))
        if problem is not None:
            return Reply((FormErrors(errors={"question": problem}),))
        detail = f"move {values.get('question')}"
    elif form_id == "adapt.parts":
        errors = await _parts(ctx, view, form, key, data, values)
        if errors:
            return Reply((FormErrors(errors=errors),))
        detail = "parts"
    else:
        return say(ctx, "error.stale_button")
    try:
        adapted = Template.model_validate(data)
    except ValidationError:
        return Reply((FormErrors(errors={"question": ctx.t("adapt.error.last")}),))
    form = await _store(ctx, view, form, key, adapted)
    await ctx.audit(action="round.adapt", subject=f"round:{view.round.id}", detail=detail)
    view = replace(view, template=adapted) if key == BASE else view
    notices = await _notify_new(ctx, view, form, key, adapted, added) if added else ()
    return say(ctx, "adapt.saved") + Reply(notices) + _overview(ctx, view, form, key)


async def _store(
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


async def _answered_ids(ctx: Ctx, view: RoundView) -> set[str]:
    """Question ids anyone in the round has an answer under (rounds adapted before ids were
    recorded still never hand an answered id to a new question)."""
    found: set[str] = set()
    for person_id in view.member_ids:
        answers = await ctx.tx.prep.answers(round_id=view.round.id, person_id=person_id)
        found |= {qid.split(".")[0] for qid in answers}
    return found


def _new_id(view: RoundView, form: RoundForm, answered: set[str]) -> str:
    """`lokal-N` with an N no question of this round has ever had."""
    used = set(form.used_ids) | answered | set(forms.question_ids(view.round.template))
    used |= set(forms.question_ids(form.original))
    for group in form.groups:
        used |= set(forms.question_ids(group.template))
    n = 1
    while f"lokal-{n}" in used:
        n += 1
    return f"lokal-{n}"


def _add(
    ctx: Ctx,
    data: dict[str, Any],
    form: RoundForm,
    view: RoundView,
    values: Values,
    answered: set[str],
) -> str | FormErrors:
    theme_id = values.get("theme")
    text = str(values.get("text") or "").strip()
    help_text = str(values.get("help") or "").strip() or None
    errors: dict[str, str] = {}
    theme = next((t for t in data["themes"] if t["id"] == theme_id), None)
    if theme is None:
        errors["theme"] = ctx.t("adapt.error.theme")
    if not text:
        errors["text"] = ctx.t("error.required")
    elif len(text) > LIMIT:
        errors["text"] = ctx.t("error.too_long", length=len(text), limit=LIMIT)
    if help_text and len(help_text) > LIMIT * 2:
        errors["help"] = ctx.t("error.too_long", length=len(help_text), limit=LIMIT * 2)
    if errors or theme is None:
        return FormErrors(errors=errors)
    qid = _new_id(view, form, answered)
    priority = values.get("priority") == "yes"
    question = {"id": qid, "text": text, "help": help_text, "priority": priority}
    questions = list(theme["questions"])
    if priority:
        # After the theme's other priority questions: the order the employees get.
        at = sum(1 for q in questions if q.get("priority"))
        questions.insert(at, question)
    else:
        questions.append(question)
    theme["questions"] = questions
    return qid


async def _answered_by(
    ctx: Ctx, view: RoundView, form: RoundForm, key: str, question_ids: Sequence[str]
) -> int:
    """How many of this form's people have an answer under any of the questions."""
    wanted = set(question_ids)
    count = 0
    for person_id in _audience(view, form, key):
        answers = await ctx.tx.prep.answers(round_id=view.round.id, person_id=person_id)
        if any(a.text and a.question_id.split(".")[0] in wanted for a in answers.values()):
            count += 1
    return count


async def _drop(
    ctx: Ctx,
    view: RoundView,
    form: RoundForm,
    key: str,
    data: dict[str, Any],
    qids: Sequence[str],
) -> str | None:
    """Remove questions; None when done, else why not (nothing is changed then)."""
    for qid in qids:
        if not any(q["id"] == qid for t in data["themes"] for q in t["questions"]):
            return ctx.t("adapt.error.question")
    answered = await _answered_by(ctx, view, form, key, qids)
    if answered:
        return ctx.t("adapt.error.answered", count=answered)
    for theme in data["themes"]:
        theme["questions"] = [q for q in theme["questions"] if q["id"] not in qids]
    data["themes"] = [t for t in data["themes"] if t["questions"]]
    if not data["themes"]:
        return ctx.t("adapt.error.last")
    return None


def _move(ctx: Ctx, data: dict[str, Any], qid: str, direction: object) -> str | None:
    """One place up or down within its theme, in the order the employees get the questions."""
    for theme in data["themes"]:
        ids = [q["id"] for q in theme["questions"]]
        if qid not in ids:
            continue
        ordered = sorted(theme["questions"], key=lambda q: not q.get("priority"))
        at = [q["id"] for q in ordered].index(qid)
        to = at - 1 if direction == "up" else at + 1
        if not 0 <= to < len(ordered) or bool(ordered[to].get("priority")) != bool(
            ordered[at].get("priority")
        ):
            return ctx.t("adapt.move.edge")
        ordered[at], ordered[to] = ordered[to], ordered[at]
        theme["questions"] = ordered
        return None
    return ctx.t("adapt.error.question")


async def _parts(
    ctx: Ctx,
    view: RoundView,
    form: RoundForm,
    key: str,
    data: dict[str, Any],
    values: Values,
) -> dict[str, str]:
    """Keep the chosen questions of each optional block, in their original order; questions
    the team added to the block stay; a block with nothing kept goes."""
    original = Template.model_validate(form.original or view.round.template)
    by_id = {t["id"]: t for t in data["themes"]}
    drop: list[str] = []
    for o_index, theme in enumerate(original.themes):
        if not theme.optional:
            continue
        keep = [q for q in theme.questions if values.get(f"keep-{q.id}", "keep") == "keep"]
        drop += [
            q.id
            for q in theme.questions
            if values.get(f"keep-{q.id}") == "drop"
            and any(q.id == x["id"] for t in data["themes"] for x in t["questions"])
        ]
        current = by_id.get(theme.id)
        local = [
            q
            for q in (current["questions"] if current else [])
            if q["id"] not in {x.id for x in theme.questions}
        ]
        questions = [q.model_dump(mode="json") for q in keep] + local
        if current is not None:
            current["questions"] = questions
        elif questions:
            restored = theme.model_dump(mode="json") | {"questions": questions}
            before = {t.id for t in original.themes[:o_index]}
            at = max((n + 1 for n, t in enumerate(data["themes"]) if t["id"] in before), default=0)
            data["themes"].insert(at, restored)
    if drop:
        answered = await _answered_by(ctx, view, form, key, drop)
        if answered:
            field = f"keep-{drop[0]}"
            return {field: ctx.t("adapt.error.answered", count=answered)}
    data["themes"] = [t for t in data["themes"] if t["questions"]]
    if not data["themes"]:
        return {f"keep-{drop[0]}" if drop else "question": ctx.t("adapt.error.last")}
    return {}


async def _save_texts(
    ctx: Ctx, view: RoundView, form: RoundForm, key: str, values: Values
) -> Reply:
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
    return say(ctx, "adapt.texts_saved") + _overview(ctx, replace(view, round=round_), form, key)


async def _anyone_started(ctx: Ctx, view: RoundView) -> bool:
    return any(
        s.status != PrepStatus.NOT_STARTED
        for s in await ctx.tx.prep.sessions(round_id=view.round.id)
    )


async def _save_groups(
    ctx: Ctx, view: RoundView, form: RoundForm, key: str, values: Values
) -> Reply:
    if not forms.is_held(form, ctx.today) and await _anyone_started(ctx, view):
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
    form = replace(form, groups=tuple(groups))
    await ctx.tx.round_forms.save(form=form)
    await ctx.audit(
        action="round.adapt", subject=f"round:{view.round.id}", detail=f"groups={len(groups)}"
    )
    shown = groups[-1].key if new_members else (key if form.group(key) or key == BASE else BASE)
    return say(ctx, "adapt.groups_saved", count=len(groups)) + _overview(ctx, view, form, shown)


async def _save_as_template(ctx: Ctx, template: Template, values: Values) -> Reply:
    """The adapted form as the leader's own template (offered to the organisation once an
    admin approves it with `musbot templates approve NAME`)."""
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
    return say(ctx, "adapt.save.offered" if offer else "adapt.save.done", name=name)


# ---------------------------------------------------------------- release


async def _release(ctx: Ctx, view: RoundView, form: RoundForm) -> Reply:
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


async def _set_release_on(
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
        _overview(ctx, view, form, key)
    )


async def _notify_new(
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
    audience = [m for m in _audience(view, form, key) if m in shared]
    for person in await ctx.tx.people.get_many(person_ids=audience):
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
            Button(
                i18n.t(loc, "adapt.button.answer_new"),
                "prep.goto",
                encode(view.round.id, index, step_id),
                style="primary",
            ),
        ),
    )
