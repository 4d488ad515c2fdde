"""The material for a booked conversation, read in a private view (not a chat message).

The day-before reminder says only that the material is ready, with a button; pressing it
shows the employee their own preparation, and a leader the shared preparation and their own
notes, where the platform keeps no copy in the chat history (a Slack modal; the web chat).
"""

from __future__ import annotations

from conversations import policy
from conversations.codec import decode_ints
from conversations.context import Ctx
from conversations.flows.common import Refuse, load_round, say
from conversations.messages import Message, Reply, ToActor
from conversations.reminders import _booking_before


async def on_button(ctx: Ctx, action: str, value: str) -> Reply:
    if action != "material.booking":
        return say(ctx, "error.stale_button")
    round_id, employee_id = decode_ints(value, count=2)
    view = await load_round(ctx, round_id)
    # The employee of the round, or one of its leaders; nobody else: the policy decides,
    # audits (`material.view`, or `material.view_denied`) and reads.
    read = await policy.read_booking_material(
        policy.access(ctx),
        round_=view.round if view else None,
        round_id=round_id,
        employee_id=employee_id,
    )
    assert view is not None
    found = await ctx.tx.people.get_many(person_ids=[employee_id])
    if not found:
        raise Refuse("error.not_allowed")
    # The reminder's own material, rendered now for this reader.
    material = await _booking_before(
        tx=ctx.tx,
        round_=view.round,
        team=view.team,
        template=view.template,
        recipient=ctx.person,
        employee=found[0],
        now=ctx.now,
        content_in_messages=True,
        material=read,
    )
    if material is None:
        return say(ctx, "reminder.booking.gone")
    return Reply(
        (
            Message(
                to=ToActor(),
                text=material.text,
                blocks=material.blocks,
                private=not ctx.settings.content_in_messages,
            ),
        )
    )
