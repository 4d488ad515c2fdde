"""`/mus status`: the leader sees who has prepared, and nothing of what they wrote.

Progress is three states per person (not started, under way, shared). How many questions an
employee has answered before sharing is their own business, so it is not shown.
"""

from __future__ import annotations

from conversations import i18n
from conversations.codec import decode_ints, encode
from conversations.context import Ctx
from conversations.domain import Person, PrepSession, PrepStatus
from conversations.flows.common import (
    Refuse,
    RoundView,
    command_prefix,
    load_round,
    rounds_as_leader,
)
from conversations.flows.kickoff import round_facts
from conversations.messages import (
    Block,
    Button,
    Divider,
    Heading,
    Message,
    Note,
    Paragraph,
    Reply,
    ToActor,
)


async def show_status(ctx: Ctx, rest: str) -> Reply:
    views = await rounds_as_leader(ctx)
    if not views:
        if ctx.may_lead():
            raise Refuse("status.no_round", mus=command_prefix(ctx))
        raise Refuse("status.not_leader")
    replies = Reply()
    for view in views:
        replies += await status_reply(ctx, view)
    return replies


async def on_button(ctx: Ctx, action: str, value: str) -> Reply:
    if action != "status.show":
        return Reply()
    round_id = decode_ints(value, count=1)[0]
    view = await load_round(ctx, round_id)
    if view is None or not view.is_leader(ctx.person):
        raise Refuse("error.not_allowed")
    return await status_reply(ctx, view)


async def progress(ctx: Ctx, view: RoundView) -> list[tuple[Person, PrepSession | None]]:
    """Each member with their session (None when they have not opened their prep)."""
    sessions = {s.person_id: s for s in await ctx.tx.prep.sessions(round_id=view.round.id)}
    members = await ctx.tx.people.get_many(person_ids=list(view.team.member_ids))
    return [(m, sessions.get(m.id)) for m in members]


def state_of(session: PrepSession | None) -> PrepStatus:
    return PrepStatus.NOT_STARTED if session is None else session.status


async def status_reply(ctx: Ctx, view: RoundView) -> Reply:
    rows = await progress(ctx, view)
    shared = sum(1 for _, s in rows if state_of(s) == PrepStatus.SHARED)
    await ctx.audit(action="status.view", subject=f"round:{view.round.id}")
    blocks: list[Block] = [
        Heading(ctx.t("status.title", team=view.team.name)),
        Paragraph(ctx.t("status.summary", shared=shared, count=len(rows))),
        round_facts(ctx.locale, view.round, tz_name=ctx.person.timezone),
        Divider(),
    ]
    buttons: list[Button] = []
    for person, session in rows:
        state = state_of(session)
        line = ctx.t(f"status.line.{state.value}", name=person.display_name)
        if state == PrepStatus.SHARED and session is not None and session.shared_at is not None:
            when = i18n.format_date(ctx.locale, session.shared_at.astimezone(ctx.tz).date())
            line = ctx.t("status.line.shared_at", name=person.display_name, when=when)
            buttons.append(
                Button(
                    ctx.t("status.button.view", name=person.display_name),
                    "prep.view",
                    encode(view.round.id, person.id),
                )
            )
        blocks.append(Paragraph(line))
    for person, _ in rows:
        buttons.append(
            Button(
                ctx.t("notes.button.open_for", name=person.display_name),
                "notes.open",
                encode(view.round.id, person.id),
            )
        )
    blocks.append(Note(ctx.t("status.confidential")))
    return Reply(
        (
            Message(
                to=ToActor(),
                text=ctx.t("status.summary", shared=shared, count=len(rows)),
                blocks=tuple(blocks),
                buttons=tuple(buttons),
            ),
        )
    )
