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

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from pydantic import ValidationError

from conversations import policy
from conversations.codec import decode_ints, encode
from conversations.context import Ctx
from conversations.flows import forms
from conversations.flows.adapt_edit import (
    add_question,
    answered_ids,
    drop_questions,
    keep_parts,
    move_question,
)
from conversations.flows.adapt_save import (
    approve_template,
    notify_new,
    release,
    save_as_template,
    save_groups,
    save_texts,
    set_release_on,
    store,
)
from conversations.flows.adapt_views import (
    add_form,
    groups_form,
    move_form,
    overview,
    parts_form,
    pick_question_form,
    preview,
    release_on_form,
    save_form,
    texts_form,
)
from conversations.flows.common import (
    PREP_PHASES,
    Refuse,
    RoundView,
    load_round,
    rounds_as_leader,
    say,
)
from conversations.flows.forms import (
    BASE,
    form_key,
    form_template,
)
from conversations.messages import (
    FormErrors,
    Reply,
)
from conversations.templates.model import Template

Values = Mapping[str, str | tuple[str, ...] | None]


async def adapt_command(ctx: Ctx, rest: str) -> Reply:
    led = await rounds_as_leader(ctx)
    views = [v for v in led if v.round.phase in PREP_PHASES]
    if not views:
        raise Refuse("adapt.too_late" if led else "status.not_leader")
    view = views[0]
    return overview(ctx, view, await forms.round_form(ctx, view.round), BASE)


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


async def on_button(ctx: Ctx, action: str, value: str) -> Reply:
    if action == "adapt.approve":
        return await approve_template(ctx, value)
    view = await _leader_view(ctx, decode_ints(value, count=1)[0])
    form = await forms.round_form(ctx, view.round)
    key = form_key(value)
    template = form_template(view, form, key)
    state = encode(view.round.id, key)
    if action == "adapt.open":
        return overview(ctx, view, form, key)
    if action == "adapt.add":
        return add_form(ctx, template, state)
    if action == "adapt.drop":
        return pick_question_form(ctx, template, state, "adapt.drop", ctx.t("adapt.drop_submit"))
    if action == "adapt.move":
        return move_form(ctx, template, state)
    if action == "adapt.parts":
        return parts_form(ctx, view, form, template, state)
    if action == "adapt.texts":
        return texts_form(ctx, view, state)
    if action == "adapt.preview":
        return preview(ctx, view, form, key)
    if action == "adapt.groups":
        return await groups_form(ctx, view, form, state)
    if action == "adapt.save":
        return save_form(ctx, template, state)
    if action == "adapt.release":
        return await release(ctx, view, form)
    if action == "adapt.release_on":
        return release_on_form(ctx, form, state)
    return say(ctx, "error.stale_button")


async def on_form(ctx: Ctx, form_id: str, state: str, values: Values) -> Reply:
    view = await _leader_view(ctx, decode_ints(state, count=1)[0])
    form = await forms.round_form(ctx, view.round)
    key = form_key(state)
    template = form_template(view, form, key)
    if form_id == "adapt.texts":
        return await save_texts(ctx, view, form, key, values)
    if form_id == "adapt.groups":
        return await save_groups(ctx, view, form, key, values)
    if form_id == "adapt.save":
        return await save_as_template(ctx, template, values)
    if form_id == "adapt.release_on":
        return await set_release_on(ctx, view, form, key, values)
    data: dict[str, Any] = template.model_dump(mode="json")
    added: str | None = None
    if form_id == "adapt.add":
        result = add_question(ctx, data, form, view, values, await answered_ids(ctx, view))
        if isinstance(result, FormErrors):
            return Reply((result,))
        added = result
        detail = f"add {added}"
    elif form_id == "adapt.drop":
        qid = str(values.get("question") or "")
        problem = await drop_questions(ctx, view, form, key, data, [qid])
        if problem is not None:
            return Reply((FormErrors(errors={"question": problem}),))
        detail = f"drop {qid}"
    elif form_id == "adapt.move":
        problem = move_question(
            ctx, data, str(values.get("question") or ""), values.get("direction")
        )
        if problem is not None:
            return Reply((FormErrors(errors={"question": problem}),))
        detail = f"move {values.get('question')}"
    elif form_id == "adapt.parts":
        errors = await keep_parts(ctx, view, form, key, data, values)
        if errors:
            return Reply((FormErrors(errors=errors),))
        detail = "parts"
    else:
        return say(ctx, "error.stale_button")
    try:
        adapted = Template.model_validate(data)
    except ValidationError:
        return Reply((FormErrors(errors={"question": ctx.t("adapt.error.last")}),))
    form = await store(ctx, view, form, key, adapted)
    await ctx.audit(action="round.adapt", subject=f"round:{view.round.id}", detail=detail)
    view = replace(view, template=adapted) if key == BASE else view
    notices = await notify_new(ctx, view, form, key, adapted, added) if added else ()
    return say(ctx, "adapt.saved") + Reply(notices) + overview(ctx, view, form, key)
