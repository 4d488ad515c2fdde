"""Booking each employee's conversation, the calendar invite, and marking it held.

Only a leader of the round books. Both parties get the invite (an .ics file, which every
calendar understands) and, the working day before, a reminder with their own material.
Marking the conversation held locks the preparation and opens the plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from conversations import i18n, policy
from conversations.actions import (
    BookingForm,
    BookingHeld,
    BookingHeldConfirm,
    BookingOpen,
    BookingPickForm,
    ButtonAction,
    EmployeeRef,
    FormState,
    PlanOpen,
)
from conversations.context import Ctx
from conversations.domain import Booking, Person
from conversations.events import Actor
from conversations.flows.common import (
    Refuse,
    RoundView,
    accept,
    advance,
    load_round,
    require_open,
    rounds_as_leader,
    say,
)
from conversations.ical import Party, invite
from conversations.lifecycles import booking as lifecycle
from conversations.lifecycles import prep as prep_lifecycle
from conversations.lifecycles.base import Effect
from conversations.lifecycles.booking import BookingAction, BookingState, BookingTransition
from conversations.lifecycles.prep import PrepAction, PrepState
from conversations.lifecycles.round import RoundAction
from conversations.messages import (
    Attachment,
    DateTimeInput,
    Fields,
    Form,
    FormErrors,
    Message,
    Note,
    Option,
    Paragraph,
    Reply,
    SelectInput,
    TextInput,
    ToActor,
    ToPerson,
)
from conversations.parsing import ParseError, parse_datetime
from conversations.ports import prep_card_key
from conversations.reminders import schedule_booking_reminders
from conversations.schedule import danish_holidays

DURATIONS = ("30", "45", "60", "90")
PLACE_LIMIT = 500
_HELD = BookingAction.MARK_HELD


async def _leader_of(
    ctx: Ctx, round_id: int, employee_id: int, act: policy.Do = policy.Do.BOOK
) -> tuple[RoundView, Person]:
    view = await load_round(ctx, round_id)
    await policy.check(
        policy.access(ctx),
        act,
        round_=view.round if view else None,
        round_id=round_id,
        employee_id=employee_id,
    )
    assert view is not None
    [employee] = await ctx.tx.people.get_many(person_ids=[employee_id])
    return view, employee


async def _booking_state(ctx: Ctx, view: RoundView, employee: Person) -> BookingState:
    booking = await ctx.tx.bookings.get(round_id=view.round.id, employee_id=employee.id)
    session = await ctx.tx.prep.get_session(round_id=view.round.id, person_id=employee.id)
    return BookingState.of(booking, session)


async def _may_book(ctx: Ctx, view: RoundView, employee: Person) -> BookingTransition:
    """A closed round takes no bookings; a held conversation is not booked again."""
    require_open(view)
    state = await _booking_state(ctx, view, employee)
    return accept(lifecycle.decide(state, BookingAction.BOOK), name=employee.display_name)


async def book_command(ctx: Ctx, rest: str) -> Reply:
    """`/mus book`: pick the employee first (the status view has a button per person)."""
    views = await rounds_as_leader(ctx)
    if not views:
        raise Refuse("status.not_leader")
    view = views[0]
    members = await ctx.tx.people.get_many(person_ids=list(view.member_ids))
    return Reply(
        (
            BookingPickForm(round_id=view.round.id).form(
                title=ctx.t("booking.title"),
                submit_label=ctx.t("booking.next"),
                inputs=(
                    SelectInput(
                        id="employee",
                        label=ctx.t("booking.employee"),
                        options=tuple(
                            Option(value=str(m.id), label=m.display_name) for m in members
                        ),
                    ),
                ),
            ),
        )
    )


async def on_button(ctx: Ctx, action: ButtonAction) -> Reply:
    if isinstance(action, BookingOpen):
        view, employee = await _leader_of(ctx, action.round_id, action.employee_id)
        await _may_book(ctx, view, employee)
        booking = await ctx.tx.bookings.get(
            round_id=action.round_id, employee_id=action.employee_id
        )
        return Reply((_form(ctx, view, employee, booking=booking),))
    if isinstance(action, BookingHeld | BookingHeldConfirm):
        view, employee = await _leader_of(
            ctx, action.round_id, action.employee_id, policy.Do.MARK_HELD
        )
        if isinstance(action, BookingHeld):
            return await _ask_held(ctx, view, employee)
        return await _held(ctx, view, employee)
    return say(ctx, "error.stale_button")


def _form(
    ctx: Ctx,
    view: RoundView,
    employee: Person,
    *,
    booking: Booking | None,
    warning: str | None = None,
    entered: tuple[datetime, int, str] | None = None,
) -> Form:
    """The booking form; a move opens with the current time, length and place filled in.

    `warning` (a weekend, a holiday, outside the round's period) reopens the form with what the
    leader entered; submitting it unchanged books anyway.
    """
    moving = booking is not None
    if entered is not None:
        starts_at, minutes, place = entered
    elif booking is not None:
        starts_at, minutes, place = booking.starts_at, booking.minutes, booking.place
    else:
        starts_at, minutes, place = None, 60, ""
    local = starts_at.astimezone(ctx.tz).replace(tzinfo=None) if starts_at else None
    intro: list[Paragraph | Note] = [
        Paragraph(
            ctx.t(
                "booking.intro_move" if moving else "booking.intro",
                name=employee.display_name,
                when=_when(ctx.person, booking.starts_at) if booking else "",
            )
        )
    ]
    confirmed = 0
    if warning is not None and starts_at is not None:
        intro.append(Paragraph(warning))
        intro.append(Note(ctx.t("booking.warning_confirm")))
        confirmed = int(starts_at.timestamp())
    return BookingForm(round_id=view.round.id, employee_id=employee.id, confirmed=confirmed).form(
        title=ctx.t("booking.title_move" if moving else "booking.title"),
        submit_label=ctx.t(
            "booking.submit_anyway"
            if warning
            else ("booking.submit_move" if moving else "booking.submit")
        ),
        intro=tuple(intro),
        inputs=(
            DateTimeInput(id="starts_at", label=ctx.t("booking.starts_at"), initial=local),
            SelectInput(
                id="minutes",
                label=ctx.t("booking.minutes"),
                options=tuple(
                    Option(value=m, label=ctx.t("booking.minutes_value", minutes=m))
                    for m in DURATIONS
                ),
                initial=str(minutes) if str(minutes) in DURATIONS else "60",
            ),
            TextInput(
                id="place",
                label=ctx.t("booking.place"),
                hint=ctx.t("booking.place_hint"),
                initial=place or None,
                max_length=PLACE_LIMIT,
                optional=True,
            ),
        ),
    )


def _warning(ctx: Ctx, view: RoundView, starts_at: datetime) -> str | None:
    """Why this time is unusual, in the leader's words; None for an ordinary working day."""
    day = starts_at.astimezone(ctx.tz).date()
    problems: list[str] = []
    round_ = view.round
    if not round_.conversations_from <= day <= round_.conversations_to:
        problems.append(
            ctx.t(
                "booking.warning.period",
                start=i18n.format_date(ctx.locale, round_.conversations_from),
                end=i18n.format_date(ctx.locale, round_.conversations_to),
            )
        )
    names = danish_holidays(year=day.year, language="da" if ctx.locale == "da" else "en_US")
    if day in names:
        problems.append(ctx.t("booking.warning.holiday", holiday=names[day]))
    elif day.weekday() >= 5:
        problems.append(ctx.t(f"booking.warning.weekday{day.weekday()}"))
    return " ".join(problems) if problems else None


async def on_form(
    ctx: Ctx, state: FormState, values: Mapping[str, str | tuple[str, ...] | None]
) -> Reply:
    if isinstance(state, BookingPickForm):
        round_id = state.round_id
        raw = values.get("employee")
        try:
            employee_id = int(raw) if isinstance(raw, str) else -1
        except ValueError:
            employee_id = -1
        view = await load_round(ctx, round_id)
        await policy.check(
            policy.access(ctx),
            policy.Do.BOOK,
            round_=view.round if view else None,
            round_id=round_id,
            employee_id=None,
        )
        assert view is not None
        if employee_id not in view.member_ids:
            return Reply((FormErrors(errors={"employee": ctx.t("booking.error.employee")}),))
        view, employee = await _leader_of(ctx, round_id, employee_id)
        booking = await ctx.tx.bookings.get(round_id=round_id, employee_id=employee_id)
        return Reply((_form(ctx, view, employee, booking=booking),))
    if not isinstance(state, BookingForm):
        return say(ctx, "error.stale_button")
    round_id, employee_id, confirmed = state.round_id, state.employee_id, state.confirmed
    view, employee = await _leader_of(ctx, round_id, employee_id)
    booked = await _may_book(ctx, view, employee)
    raw = values.get("starts_at")
    try:
        local = parse_datetime(text=raw if isinstance(raw, str) else "", today=ctx.today)
    except ParseError as problem:
        return Reply((FormErrors(errors={"starts_at": ctx.t(problem.key, value=problem.value)}),))
    starts_at = local.replace(tzinfo=ctx.tz)
    if starts_at < ctx.now:
        return Reply((FormErrors(errors={"starts_at": ctx.t("booking.error.past")}),))
    minutes_raw = values.get("minutes")
    minutes = int(minutes_raw) if isinstance(minutes_raw, str) and minutes_raw in DURATIONS else 60
    place_raw = values.get("place")
    place = (place_raw if isinstance(place_raw, str) else "").strip()
    if len(place) > PLACE_LIMIT:
        return Reply(
            (
                FormErrors(
                    errors={"place": ctx.t("error.too_long", length=len(place), limit=PLACE_LIMIT)}
                ),
            )
        )
    previous = await ctx.tx.bookings.get(round_id=round_id, employee_id=employee_id)
    warning = _warning(ctx, view, starts_at)
    if warning is not None and confirmed != int(starts_at.timestamp()):
        return Reply(
            (
                _form(
                    ctx,
                    view,
                    employee,
                    booking=previous,
                    warning=warning,
                    entered=(starts_at, minutes, place),
                ),
            )
        )
    booking = await ctx.tx.bookings.save(
        round_id=round_id,
        employee_id=employee_id,
        starts_at=starts_at,
        minutes=minutes,
        booked_by=ctx.person.id,
        at=ctx.now,
        place=place,
    )
    leaders = await ctx.tx.people.get_many(person_ids=list(view.leader_ids))
    if booked.causes(Effect.SCHEDULE_BOOKING_REMINDERS):
        await schedule_booking_reminders(
            tx=ctx.tx,
            round_id=round_id,
            employee=employee,
            leaders=leaders,
            starts_at=starts_at,
            hours=ctx.settings.hours(),
        )
    await ctx.audit(
        action="booking.save",
        subject=f"round:{round_id}:person:{employee_id}",
        detail=starts_at.isoformat(),
    )
    directory = {p.id: await ctx.directory.lookup(user_id=p.user_id) for p in (employee, *leaders)}
    ics = invite(
        uid=f"musbot-{ctx.workspace.platform}-{ctx.workspace.external_id}-{round_id}-{employee_id}",
        sequence=booking.sequence,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        summary=i18n.t(
            employee.locale,
            "booking.summary",
            leader=ctx.person.display_name,
            name=employee.display_name,
        ),
        description=i18n.t(employee.locale, "booking.description"),
        organizer=_party(ctx.person, directory.get(ctx.person.id)),
        attendees=[
            _party(p, directory.get(p.id)) for p in (employee, *leaders) if p.id != ctx.person.id
        ],
        location=place,
        stamp=ctx.now,
    )
    attachment = Attachment(
        filename="mus-samtale.ics", content=ics, mime_type="text/calendar", title="MUS"
    )
    moved = previous is not None
    text_employee = i18n.t(
        employee.locale,
        "booking.employee_moved" if moved else "booking.employee_notice",
        when=_when(employee, starts_at),
        leader=ctx.person.display_name,
    )
    text_leader = ctx.t(
        "booking.leader_moved" if moved else "booking.leader_notice",
        when=_when(ctx.person, starts_at),
        name=employee.display_name,
    )
    where_employee = (
        (Fields(((i18n.t(employee.locale, "booking.place"), place),)),) if place else ()
    )
    where_leader = (Fields(((ctx.t("booking.place"), place),)),) if place else ()
    who = EmployeeRef(round_id=round_id, employee_id=employee_id)
    return Reply(
        (
            Message(
                to=ToPerson(employee.user_id),
                text=text_employee,
                blocks=(Paragraph(text_employee), *where_employee),
                attachments=(attachment,),
            ),
            Message(
                to=ToActor(),
                text=text_leader,
                blocks=(Paragraph(text_leader), *where_leader),
                attachments=(attachment,),
                buttons=(
                    BookingOpen(**who).button(ctx.t("booking.button.move")),
                    BookingHeld(**who).button(ctx.t("booking.button.held")),
                ),
            ),
        )
    )


def _party(person: Person, found: Actor | None) -> Party:
    """A name for the invite, and the e-mail address where the platform gave one."""
    return Party(name=person.display_name, email=found.email if found is not None else None)


def _when(person: Person, at: datetime) -> str:
    from conversations.context import zone

    return i18n.format_datetime(person.locale, at.astimezone(zone(person.timezone)))


async def _ask_held(ctx: Ctx, view: RoundView, employee: Person) -> Reply:
    """Marking held locks the preparation: ask first, and say so if the time has not come."""
    session = await ctx.tx.prep.get_session(round_id=view.round.id, person_id=employee.id)
    if session is not None and session.conversation_held_at is not None:
        return say(ctx, "booking.already_held", name=employee.display_name)
    booking = await ctx.tx.bookings.get(round_id=view.round.id, employee_id=employee.id)
    text = ctx.t("booking.held_question", name=employee.display_name)
    blocks: list[Paragraph | Note] = [Paragraph(text)]
    if booking is not None and booking.starts_at > ctx.now:
        blocks.append(
            Paragraph(ctx.t("booking.held_early", when=_when(ctx.person, booking.starts_at)))
        )
    blocks.append(Note(ctx.t("booking.held_locks")))
    return Reply(
        (
            Message(
                to=ToActor(),
                text=text,
                blocks=tuple(blocks),
                buttons=(
                    BookingHeldConfirm(round_id=view.round.id, employee_id=employee.id).button(
                        ctx.t("booking.button.held_confirm"), style="primary"
                    ),
                ),
            ),
        )
    )


async def _held(ctx: Ctx, view: RoundView, employee: Person) -> Reply:
    """The conversation took place: the prep is final, and the plan can be written."""
    from conversations.flows import home

    name = employee.display_name
    require_open(view)
    held = accept(lifecycle.decide(await _booking_state(ctx, view, employee), _HELD), name=name)
    session = await ctx.tx.prep.get_session(round_id=view.round.id, person_id=employee.id)
    if held.causes(Effect.LOCK_PREP):
        state = PrepState.of(session, phase=view.round.phase)
        await ctx.tx.prep.apply(
            round_id=view.round.id,
            person_id=employee.id,
            transition=accept(prep_lifecycle.decide(state, PrepAction.HOLD), name=name),
            at=ctx.now,
        )
    if held.causes(Effect.ROUND_CONVERSATION_HELD):
        await advance(ctx, view, RoundAction.CONVERSATION_HELD)
    await ctx.audit(action="booking.held", subject=f"round:{view.round.id}:person:{employee.id}")
    plan = PlanOpen(round_id=view.round.id, employee_id=employee.id)
    text = ctx.t("booking.held_done", name=employee.display_name)
    employee_text = i18n.t(employee.locale, "booking.held_employee", leader=ctx.person.display_name)
    locked = i18n.t(employee.locale, "prep.locked")
    return Reply(
        (
            Message(
                to=ToActor(),
                text=text,
                blocks=(Paragraph(text),),
                buttons=(plan.button(ctx.t("plan.button.draft"), style="primary"),),
                # Over the question it answers ("Er samtalen … holdt?"), so no live "Ja" stays.
                replaces=ctx.event.context.message_ref,
            ),
            Message(
                to=ToPerson(employee.user_id),
                text=employee_text,
                blocks=(Paragraph(employee_text),),
                buttons=(plan.button(i18n.t(employee.locale, "plan.button.draft")),),
            ),
            # The employee's last question card (if any) loses its buttons: prep is locked.
            Message(
                to=ToPerson(employee.user_id),
                text=locked,
                blocks=(Note(locked),),
                replaces_key=prep_card_key(round_id=view.round.id, person_id=employee.id),
                update_only=True,
            ),
        )
    ) + await home.refresh(ctx, [ctx.person, employee])
