"""Reminder kinds: when each is scheduled, and what it says when it is due.

A reminder row holds only who, what and when; the text is rendered at send time from the
current data, in the recipient's language. So a prep nudge for someone who has shared since
renders to nothing and is cancelled, and a rescheduled conversation never reminds of the old
time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from conversations import i18n, policy
from conversations.actions import (
    MaterialBooking,
    PlanOpen,
    PlanStatus,
    PrepOpen,
    ReminderLater,
    ReminderSnooze,
    SummaryCloseAsk,
)
from conversations.context import zone
from conversations.domain import (
    ItemStatus,
    Person,
    Phase,
    PrepStatus,
    Reminder,
    ReminderState,
    Round,
    Team,
    agreed_version,
    item_status,
)
from conversations.lifecycles.action_item import ActionState
from conversations.messages import Block, Button, Heading, Message, Note, Paragraph, Quote, ToPerson
from conversations.ports import Tx
from conversations.schedule import WorkingHours, morning_of, next_allowed, working_day_before
from conversations.templates.model import Template
from conversations.year import TeamAction

PREP_NUDGE = "prep.nudge"
BOOKING_BEFORE = "booking.before"
PLAN_FOLLOW_UP = "plan.follow_up"
ROUND_UNCLOSED = "round.unclosed"
TEAM_ACTION_DUE = "team_action.due"
SUMMARY_WAITING = "summary.waiting"
PREP_RELEASE = "prep.release"  # the invitation, on the day the leader set for release

# A round nobody closed is flagged to its leaders and the admins this long after its start.
UNCLOSED_AFTER_MONTHS = 13


def months_later(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter)."""
    import calendar

    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


async def schedule_unclosed_flag(
    *, tx: Tx, round_: Round, people: list[Person], hours: WorkingHours
) -> None:
    """13 months after the start, if the round is still open then (checked at send time)."""
    day = months_later(round_.created_at.date(), UNCLOSED_AFTER_MONTHS)
    for person in people:
        await tx.outbox.schedule(
            key=f"unclosed:{round_.id}:{person.id}",
            kind=ROUND_UNCLOSED,
            round_id=round_.id,
            recipient_id=person.id,
            subject_id=None,
            due_at=morning_of(day=day, timezone=person.timezone, hours=hours),
        )


def team_action_key(item: TeamAction, owner_id: int) -> str:
    """One reminder per owner per agreement and date."""
    return f"teamaction:{item.round_id}:{item.id}:{owner_id}:{item.due_on.isoformat()}"


async def schedule_team_action(
    *, tx: Tx, action: TeamAction, owner: Person, hours: WorkingHours
) -> None:
    """An owner of an agreement of the team's action plan hears of it on its date."""
    await tx.outbox.schedule(
        key=team_action_key(action, owner.id),
        kind=TEAM_ACTION_DUE,
        round_id=action.round_id,
        recipient_id=owner.id,
        subject_id=None,
        due_at=morning_of(day=action.due_on, timezone=owner.timezone, hours=hours),
    )


def _next_morning(*, now: datetime, person: Person, hours: WorkingHours) -> tuple[datetime, date]:
    """ "Remind me tomorrow": the first working morning after today in the person's zone, and
    its local day (which keys the snooze, so a second press the same day changes nothing)."""
    tomorrow = now.astimezone(zone(person.timezone)).date() + timedelta(days=1)
    due = morning_of(day=tomorrow, timezone=person.timezone, hours=hours)
    return due, due.astimezone(zone(person.timezone)).date()


def _team_action_prefix(item: TeamAction) -> str:
    return f"teamaction:{item.round_id}:{item.id}:"


async def snooze_team_action(
    *, tx: Tx, item: TeamAction, owner: Person, now: datetime, hours: WorkingHours
) -> datetime:
    """ "Remind me tomorrow" on an owner's reminder: the next working morning, once a day."""
    due, local = _next_morning(now=now, person=owner, hours=hours)
    await tx.outbox.schedule(
        key=f"{team_action_key(item, owner.id)}:snooze:{local.isoformat()}",
        kind=TEAM_ACTION_DUE,
        round_id=item.round_id,
        recipient_id=owner.id,
        subject_id=None,
        due_at=due,
    )
    return due


async def cancel_team_action(*, tx: Tx, item: TeamAction) -> None:
    """Every pending reminder of an agreement (each owner's, snoozed ones too) is withdrawn;
    those already sent stay sent."""
    prefix = _team_action_prefix(item)
    for reminder in await tx.outbox.for_round(round_id=item.round_id):
        if (
            reminder.kind == TEAM_ACTION_DUE
            and reminder.key.startswith(prefix)
            and reminder.state == ReminderState.PENDING
        ):
            await tx.outbox.cancel(key=reminder.key)


async def _team_action_due(
    *, tx: Tx, round_: Round, team: Team, reminder: Reminder, recipient: Person
) -> Message | None:
    """Only while the agreement is open or under way, only to one of its owners, and only for
    the date it has now (a reminder for a date since changed says nothing)."""
    parts = reminder.key.split(":")
    try:
        action_id = int(parts[2])
        day = date.fromisoformat(parts[4])
    except (IndexError, ValueError):
        return None
    item = await tx.team_actions.get(action_id=action_id)
    if (
        item is None
        or item.round_id != round_.id
        or recipient.id not in item.owner_ids
        or item.state not in (ActionState.OPEN, ActionState.UNDER_WAY)
        or item.due_on != day
    ):
        return None
    from conversations.flows.actionplan import team_action_message

    people = {p.id: p for p in await tx.people.get_many(person_ids=list(item.owner_ids))}
    return team_action_message(
        people=people, team=team, round_=round_, item=item, recipient=recipient
    )


async def schedule_waiting_items(
    *, tx: Tx, round_: Round, leaders: list[Person], hours: WorkingHours
) -> None:
    """The working morning after the summary meeting, each leader hears of the plan items
    that waited for it (rendered then: only items still waiting are listed)."""
    if round_.summary_at is None:
        return
    for person in leaders:
        day = round_.summary_at.astimezone(zone(person.timezone)).date() + timedelta(days=1)
        await tx.outbox.schedule(
            key=f"waiting:{round_.id}:{person.id}",
            kind=SUMMARY_WAITING,
            round_id=round_.id,
            recipient_id=person.id,
            subject_id=None,
            due_at=morning_of(day=day, timezone=person.timezone, hours=hours),
        )


# Prep nudges go out this many days before the deadline (and on the day, if still not shared).
PREP_NUDGE_DAYS = (3, 1)


def release_key(round_id: int, person_id: int) -> str:
    return f"release:{round_id}:{person_id}"


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
    due, day = _next_morning(now=now, person=person, hours=hours)
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


def follow_up_key(round_id: int, employee_id: int, recipient_id: int, day: date) -> str:
    """One nudge per person per follow-up *date*: a date changed by a re-approved version is a
    new key (so it is nudged even if the earlier date was), the same date is never nudged twice."""
    return f"followup:{round_id}:{employee_id}:{recipient_id}:{day.isoformat()}"


def follow_up_day(key: str) -> date | None:
    """The follow-up date a follow-up reminder's key is for (snoozed ones too)."""
    parts = key.split(":")
    try:
        return date.fromisoformat(parts[4]) if len(parts) > 4 else None
    except ValueError:
        return None


async def schedule_follow_up(
    *,
    tx: Tx,
    round_id: int,
    employee: Person,
    leaders: list[Person],
    day: date,
    hours: WorkingHours,
) -> None:
    """On the plan's follow-up date, a working-day morning, both parties are nudged. A pending
    nudge for an earlier date of this plan is replaced (cancelled), a sent one stays sent."""
    await tx.outbox.cancel_for_subject(
        round_id=round_id, subject_id=employee.id, kinds=(PLAN_FOLLOW_UP,)
    )
    for person in (employee, *leaders):
        await tx.outbox.schedule(
            key=follow_up_key(round_id, employee.id, person.id, day),
            kind=PLAN_FOLLOW_UP,
            round_id=round_id,
            recipient_id=person.id,
            subject_id=employee.id,
            due_at=morning_of(day=day, timezone=person.timezone, hours=hours),
        )


async def snooze_follow_up(
    *,
    tx: Tx,
    round_id: int,
    employee_id: int,
    day: date,
    person: Person,
    now: datetime,
    hours: WorkingHours,
) -> datetime:
    """ "Remind me tomorrow" on a follow-up nudge: the next working morning, once a day."""
    due, local = _next_morning(now=now, person=person, hours=hours)
    await tx.outbox.schedule(
        key=f"{follow_up_key(round_id, employee_id, person.id, day)}:snooze:{local.isoformat()}",
        kind=PLAN_FOLLOW_UP,
        round_id=round_id,
        recipient_id=person.id,
        subject_id=employee_id,
        due_at=due,
    )
    return due


async def follow_up_started(*, tx: Tx, round_id: int, employee_id: int, day: date) -> bool:
    """Has a nudge for this follow-up date gone out (to either party)?"""
    return any(
        r.kind == PLAN_FOLLOW_UP
        and r.subject_id == employee_id
        and r.state == ReminderState.SENT
        and follow_up_day(r.key) == day
        for r in await tx.outbox.for_round(round_id=round_id)
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
            template=await _form_of(tx=tx, round_=round_, person_id=subject.id),
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
            day=follow_up_day(reminder.key),
            now=now,
        )
    elif reminder.kind == TEAM_ACTION_DUE:
        message = await _team_action_due(
            tx=tx, round_=round_, team=team, reminder=reminder, recipient=recipient
        )
    elif reminder.kind == ROUND_UNCLOSED:
        message = _unclosed(round_=round_, team=team, recipient=recipient)
    elif reminder.kind == SUMMARY_WAITING:
        message = await _waiting_items(tx=tx, round_=round_, recipient=recipient, now=now)
    elif reminder.kind == PREP_RELEASE:
        message = await _release(tx=tx, round_=round_, recipient=recipient, now=now)
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


def _unclosed(*, round_: Round, team: Team, recipient: Person) -> Message | None:
    """The round is still open 13 months on: next year's round cannot start until it closes."""
    if round_.phase == Phase.CLOSED:
        return None
    loc = recipient.locale
    text = i18n.t(
        loc,
        "reminder.unclosed",
        team=team.name,
        started=i18n.format_date(loc, round_.created_at.date()),
    )
    return Message(
        to=ToPerson(recipient.user_id),
        text=text,
        blocks=(Paragraph(text),),
        buttons=(
            SummaryCloseAsk(round_id=round_.id).button(
                i18n.t(loc, "round.close.button"), style="primary"
            ),
        ),
    )


async def _waiting_items(
    *, tx: Tx, round_: Round, recipient: Person, now: datetime
) -> Message | None:
    """For a leader after the summary meeting: whose agreed plans have items that waited for
    it, each with the plan to complete and approve again. Read through the policy."""
    access = policy.Access(tx=tx, actor=recipient, now=now)
    people = await tx.people.get_many(person_ids=list(round_.member_ids))
    loc = recipient.locale
    blocks: list[Block] = []
    buttons: list[Button] = []
    for person in people:
        try:
            read = await policy.read_plan(
                access, round_=round_, round_id=round_.id, employee_id=person.id
            )
        except policy.Denied:
            return None  # no longer the round's leader
        agreed = agreed_version(read.versions)
        if agreed is None:
            continue
        waiting = sum(1 for item in agreed.items if item.waits_for_summary)
        if waiting:
            blocks.append(
                Paragraph(i18n.t(loc, "reminder.waiting.line", name=person.display_name, n=waiting))
            )
            buttons.append(
                PlanOpen(round_id=round_.id, employee_id=person.id).button(person.display_name)
            )
    if not blocks:
        return None
    text = i18n.t(loc, "reminder.waiting.title")
    blocks = [Heading(text), *blocks, Note(i18n.t(loc, "reminder.waiting.hint"))]
    return Message(
        to=ToPerson(recipient.user_id), text=text, blocks=tuple(blocks), buttons=tuple(buttons)
    )


async def _form_of(*, tx: Tx, round_: Round, person_id: int) -> Template:
    """The form a member prepared: their sub-group's, or the round's."""
    form = await tx.round_forms.get(round_id=round_.id)
    group = form.group_of(person_id) if form is not None else None
    return Template.model_validate(group.template if group else round_.template)


async def _release(*, tx: Tx, round_: Round, recipient: Person, now: datetime) -> Message | None:
    """Preparation opens on the day the leader set: the form is out, the member invited."""
    from conversations.flows.kickoff import invitation

    form = await tx.round_forms.get(round_id=round_.id)
    if form is None or recipient.id not in round_.member_ids:
        return None
    if form.held:
        form = replace(form, held=False, released_at=now)
        await tx.round_forms.save(form=form)
    template = await _form_of(tx=tx, round_=round_, person_id=recipient.id)
    leader = await tx.people.get(person_id=round_.started_by)
    return invitation(
        round_=round_,
        member=recipient,
        template=template,
        leader_name=leader.display_name if leader else "",
    )


async def _prep_nudge(
    *, tx: Tx, round_: Round, person: Person, reminder: Reminder, now: datetime
) -> Message | None:
    """Only for the day it was meant for (one a day, none after a downtime), only before the
    deadline, and never to someone who has shared or whose conversation is held."""
    today = now.astimezone(zone(person.timezone)).date()
    if today > round_.prep_deadline or not reminder.key.endswith(today.isoformat()):
        return None
    form = await tx.round_forms.get(round_id=round_.id)
    if form is not None and form.held and (form.release_on is None or today < form.release_on):
        return None  # preparation is not out yet: nothing to remind of
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
            PrepOpen(round_id=round_.id).button(
                i18n.t(loc, "home.button.continue"), style="primary"
            ),
            ReminderSnooze(round_id=round_.id).button(i18n.t(loc, "reminder.button.tomorrow")),
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
                MaterialBooking(round_id=round_.id, employee_id=employee.id).button(
                    i18n.t(loc, "reminder.booking.read"), style="primary", private=True
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
    day: date | None = None,
) -> Message | None:
    """The agreed plan with its items' statuses, read for `recipient` through the policy.
    `day`: the date the nudge is for; a nudge for a date the plan in force no longer has
    renders to nothing."""
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
    if agreed is None or (day is not None and agreed.follow_up_on != day):
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
                    PlanStatus(
                        round_id=round_.id, employee_id=employee.id, item_id=item.id, status=choice
                    ).button(
                        f"{i18n.t(loc, 'plan.item_label', n=n)}: "
                        f"{i18n.t(loc, f'plan.status.{choice.value}')}"
                    )
                )
    if agreed.follow_up_on is not None:
        buttons.append(
            ReminderLater(round_id=round_.id, employee_id=employee.id).button(
                i18n.t(loc, "reminder.button.tomorrow")
            )
        )
    return Message(
        to=ToPerson(recipient.user_id), text=text, blocks=tuple(blocks), buttons=tuple(buttons)
    )
