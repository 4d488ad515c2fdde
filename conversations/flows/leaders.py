"""`/mus ledere`: an admin names who, besides admins, may start rounds."""

from __future__ import annotations

from collections.abc import Mapping

from conversations import i18n, policy
from conversations.context import Ctx
from conversations.flows.common import say
from conversations.messages import Form, Note, PeopleInput, Reply


async def open_leaders_form(ctx: Ctx, rest: str) -> Reply:
    await policy.govern(ctx, policy.Govern.NAME_LEADERS, refusal="leaders.not_admin")
    current = await ctx.tx.people.leaders(workspace_id=ctx.workspace.id)
    return Reply(
        (
            Form(
                id="leaders.save",
                title=ctx.t("leaders.title"),
                submit_label=ctx.t("leaders.submit"),
                intro=(Note(ctx.t("leaders.intro")),),
                inputs=(
                    PeopleInput(
                        id="leaders",
                        label=ctx.t("leaders.label"),
                        initial=tuple(p.user_id for p in current),
                        optional=True,
                    ),
                ),
            ),
        )
    )


async def on_form(
    ctx: Ctx, form: str, state: str, values: Mapping[str, str | tuple[str, ...] | None]
) -> Reply:
    await policy.govern(ctx, policy.Govern.NAME_LEADERS, refusal="leaders.not_admin")
    raw = values.get("leaders")
    wanted = set(
        raw if isinstance(raw, tuple) else (r.strip() for r in (raw or "").split(",") if r.strip())
    )
    for person in await ctx.tx.people.leaders(workspace_id=ctx.workspace.id):
        if person.user_id not in wanted:
            await ctx.tx.people.set_can_lead(person_id=person.id, can_lead=False)
    names: list[str] = []
    for user_id in sorted(wanted):
        found = await ctx.directory.lookup(user_id=user_id)
        person = await ctx.tx.people.upsert(
            workspace_id=ctx.workspace.id,
            user_id=user_id,
            display_name=found.display_name if found else None,
            locale=i18n.language(found.locale) if found and found.locale else None,
            timezone=found.timezone if found else None,
        )
        await ctx.tx.people.set_can_lead(person_id=person.id, can_lead=True)
        names.append(person.display_name)
    await ctx.audit(
        action="leaders.set",
        subject=f"workspace:{ctx.workspace.id}",
        detail=",".join(sorted(wanted)),
    )
    return say(ctx, "leaders.saved", names=", ".join(names) or "–")
