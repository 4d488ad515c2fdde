"""Reminder kinds: when each is scheduled, and what it says when it is due.

A reminder row holds only who, what and when; the text is rendered at send time from the
current data, in the recipient's language. So a prep nudge for someone who has shared since
renders to nothing and is cancelled, and a rescheduled conversation never reminds of the old
time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from conversations import i18n, policy
from conversations.codec import encode
from conversations.context import zone
from conversations.domain import (
    ItemStatus,
    Person,
    PrepStatus,
    Reminder,
    Round,
    Team,
    agreed_version,
    item_status,
)
from conversations.messages import Block, Button, Heading, Message, Note, Paragraph, Quote, ToPerson
from conversations.ports import Tx
from conversations.schedule import WorkingHours, morning_of, next_allowed, working_day_before
from conversations.templates.model import Template

PREP_NUDGE = "prep.nudge"
BOOKING_BEFORE = "booking.before"
PLAN_FOLLOW_UP = "plan.follow_up"

# Prep nudges go out this many days before the deadline (and on the day, if still not shared).
PREP_NUDGE_DAYS = (3, 1)


def prep_key(round_id: int, person_id: int, day: date) -> str:
    """One key per person per day: at most one prep nudge a day, whatever schedules it."""
    return f"prep:{round_id}:{person_id}:{day.isoformat()}"


async def schedule_prep_nudges(
    *, tx: Tx, round_: Round, people: list[Person], now: datetime, hours: WorkingHours
) -> None:
    for person in people:
        for days in PREP_NUDGE_DAYS:
            day = round_.prep_deadline - timedelta(days=days)
            due = morning_of(day=day, timezone=person.timezone, hours=hours)
            if due <= now or due.date() > round_.prep_deadline:
                continue
            local_day = due.astimezone(zone(person.timezone)).date()
            await tx.outbox.schedule(
                key=prep_key(round_.id, person.id, local_day),
                kind=PREP_NUDGE,
                round_id=round_.id,
                recipient_id=person.id,
                subject_id=person.id,
                due_at=due,
            )


async def snooze_prep(
    *, tx: Tx, round_id: int, person: Person, now: datetime, hours: WorkingHours
) -> datetime:
    """ "Remind me tomorrow": the next working morning after today, once."""
    tomorrow = now.astimezone(zone(person.timezone)).date() + timedelta(days=1)
    due = morning_of(day=tomorrow, timezone=person.timezone, hours=hours)
    day = due.astimezone(zone(person.timezone)).date()
    await tx.outbox.schedule(
        key=prep_key(round_id, person.id, day),
        kind=PREP_NUDGE,
        round_id=round_id,
        recipient_id=person.id,
        subject_id=person.id,
        due_at=due,
    )
    return due


async def schedule_booking_reminders(
    *,
    tx: Tx,
    round_id: int,
    employee: Person,
    leaders: list[Person],
    starts_at: datetime,
    hours: WorkingHours,
) -> None:
    """The working day before the conversation, each with their own material."""
    for person in (employee, *leaders):
        local = starts_at.astimezone(zone(person.timezone)).date()
        day = working_day_before(day=local, hours=hours)
        due = morning_of(day=day, timezone=person.timezone, hours=hours)
        await tx.outbox.schedule(
            key=f"booking:{round_id}:{employee.id}:{person.id}",
            kind=BOOKING_BEFORE,
            round_id=round_id,
            recipient_id=person.id,
            subject_id=employee.id,
            due_at=due,
        )


async def schedule_follow_up(
    *,
    tx: Tx,
    round_id: int,
    employee: Person,
    leaders: list[Person],
    day: date,
    hours: WorkingHours,
) -> None:
    """On the plan's follow-up date, a working-day morning, both parties are nudged."""
    for person in (employee, *leaders):
        await tx.outbox.schedule(
            key=f"followup:{round_id}:{employee.id}:{person.id}",
            kind=PLAN_FOLLOW_UP,
            round_id=round_id,
            recipient_id=person.id,
            subject_id=employee.id,
            due_at=morning_of(day=day, timezone=person.timezone, hours=hours),
        )


@dataclass(frozen=True, slots=True)
class Due:
    """A rendered reminder: where to send it and what it says."""

    platform: str
    workspace_external_id: str
    recipient: Person
    message: Message


async def render(
    *,
    tx: Tx,
    reminder: Reminder,
    now: datetime,
    hours: WorkingHours,
    content_in_messages: bool = False,
) -> Due | datetime | None:
    """The message for a due reminder; None when it no longer applies; a later time when it
    may not be sent now (outside the recipient's working hours)."""
    recipient = await tx.people.get(person_id=reminder.recipient_id)
    round_ = await tx.rounds.get(round_id=reminder.round_id)
    if recipient is None or round_ is None:
        return None
    team = await tx.teams.get(team_id=round_.team_id)
    workspace = await tx.workspaces.get(workspace_id=recipient.workspace_id)
    if team is None or workspace is None:
        return None
    allowed = next_allowed(at=now, timezone=recipient.timezone, hours=hours)
    if allowed > now:
        return allowed
    subject = await tx.people.get(person_id=reminder.subject_id) if reminder.subject_id else None
    message: Message | None
    if reminder.kind == PREP_NUDGE:
        message = await _prep_nudge(
            tx=tx, round_=round_, person=recipient, reminder=reminder, now=now
        )
    elif reminder.kind == BOOKING_BEFORE and subject is not None:
        message = await _booking_before(
            tx=tx,
            round_=round_,
            team=team,
            template=Template.model_validate(round_.template),
            recipient=recipient,
            employee=subject,
            now=now,
            content_in_messages=content_in_messages,
        )
    elif reminder.kind == PLAN_FOLLOW_UP and subject is not None:
        message = await follow_up_message(
            tx=tx,
            round_=round_,
            template=Template.model_validate(round_.template),
            recipient=recipient,
            employee=subject,
            now=now,
        )
    else:
        message = None
    if message is None:
        return None
    return Due(
        platform=workspace.platform,
        workspace_external_id=workspace.external_id,
        recipient=recipient,
        message=message,
    )


async def _prep_nudge(
    *, tx: Tx, round_: Round, person: Person, reminder: Reminder, now: datetime
) -> Message | None:
    """Only for the day it was meant for (one a day, none after a downtime), only before the
    deadline, and never to someone who has shared or whose conversation is held."""
    today = now.astimezone(zone(person.timezone)).date()
    if today > round_.prep_deadline or not reminder.key.endswith(today.isoformat()):
        return None
    session = await tx.prep.get_session(round_id=round_.id, person_id=person.id)
    if session is not None and (
        session.status == PrepStatus.SHARED or session.conversation_held_at is not None
    ):
        return None
    loc = person.locale
    text = i18n.t(loc, "reminder.prep", deadline=i18n.format_date(loc, round_.prep_deadline))
    return Message(
        to=ToPerson(person.user_id),
        text=text,
        blocks=(Paragraph(text),),
        buttons=(
            Button(
                i18n.t(loc, "home.button.continue"), "prep.open", encode(round_.id), style="primary"
            ),
            Button(i18n.t(loc, "reminder.button.tomorrow"), "reminder.snooze", encode(round_.id)),
        ),
    )


async def _booking_before(
    *,
    tx: Tx,
    round_: Round,
    team: Team,
    template: Template,
    recipient: Person,
    employee: Person,
    now: datetime,
    content_in_messages: bool = False,
    material: policy.BookingMaterial | None = None,
) -> Message | None:
    """The day-before reminder. By default it says only when and with whom, and the material
    (prep, notes) is read in a private view (`flows.material`, which calls this with
    `content_in_messages=True` and what it read through the policy), so no chat history
    keeps a copy of it. Nothing is read (or audited) for a reminder that shows no content."""
    booking = await tx.bookings.get(round_id=round_.id, employee_id=employee.id)
    if booking is None or booking.starts_at <= now:
        return None  # no longer "tomorrow": a reminder after the fact helps nobody
    held = await tx.prep.get_session(round_id=round_.id, person_id=employee.id)
    if held is not None and held.conversation_held_at is not None:
        return None
    loc = recipient.locale
    when = i18n.format_datetime(loc, booking.starts_at.astimezone(zone(recipient.timezone)))
    if not content_in_messages:
        own = recipient.id == employee.id
        text = (
            i18n.t(loc, "reminder.booking.employee", when=when)
            if own
            else i18n.t(loc, "reminder.booking.leader", when=when, name=employee.display_name)
        )
        return Message(
            to=ToPerson(recipient.user_id),
            text=text,
            blocks=(Heading(text), Note(i18n.t(loc, "reminder.booking.private_hint"))),
            buttons=(
                Button(
                    i18n.t(loc, "reminder.booking.read"),
                    "material.booking",
                    encode(round_.id, employee.id),
                    style="primary",
                    private=True,
                ),
            ),
        )
    if material is None:
        # The recipient's material, as the policy lets them see it (and audits): the
        # employee their own prep; a leader the prep once shared, and their own notes.
        try:
            material = await policy.read_booking_material(
                policy.Access(tx=tx, actor=recipient, now=now),
                round_=round_,
                round_id=round_.id,
                employee_id=employee.id,
            )
        except policy.Denied:
            return None  # no longer a party (a changed round): nothing to remind of
    session = material.session
    from conversations.flows.common import RoundView
    from conversations.flows.prep import answer_blocks

    view = RoundView(round=round_, team=team, template=template)
    answers = material.answers
    blocks: list[Block]
    if recipient.id == employee.id:
        text = i18n.t(loc, "reminder.booking.employee", when=when)
        blocks = [Heading(text), Note(i18n.t(loc, "reminder.booking.own_material"))]
        blocks += answer_blocks(loc, view, answers or {}, shared_at=session)
    else:
        text = i18n.t(loc, "reminder.booking.leader", when=when, name=employee.display_name)
        blocks = [Heading(text)]
        if answers is not None:
            blocks += answer_blocks(loc, view, answers, shared_at=session)
        else:
            blocks.append(Paragraph(i18n.t(loc, "prep.not_shared", name=employee.display_name)))
        note = material.note
        if note is not None and note.text:
            blocks.append(Quote(note.text, label=i18n.t(loc, "notes.title")))
        blocks.append(Note(i18n.t(loc, "prep.leader_confidential")))
    return Message(to=ToPerson(recipient.user_id), text=text, blocks=tuple(blocks))


async def follow_up_message(
    *,
    tx: Tx,
    round_: Round,
    template: Template,
    recipient: Person,
    employee: Person,
    now: datetime,
) -> Message | None:
    """The agreed plan with its items' statuses, read for `recipient` through the policy."""
    try:
        plan = await policy.read_plan(
            policy.Access(tx=tx, actor=recipient, now=now),
            round_=round_,
            round_id=round_.id,
            employee_id=employee.id,
            detail="follow-up",
        )
    except policy.Denied:
        return None  # no longer a party to the plan
    agreed = agreed_version(plan.versions)
    if agreed is None:
        return None
    progress = plan.progress
    loc = recipient.locale
    text = (
        i18n.t(loc, "reminder.follow_up.employee")
        if recipient.id == employee.id
        else i18n.t(loc, "reminder.follow_up.leader", name=employee.display_name)
    )
    blocks: list[Block] = [Heading(text), Note(i18n.t(loc, "reminder.follow_up.hint"))]
    buttons: list[Button] = []
    first = template.plan.fields[0]
    for n, item in enumerate(agreed.items, start=1):
        status = item_status(progress, item.id)
        blocks.append(
            Quote(
                item.fields.get(first.id, ""),
                label=f"{n}. {first.label} · {i18n.t(loc, f'plan.status.{status.value}')}",
            )
        )
        for choice in ItemStatus:
            if choice != status:
                buttons.append(
                    Button(
                        f"{i18n.t(loc, 'plan.item_label', n=n)}: "
                        f"{i18n.t(loc, f'plan.status.{choice.value}')}",
                        "plan.status",
                        encode(round_.id, employee.id, item.id, choice.value),
                    )
                )
    return Message(
        to=ToPerson(recipient.user_id), text=text, blocks=tuple(blocks), buttons=tuple(buttons)
    )
