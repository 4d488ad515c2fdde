"""`/mus`, `/mus hjælp`, unknown subcommands, and the hello when the bot is installed."""

from __future__ import annotations

from conversations.commands import visible_to
from conversations.context import Ctx
from conversations.events import InstallEvent
from conversations.flows.common import command_prefix
from conversations.messages import (
    BulletList,
    Heading,
    Message,
    Note,
    Paragraph,
    Reply,
    ToActor,
    ToChannel,
)


async def show_help(ctx: Ctx, rest: str, *, unknown: str | None = None) -> Reply:
    """What this person can do; leaders and admins see their extra commands."""
    mus = command_prefix(ctx)
    commands = visible_to(may_lead=ctx.may_lead(), is_admin=ctx.is_admin())
    lines = [ctx.t(f"help.{command.key}", mus=mus) for command in commands]
    blocks: list = [Heading(ctx.t("help.title"))]
    if unknown:
        blocks.append(Paragraph(ctx.t("help.unknown", word=unknown)))
    blocks += [
        Paragraph(ctx.t("help.intro")),
        BulletList(tuple(lines)),
        Note(ctx.t("common.confidential")),
    ]
    text = ctx.t("help.unknown", word=unknown) if unknown else ctx.t("help.title")
    return Reply((Message(to=ToActor(), text=text, blocks=tuple(blocks)),))


async def greet(ctx: Ctx, event: InstallEvent) -> Reply:
    """Say hello where the bot was added; in a team channel, remember the team."""
    mus = command_prefix(ctx)
    for member in event.members:
        await ctx.tx.people.upsert(
            workspace_id=ctx.workspace.id,
            user_id=member.user_id,
            display_name=member.display_name,
        )
    channel_id = event.context.channel_id
    if channel_id and not event.context.is_direct:
        # The team itself is recorded when a leader starts a round there (it needs a leader);
        # the adapter keeps what it needs to post here later.
        text = ctx.t("install.team", mus=mus)
        to: ToActor | ToChannel = ToChannel(channel_id)
    else:
        text = ctx.t("install.personal", mus=mus)
        to = ToActor()
    return Reply(
        (
            Message(
                to=to,
                text=text,
                blocks=(
                    Heading(ctx.t("help.title")),
                    Paragraph(text),
                    Note(ctx.t("common.confidential")),
                ),
            ),
        )
    )
