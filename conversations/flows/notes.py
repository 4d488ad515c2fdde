"""The leader's own preparation per employee: private to that leader, never to the employee.

Notes are keyed by (round, leader, employee); a co-leader keeps their own notes.
"""

from __future__ import annotations

from collections.abc import Mapping

from conversations import policy
from conversations.codec import decode_ints, encode
from conversations.context import Ctx
from conversations.flows.common import RoundView, load_round, require_open, say
from conversations.messages import Form, FormErrors, Note, Reply, TextInput

LIMIT = 3000


async def _leader_round(ctx: Ctx, round_id: int, employee_id: int) -> RoundView:
    """Writing notes: a leader of the round, about one of its employees (the policy)."""
    view = await load_round(ctx, round_id)
    await policy.check(
        policy.access(ctx),
        policy.Do.WRITE_NOTES,
        round_=view.round if view else None,
        round_id=round_id,
        employee_id=employee_id,
    )
    assert view is not None
    require_open(view)
    return view


async def on_button(ctx: Ctx, action: str, value: str) -> Reply:
    if action != "notes.open":
        return say(ctx, "error.stale_button")
    round_id, employee_id = decode_ints(value, count=2)
    view = await load_round(ctx, round_id)
    note = await policy.read_notes(
        policy.access(ctx),
        round_=view.round if view else None,
        round_id=round_id,
        employee_id=employee_id,
    )
    people = await ctx.tx.people.get_many(person_ids=[employee_id])
    name = people[0].display_name if people else "?"
    return Reply(
        (
            Form(
                id="notes.save",
                title=ctx.t("notes.title"),
                submit_label=ctx.t("notes.submit"),
                state=encode(round_id, employee_id),
                intro=(Note(ctx.t("notes.intro", name=name)),),
                inputs=(
                    TextInput(
                        id="note",
                        label=ctx.t("notes.label", name=name),
                        multiline=True,
                        max_length=LIMIT,
                        initial=note.text if note else None,
                        optional=True,
                    ),
                ),
            ),
        )
    )


async def on_form(
    ctx: Ctx, form: str, state: str, values: Mapping[str, str | tuple[str, ...] | None]
) -> Reply:
    if form != "notes.save":
        return say(ctx, "error.stale_button")
    round_id, employee_id = decode_ints(state, count=2)
    await _leader_round(ctx, round_id, employee_id)
    raw = values.get("note")
    text = (raw if isinstance(raw, str) else "").strip()
    if len(text) > LIMIT:
        return Reply(
            (FormErrors(errors={"note": ctx.t("error.too_long", length=len(text), limit=LIMIT)}),)
        )
    await ctx.tx.notes.save(
        round_id=round_id, leader_id=ctx.person.id, employee_id=employee_id, text=text, at=ctx.now
    )
    await ctx.audit(action="notes.save", subject=f"round:{round_id}:person:{employee_id}")
    return say(ctx, "notes.saved")
