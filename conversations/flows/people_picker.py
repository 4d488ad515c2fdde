"""The admin's "who" forms (who may lead rounds, who sits on the committee): one people picker.

Why shared: both show the current people in a picker, read the chosen platform user ids the
same way (a tuple from Slack/Teams pickers, a comma list from text) and store each chosen
person with the profile the platform gives; only the texts and what is saved differ.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from conversations import i18n
from conversations.actions import FormState
from conversations.context import Ctx
from conversations.domain import Person
from conversations.messages import Note, PeopleInput, Reply

Values = Mapping[str, str | tuple[str, ...] | None]


def people_form(
    ctx: Ctx, state: FormState, *, key: str, field: str, current: Sequence[Person]
) -> Reply:
    """The picker form: texts `<key>.title/.submit/.intro/.label`, the current people chosen."""
    return Reply(
        (
            state.form(
                title=ctx.t(f"{key}.title"),
                submit_label=ctx.t(f"{key}.submit"),
                intro=(Note(ctx.t(f"{key}.intro")),),
                inputs=(
                    PeopleInput(
                        id=field,
                        label=ctx.t(f"{key}.label"),
                        initial=tuple(p.user_id for p in current),
                        optional=True,
                    ),
                ),
            ),
        )
    )


def picked(values: Values, field: str) -> list[str]:
    """The chosen platform user ids, sorted, without blanks or repeats."""
    raw = values.get(field)
    chosen = raw if isinstance(raw, tuple) else (r.strip() for r in (raw or "").split(","))
    return sorted(set(chosen) - {""})


async def remember(ctx: Ctx, user_id: str) -> Person:
    """The chosen person as stored, with the name, language and time zone the platform gives."""
    found = await ctx.directory.lookup(user_id=user_id)
    return await ctx.tx.people.upsert(
        workspace_id=ctx.workspace.id,
        user_id=user_id,
        display_name=found.display_name if found else None,
        locale=i18n.language(found.locale) if found and found.locale else None,
        timezone=found.timezone if found else None,
    )
