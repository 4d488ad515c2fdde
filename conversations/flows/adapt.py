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
from conversations.actions import (
    AdaptAdd,
    AdaptAddForm,
    AdaptApprove,
    AdaptDrop,
    AdaptDropForm,
    AdaptForm,
    AdaptGroups,
    AdaptGroupsForm,
    AdaptMove,
    AdaptMoveForm,
    AdaptOpen,
    AdaptParts,
    AdaptPartsForm,
    AdaptPreview,
    AdaptRef,
    AdaptRelease,
    AdaptReleaseOn,
    AdaptReleaseOnForm,
    AdaptSave,
    AdaptSaveForm,
    AdaptTexts,
    AdaptTextsForm,
    ButtonAction,
    FormState,
)
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
    refresh_invitations,
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
    audience,
    form_template,
)
from conversations.messages import (
    FormErrors,
    Message,
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


async def on_button(ctx: Ctx, action: ButtonAction) -> Reply:
    if isinstance(action, AdaptApprove):
        return await approve_template(ctx, action.name)
    if not isinstance(
        action,
        AdaptOpen
        | AdaptAdd
        | AdaptDrop
        | AdaptMove
        | AdaptParts
        | AdaptTexts
        | AdaptPreview
        | AdaptGroups
        | AdaptSave
        | AdaptRelease
        | AdaptReleaseOn,
    ):
        return say(ctx, "error.stale_button")
    view = await _leader_view(ctx, action.round_id)
    form = await forms.round_form(ctx, view.round)
    key = action.key
    template = form_template(view, form, key)
    ref = AdaptRef(round_id=view.round.id, key=key)
    if isinstance(action, AdaptOpen):
        return overview(ctx, view, form, key)
    if isinstance(action, AdaptAdd):
        return add_form(ctx, template, AdaptAddForm(**ref))
    if isinstance(action, AdaptDrop):
        return pick_question_form(ctx, template, AdaptDropForm(**ref), ctx.t("adapt.drop_submit"))
    if isinstance(action, AdaptMove):
        return move_form(ctx, template, AdaptMoveForm(**ref))
    if isinstance(action, AdaptParts):
        return parts_form(ctx, view, form, template, AdaptPartsForm(**ref))
    if isinstance(action, AdaptTexts):
        return texts_form(ctx, view, AdaptTextsForm(**ref))
    if isinstance(action, AdaptPreview):
        return preview(ctx, view, form, key)
    if isinstance(action, AdaptGroups):
        return await groups_form(ctx, view, form, AdaptGroupsForm(**ref))
    if isinstance(action, AdaptSave):
        return save_form(ctx, template, AdaptSaveForm(**ref))
    if isinstance(action, AdaptRelease):
        return await release(ctx, view, form)
    return release_on_form(ctx, form, AdaptReleaseOnForm(**ref))


async def on_form(ctx: Ctx, state: FormState, values: Values) -> Reply:
    if not isinstance(state, AdaptForm):
        return say(ctx, "error.stale_button")
    view = await _leader_view(ctx, state.round_id)
    form = await forms.round_form(ctx, view.round)
    key = state.key
    template = form_template(view, form, key)
    if isinstance(state, AdaptTextsForm):
        return await save_texts(ctx, view, form, key, values)
    if isinstance(state, AdaptGroupsForm):
        return await save_groups(ctx, view, form, key, values)
    if isinstance(state, AdaptSaveForm):
        return await save_as_template(ctx, template, values)
    if isinstance(state, AdaptReleaseOnForm):
        return await set_release_on(ctx, view, form, key, values)
    data: dict[str, Any] = template.model_dump(mode="json")
    added: str | None = None
    if isinstance(state, AdaptAddForm):
        result = add_question(ctx, data, form, view, values, await answered_ids(ctx, view))
        if isinstance(result, FormErrors):
            return Reply((result,))
        added = result
        detail = f"add {added}"
    elif isinstance(state, AdaptDropForm):
        qid = str(values.get("question") or "")
        problem = await drop_questions(ctx, view, form, key, data, [qid])
        if problem is not None:
            return Reply((FormErrors(errors={"question": problem}),))
        detail = f"drop {qid}"
    elif isinstance(state, AdaptMoveForm):
        problem = move_question(
            ctx, data, str(values.get("question") or ""), values.get("direction")
        )
        if problem is not None:
            return Reply((FormErrors(errors={"question": problem}),))
        detail = f"move {values.get('question')}"
    else:
        errors = await keep_parts(ctx, view, form, key, data, values)
        if errors:
            return Reply((FormErrors(errors=errors),))
        detail = "parts"
    try:
        adapted = Template.model_validate(data)
    except ValidationError:
        return Reply((FormErrors(errors={"question": ctx.t("adapt.error.last")}),))
    form = await store(ctx, view, form, key, adapted)
    await ctx.audit(action="round.adapt", subject=f"round:{view.round.id}", detail=detail)
    view = replace(view, template=adapted) if key == BASE else view
    notices = await notify_new(ctx, view, form, key, adapted, added) if added else ()
    invitations: tuple[Message, ...] = ()
    if len(adapted.steps()) != len(template.steps()):
        # "Du får 9 spørgsmål" in an invitation sent before becomes the count of this form.
        invitations = await refresh_invitations(
            ctx, view.round, form, audience(view, form, key), template=adapted
        )
    return (
        say(ctx, "adapt.saved")
        + Reply(notices)
        + Reply(invitations)
        + overview(ctx, view, form, key)
    )
