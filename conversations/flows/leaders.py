"""`/mus ledere`: an admin names who, besides admins, may start rounds."""

from __future__ import annotations

from collections.abc import Mapping

from conversations import policy
from conversations.actions import FormState, LeadersForm
from conversations.context import Ctx
from conversations.flows.common import say
from conversations.flows.people_picker import people_form, picked, remember
from conversations.messages import Reply


async def open_leaders_form(ctx: Ctx, rest: str) -> Reply:
    await policy.govern(ctx, policy.Govern.NAME_LEADERS, refusal="leaders.not_admin")
    current = await ctx.tx.people.leaders(workspace_id=ctx.workspace.id)
    return people_form(ctx, LeadersForm(), key="leaders", field="leaders", current=current)


async def on_form(
    ctx: Ctx, state: FormState, values: Mapping[str, str | tuple[str, ...] | None]
) -> Reply:
    await policy.govern(ctx, policy.Govern.NAME_LEADERS, refusal="leaders.not_admin")
    wanted = picked(values, "leaders")
    for person in await ctx.tx.people.leaders(workspace_id=ctx.workspace.id):
        if person.user_id not in wanted:
            await ctx.tx.people.set_can_lead(person_id=person.id, can_lead=False)
    names: list[str] = []
    for user_id in wanted:
        person = await remember(ctx, user_id)
        await ctx.tx.people.set_can_lead(person_id=person.id, can_lead=True)
        names.append(person.display_name)
    await ctx.audit(
        action="leaders.set",
        subject=f"workspace:{ctx.workspace.id}",
        detail=",".join(wanted),
    )
    return say(ctx, "leaders.saved", names=", ".join(names) or "–")
