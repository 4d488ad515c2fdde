""" "Remind me tomorrow", and the leader's view of what is scheduled and what failed."""

from __future__ import annotations

from conversations import i18n, policy
from conversations.actions import ButtonAction, ReminderLater, ReminderList, ReminderSnooze
from conversations.context import Ctx
from conversations.domain import ReminderState, agreed_version
from conversations.flows.common import Refuse, load_round, rounds_as_leader, say
from conversations.messages import Block, Heading, Message, Note, Paragraph, Reply, ToActor
from conversations.reminders import snooze_follow_up, snooze_prep


async def on_button(ctx: Ctx, action: ButtonAction) -> Reply:
    if isinstance(action, ReminderLater):
        return await _later(ctx, action.round_id, action.employee_id)
    if not isinstance(action, ReminderSnooze | ReminderList):
        return say(ctx, "error.stale_button")
    round_id = action.round_id
    view = await load_round(ctx, round_id)
    found = view.round if view else None
    access = policy.access(ctx)
    if isinstance(action, ReminderSnooze):
        await policy.check(
            access, policy.Do.SNOOZE, round_=found, round_id=round_id, employee_id=ctx.person.id
        )
        due = await snooze_prep(
            tx=ctx.tx, round_id=round_id, person=ctx.person, now=ctx.now, hours=ctx.settings.hours()
        )
        return say(
            ctx, "reminder.snoozed", when=i18n.format_datetime(ctx.locale, due.astimezone(ctx.tz))
        )
    await policy.check(
        access, policy.Do.LIST_REMINDERS, round_=found, round_id=round_id, employee_id=None
    )
    return await list_for_round(ctx, round_id)


async def _later(ctx: Ctx, round_id: int, employee_id: int) -> Reply:
    """ "Mind mig om det i morgen" on a follow-up nudge, for the party who pressed it."""
    view = await load_round(ctx, round_id)
    await policy.check(
        policy.access(ctx),
        policy.Do.SNOOZE_FOLLOW_UP,
        round_=view.round if view else None,
        round_id=round_id,
        employee_id=employee_id,
    )
    agreed = agreed_version(await ctx.tx.plans.versions(round_id=round_id, employee_id=employee_id))
    if agreed is None or agreed.follow_up_on is None:
        return say(ctx, "error.stale_button")
    due = await snooze_follow_up(
        tx=ctx.tx,
        round_id=round_id,
        employee_id=employee_id,
        day=agreed.follow_up_on,
        person=ctx.person,
        now=ctx.now,
        hours=ctx.settings.hours(),
    )
    return say(
        ctx, "reminder.snoozed", when=i18n.format_datetime(ctx.locale, due.astimezone(ctx.tz))
    )


async def list_command(ctx: Ctx, rest: str) -> Reply:
    views = await rounds_as_leader(ctx)
    if not views:
        raise Refuse("status.not_leader")
    return await list_for_round(ctx, views[0].round.id)


async def list_for_round(ctx: Ctx, round_id: int) -> Reply:
    """Exactly what is pending and what was sent (and what failed): names and times, never
    the content. Withdrawn reminders (cancelled) are left out: they will never come."""
    reminders = await ctx.tx.outbox.for_round(round_id=round_id)
    people = await ctx.people_by_id(list({r.recipient_id for r in reminders}))
    blocks: list[Block] = [Heading(ctx.t("reminder.list_title"))]
    sections = (
        ("reminder.section.pending", (ReminderState.PENDING, ReminderState.SENDING)),
        ("reminder.section.sent", (ReminderState.SENT,)),
        ("reminder.section.failed", (ReminderState.FAILED,)),
    )
    shown = 0
    for title, wanted in sections:
        rows = [r for r in reminders if r.state in wanted]
        if not rows:
            continue
        blocks.append(Paragraph(ctx.t(title, count=len(rows))))
        for reminder in rows:
            shown += 1
            who = (
                people[reminder.recipient_id].display_name
                if reminder.recipient_id in people
                else "?"
            )
            when = i18n.format_datetime(
                ctx.locale, (reminder.sent_at or reminder.goes_at).astimezone(ctx.tz)
            )
            line = ctx.t(
                "reminder.line",
                kind=ctx.t(f"reminder.kind.{reminder.kind}"),
                who=who,
                when=when,
                state=ctx.t(f"reminder.state.{reminder.state.value}"),
            )
            if reminder.state == ReminderState.FAILED and reminder.last_error:
                line += f" – {_failure(ctx, reminder.last_error)}"
            blocks.append(Paragraph(line))
    if not shown:
        blocks.append(Paragraph(ctx.t("reminder.none")))
    blocks.append(Note(ctx.t("reminder.rules")))
    return Reply((Message(to=ToActor(), text=ctx.t("reminder.list_title"), blocks=tuple(blocks)),))


def _failure(ctx: Ctx, error: str) -> str:
    """A platform error kind ("user_gone") in the words a failed send uses; else as recorded."""
    key = f"delivery.reason.{error}"
    return ctx.t(key) if key in i18n.catalog(i18n.DEFAULT) else error
