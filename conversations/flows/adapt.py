"""Local adaptation after the kickoff meeting: the leader adds or drops questions.

The round's template is its own snapshot, so this changes only this round. Answers already
given to a dropped question are kept (and come back if it is added again with the same id);
steps are addressed by id, so nobody's place or answers shift.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conversations import policy
from conversations.codec import decode_ints, encode
from conversations.context import Ctx
from conversations.flows.common import (
    PREP_PHASES,
    Refuse,
    RoundView,
    load_round,
    option_label,
    rounds_as_leader,
    say,
)
from conversations.messages import (
    Block,
    BulletList,
    Button,
    Form,
    FormErrors,
    Heading,
    Message,
    Note,
    Option,
    Reply,
    SelectInput,
    TextInput,
    ToActor,
)
from conversations.templates.model import Template

Values = Mapping[str, str | tuple[str, ...] | None]
LIMIT = 500


async def adapt_command(ctx: Ctx, rest: str) -> Reply:
    led = await rounds_as_leader(ctx)
    views = [v for v in led if v.round.phase in PREP_PHASES]
    if not views:
        raise Refuse("adapt.too_late" if led else "status.not_leader")
    return _overview(ctx, views[0])


async def _leader_view(ctx: Ctx, round_id: int) -> RoundView:
    view = await load_round(ctx, round_id)
    await policy.check(
        policy.access(ctx),
        policy.Do.ADAPT_ROUND,
        round_=view.round if view else None,
        round_id=round_id,
        employee_id=None,
    )
    assert view is not None
    if view.round.phase not in PREP_PHASES:
        raise Refuse("adapt.too_late")
    return view


def _overview(ctx: Ctx, view: RoundView) -> Reply:
    blocks: list[Block] = [Heading(ctx.t("adapt.title")), Note(ctx.t("adapt.intro"))]
    for theme in view.template.themes:
        blocks += [
            Heading(theme.title),
            BulletList(tuple(("★ " if q.priority else "") + q.text for q in theme.questions)),
        ]
    value = encode(view.round.id)
    return Reply(
        (
            Message(
                to=ToActor(),
                text=ctx.t("adapt.title"),
                blocks=tuple(blocks),
                buttons=(
                    Button(ctx.t("adapt.button.add"), "adapt.add", value, style="primary"),
                    Button(ctx.t("adapt.button.drop"), "adapt.drop", value),
                ),
            ),
        )
    )


async def on_button(ctx: Ctx, action: str, value: str) -> Reply:
    view = await _leader_view(ctx, decode_ints(value, count=1)[0])
    themes = tuple(Option(value=t.id, label=option_label(t.title)) for t in view.template.themes)
    if action == "adapt.add":
        yes_no = (
            Option(value="no", label=ctx.t("common.no")),
            Option(value="yes", label=ctx.t("common.yes")),
        )
        return Reply(
            (
                Form(
                    id="adapt.add",
                    title=ctx.t("adapt.button.add"),
                    submit_label=ctx.t("prep.form.submit"),
                    state=value,
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
                            options=yes_no,
                            initial="no",
                        ),
                    ),
                ),
            )
        )
    if action == "adapt.drop":
        questions = tuple(
            Option(value=q.id, label=option_label(f"{t.title}: {q.text}"))
            for t in view.template.themes
            for q in t.questions
        )
        return Reply(
            (
                Form(
                    id="adapt.drop",
                    title=ctx.t("adapt.button.drop"),
                    submit_label=ctx.t("adapt.drop_submit"),
                    state=value,
                    inputs=(
                        SelectInput(
                            id="question", label=ctx.t("adapt.question"), options=questions
                        ),
                    ),
                ),
            )
        )
    return say(ctx, "error.stale_button")


async def on_form(ctx: Ctx, form: str, state: str, values: Values) -> Reply:
    view = await _leader_view(ctx, decode_ints(state, count=1)[0])
    data: dict[str, Any] = view.template.model_dump(mode="json")
    if form == "adapt.add":
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
            return Reply((FormErrors(errors=errors),))
        used = {q["id"] for t in data["themes"] for q in t["questions"]}
        n = 1
        while f"lokal-{n}" in used:
            n += 1
        question = {
            "id": f"lokal-{n}",
            "text": text,
            "help": help_text,
            "priority": values.get("priority") == "yes",
        }
        theme["questions"] = [*theme["questions"], question]
        detail = f"add lokal-{n}"
    elif form == "adapt.drop":
        qid = values.get("question")
        owner = next(
            (t for t in data["themes"] if any(q["id"] == qid for q in t["questions"])), None
        )
        if owner is None:
            return Reply((FormErrors(errors={"question": ctx.t("adapt.error.question")}),))
        owner["questions"] = [q for q in owner["questions"] if q["id"] != qid]
        if not owner["questions"]:
            if len(data["themes"]) == 1:
                return Reply((FormErrors(errors={"question": ctx.t("adapt.error.last")}),))
            data["themes"] = [t for t in data["themes"] if t is not owner]
        detail = f"drop {qid}"
    else:
        return say(ctx, "error.stale_button")
    template = Template.model_validate(data)
    await ctx.tx.rounds.set_template(
        round_id=view.round.id, template=template.model_dump(mode="json")
    )
    await ctx.audit(action="round.adapt", subject=f"round:{view.round.id}", detail=detail)
    return say(ctx, "adapt.saved") + _overview(
        ctx, RoundView(round=view.round, team=view.team, template=template)
    )
