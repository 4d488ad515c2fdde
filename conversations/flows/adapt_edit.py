"""Edits of a round's form data: add, remove, move, keep parts. None of them ever moves an
answer: ids are new, answered questions stay."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from conversations.context import Ctx
from conversations.flows import forms
from conversations.flows.adapt_views import LIMIT
from conversations.flows.common import (
    RoundView,
)
from conversations.flows.forms import (
    audience,
)
from conversations.messages import (
    FormErrors,
)
from conversations.templates.model import Template
from conversations.templates.stored import RoundForm

Values = Mapping[str, str | tuple[str, ...] | None]


async def answered_ids(ctx: Ctx, view: RoundView) -> set[str]:
    """Question ids anyone in the round has an answer under (rounds adapted before ids were
    recorded still never hand an answered id to a new question)."""
    found: set[str] = set()
    for person_id in view.member_ids:
        answers = await ctx.tx.prep.answers(round_id=view.round.id, person_id=person_id)
        found |= {qid.split(".")[0] for qid in answers}
    return found


def new_id(view: RoundView, form: RoundForm, answered: set[str]) -> str:
    """`lokal-N` with an N no question of this round has ever had."""
    used = set(form.used_ids) | answered | set(forms.question_ids(view.round.template))
    used |= set(forms.question_ids(form.original))
    for group in form.groups:
        used |= set(forms.question_ids(group.template))
    n = 1
    while f"lokal-{n}" in used:
        n += 1
    return f"lokal-{n}"


def add_question(
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
    qid = new_id(view, form, answered)
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


async def answered_by(
    ctx: Ctx, view: RoundView, form: RoundForm, key: str, question_ids: Sequence[str]
) -> int:
    """How many of this form's people have an answer under any of the questions."""
    wanted = set(question_ids)
    count = 0
    for person_id in audience(view, form, key):
        answers = await ctx.tx.prep.answers(round_id=view.round.id, person_id=person_id)
        if any(a.text and a.question_id.split(".")[0] in wanted for a in answers.values()):
            count += 1
    return count


async def drop_questions(
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
    answered = await answered_by(ctx, view, form, key, qids)
    if answered:
        return ctx.t("adapt.error.answered")
    for theme in data["themes"]:
        theme["questions"] = [q for q in theme["questions"] if q["id"] not in qids]
    data["themes"] = [t for t in data["themes"] if t["questions"]]
    if not data["themes"]:
        return ctx.t("adapt.error.last")
    return None


def move_question(ctx: Ctx, data: dict[str, Any], qid: str, direction: object) -> str | None:
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


async def keep_parts(
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
        answered = await answered_by(ctx, view, form, key, drop)
        if answered:
            field = f"keep-{drop[0]}"
            return {field: ctx.t("adapt.error.answered")}
    data["themes"] = [t for t in data["themes"] if t["questions"]]
    if not data["themes"]:
        return {f"keep-{drop[0]}" if drop else "question": ctx.t("adapt.error.last")}
    return {}
