"""Who may see or do what: the one place that decides, and audits, access to MUS material.

Roles are relative to one round and (for personal material) one employee in it:

- EMPLOYEE: the employee the material is about (their prep, their plan, their booking);
- LEADER: a leader of *this* round (a later round in the same channel changes nothing here);
- ADMIN: a workspace admin. Admins name leaders, approve templates for everyone, see coverage
  of every team and may close any round; they read nothing confidential unless they are also
  the round's leader or the employee;
- COMMITTEE: the cooperation committee (issue #12). Placeholder: it may read nothing here.

Anyone else (another employee, an employee of another team, the leader of another round, a
stranger) has no role and is refused. Material about someone who is not an employee of the
round is refused to everybody, so a forged id reveals nothing.

Reads go through one `read_*` function per kind. Each checks, writes the audit row (the
kind's action when allowed, `<action>_denied` when refused) and only then loads the data. An
employee's reads of their *own* preparation are not audited: it is their own text, shown to
them on every step. Actions go through `check`, which audits every refusal. What a flow
*offers* (a button, a form, a list) is asked of `may`, `may_anywhere`, `governs` and
`in_committee`: the same tables, nothing audited, since nobody has acted yet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from conversations.domain import (
    Booking,
    ItemProgress,
    LeaderNote,
    Person,
    PlanVersion,
    PrepAnswer,
    PrepSession,
    PrepStatus,
    Round,
    agreed_version,
)
from conversations.ports import Tx
from conversations.refusal import Refuse

if TYPE_CHECKING:
    from conversations.context import Ctx


class Role(StrEnum):
    EMPLOYEE = "employee"
    LEADER = "leader"
    ADMIN = "admin"
    COMMITTEE = "committee"


class Read(StrEnum):
    """Kinds of confidential material; the value is the audit action of an allowed read."""

    PREP = "prep.view"  # an employee's prep answers
    NOTES = "notes.view"  # a leader's own notes on an employee
    PLAN = "plan.view"  # the plan as it stands
    PLAN_HISTORY = "plan.history"  # every version of a plan
    LAST_PLAN = "plan.last_view"  # last round's agreed plan, where this round starts
    DOCUMENT = "plan.download"  # the plan as a document
    PERSON_CARD = "status.member"  # one employee's progress card
    BOOKING_MATERIAL = "material.view"  # the day-before material: time, prep, notes
    ROUND_STATUS = "status.view"  # who has prepared, booked, agreed (no content)
    ROUND_SUMMARY = "summary.view"  # counts and goals without names
    TEAM_ACTIONS = "actions.view"  # the team's action plan (Skema 5): the team and its leaders
    EVALUATION = "evaluation.view"  # the round's evaluation, in aggregate only


class Do(StrEnum):
    """Actions on a round's material; `<value>_denied` is the audit action of a refusal."""

    WORK_ON_PREP = "prep.work"  # open, answer, navigate one's own prep
    SHARE_PREP = "prep.share"
    SNOOZE = "reminder.snooze"
    SNOOZE_FOLLOW_UP = "reminder.snooze_follow_up"  # either party, on a plan's follow-up nudge
    WRITE_NOTES = "notes.write"
    BOOK = "booking.book"
    MARK_HELD = "booking.held"
    EDIT_PLAN = "plan.edit"
    PROPOSE_PLAN = "plan.propose"
    APPROVE_PLAN = "plan.approve"
    REQUEST_PLAN_CHANGE = "plan.change"
    SET_ITEM_STATUS = "plan.item_status"
    ADAPT_ROUND = "round.adapt"
    LIST_REMINDERS = "reminder.list"
    ANNOUNCE_SUMMARY = "summary.announce"
    START_FOLLOW_UP = "round.follow_up"
    CLOSE_ROUND = "round.close"
    WRITE_TEAM_ACTIONS = "actions.write"  # the leader writes the team's agreements
    UPDATE_TEAM_ACTION = "actions.update"  # an agreement's owner (or the leader) moves it on
    RESEND_KICKOFF = "round.kickoff.resend"  # post the kickoff to the team channel again
    EDIT_TEAM_ACTION = "actions.edit"  # the leader changes what/when/who/how of an agreement
    SNOOZE_TEAM_ACTION = "actions.snooze"  # an owner: "remind me tomorrow" on their reminder


class Govern(StrEnum):
    """Workspace-level actions (no round yet); `<value>_denied` audits a refusal."""

    START_ROUND = "round.start"  # admins, people an admin named, configured leaders
    NAME_LEADERS = "leaders.set"  # admins only
    NAME_COMMITTEE = "committee.set"  # admins only
    COVERAGE = "coverage.view"  # who has not been offered a MUS: names, to leaders and admins
    COVERAGE_ALL_TEAMS = "coverage.workspace"  # ... of every team, not only the teams one leads
    APPROVE_TEMPLATE = "template.approve"  # offer a leader's template to the whole organisation


_E, _L, _A = Role.EMPLOYEE, Role.LEADER, Role.ADMIN
_PARTIES = frozenset({_E, _L})

# Who may read each kind. PREP has one more condition, in `may_read`: a leader sees it only
# once the employee has shared it.
READERS: Mapping[Read, frozenset[Role]] = {
    Read.PREP: _PARTIES,
    Read.NOTES: frozenset({_L}),  # notes are keyed by their leader: only one's own are read
    Read.PLAN: _PARTIES,
    Read.PLAN_HISTORY: _PARTIES,
    Read.LAST_PLAN: _PARTIES,  # the parties of *this* round (a new leader starts from it too)
    Read.DOCUMENT: _PARTIES,
    Read.PERSON_CARD: frozenset({_L}),
    Read.BOOKING_MATERIAL: _PARTIES,
    Read.ROUND_STATUS: frozenset({_L}),
    Read.ROUND_SUMMARY: frozenset({_L}),
    Read.TEAM_ACTIONS: _PARTIES,  # round-level: every member of the round, and its leaders
    Read.EVALUATION: frozenset({_L}),  # and the committee, across rounds: `read_committee`
}

ACTORS: Mapping[Do, frozenset[Role]] = {
    Do.WORK_ON_PREP: frozenset({_E}),
    Do.SHARE_PREP: frozenset({_E}),
    Do.SNOOZE: frozenset({_E}),
    Do.SNOOZE_FOLLOW_UP: _PARTIES,
    Do.WRITE_NOTES: frozenset({_L}),
    Do.BOOK: frozenset({_L}),
    Do.MARK_HELD: frozenset({_L}),
    Do.EDIT_PLAN: _PARTIES,
    Do.PROPOSE_PLAN: _PARTIES,
    Do.APPROVE_PLAN: _PARTIES,
    Do.REQUEST_PLAN_CHANGE: _PARTIES,
    Do.SET_ITEM_STATUS: _PARTIES,
    Do.ADAPT_ROUND: frozenset({_L}),
    Do.LIST_REMINDERS: frozenset({_L}),
    Do.ANNOUNCE_SUMMARY: frozenset({_L}),
    Do.START_FOLLOW_UP: frozenset({_L}),
    Do.CLOSE_ROUND: frozenset({_L, _A}),
    Do.WRITE_TEAM_ACTIONS: frozenset({_L}),
    Do.UPDATE_TEAM_ACTION: _PARTIES,  # and, for an employee, only as an owner: `check_owner`
    Do.RESEND_KICKOFF: frozenset({_L}),
    Do.EDIT_TEAM_ACTION: frozenset({_L}),
    Do.SNOOZE_TEAM_ACTION: _PARTIES,  # and only as an owner, leader or not: `check_owner`
}

# Team-action actions where the round's leader stands in for the owners; the others are the
# owners' own (an owner's reminder is snoozed by that owner only).
LEADER_STANDS_IN: frozenset[Do] = frozenset({Do.UPDATE_TEAM_ACTION})

GOVERNORS: Mapping[Govern, frozenset[Role]] = {
    Govern.START_ROUND: frozenset({_L, _A}),
    Govern.NAME_LEADERS: frozenset({_A}),
    Govern.NAME_COMMITTEE: frozenset({_A}),
    Govern.COVERAGE: frozenset({_L, _A}),
    Govern.COVERAGE_ALL_TEAMS: frozenset({_A}),
    Govern.APPROVE_TEMPLATE: frozenset({_A}),
}

# ---------------------------------------------------------------- the pure rules


def roles(
    *,
    actor_id: int,
    round_: Round | None,
    employee_id: int | None,
    is_admin: bool = False,
    committee: bool = False,
) -> frozenset[Role]:
    """The actor's roles towards `round_` (and the employee the material is about).

    `employee_id` None: a round-level thing; the actor is EMPLOYEE if they take part in it.
    """
    if round_ is None or (employee_id is not None and employee_id not in round_.member_ids):
        return frozenset()
    found: set[Role] = set()
    if actor_id == employee_id or (employee_id is None and actor_id in round_.member_ids):
        found.add(Role.EMPLOYEE)
    if actor_id in round_.leader_ids:
        found.add(Role.LEADER)
    if is_admin:
        found.add(Role.ADMIN)
    if committee:
        found.add(Role.COMMITTEE)
    return frozenset(found)


def may_read(kind: Read, held: frozenset[Role], *, shared: bool = False) -> bool:
    """THE rule of who reads what. The leader sees an employee's prep only once it is shared."""
    if kind == Read.PREP and Role.EMPLOYEE not in held:
        return Role.LEADER in held and shared
    return bool(held & READERS[kind])


def may_do(action: Do, held: frozenset[Role]) -> bool:
    return bool(held & ACTORS[action])


def may_govern(action: Govern, *, is_admin: bool, may_lead: bool) -> bool:
    """In the workspace, LEADER means "may lead rounds" (named or configured)."""
    held = {r for r, has in ((_A, is_admin), (_L, may_lead or is_admin)) if has}
    return bool(held & GOVERNORS[action])


def workspace_roles(*, is_admin: bool, committee: bool = False) -> frozenset[Role]:
    """The roles one holds towards *every* round of the workspace, whoever its people are."""
    return frozenset(r for r, has in ((_A, is_admin), (Role.COMMITTEE, committee)) if has)


# ---------------------------------------------------------------- checks that audit


@dataclass(frozen=True, slots=True, kw_only=True)
class Access:
    """Who is asking, in which transaction, when."""

    tx: Tx
    actor: Person
    now: datetime
    is_admin: bool = False
    committee: bool = False

    def roles(self, round_: Round | None, employee_id: int | None) -> frozenset[Role]:
        return roles(
            actor_id=self.actor.id,
            round_=round_,
            employee_id=employee_id,
            is_admin=self.is_admin,
            committee=self.committee,
        )


# ---------------------------------------------------------------- what to offer (not audited)
# A flow asks these to decide which buttons, forms and lists to show. They use the same tables
# as the checks below, so an offer never shows what the check would refuse; they audit nothing
# because nobody has acted yet, and the action itself still goes through `check` or `govern`.


def may(access: Access, action: Do, *, round_: Round | None, employee_id: int | None) -> bool:
    """Whether to offer `action` on `round_` (and the employee it is about) to the actor."""
    return may_do(action, access.roles(round_, employee_id))


def may_anywhere(access: Access, action: Do) -> bool:
    """Whether the actor may take `action` on any round of the workspace, also rounds they
    neither lead nor take part in (an admin closing a round its leader left open)."""
    return may_do(action, workspace_roles(is_admin=access.is_admin, committee=access.committee))


def governs(ctx: Ctx, action: Govern) -> bool:
    """Whether to offer a workspace action (`govern` refuses and audits the attempt)."""
    return may_govern(action, is_admin=ctx.is_admin(), may_lead=ctx.may_lead())


async def in_committee(access: Access, *, workspace_id: int) -> bool:
    """Whether to offer the committee's figures (reading them is `read_committee`, audited)."""
    return access.actor.id in await access.tx.committee.members(workspace_id=workspace_id)


def access(ctx: Ctx) -> Access:
    """The handler's actor, transaction and time, as the policy sees them."""
    return Access(tx=ctx.tx, actor=ctx.person, now=ctx.now, is_admin=ctx.is_admin())


def is_admin(person: Person, *, configured: frozenset[str]) -> bool:
    """THE rule of who is an admin: the platform says so, or MUSBOT_ADMINS names them (Teams
    tells no admin flag)."""
    return person.is_admin or person.user_id in configured


async def admins(tx: Tx, *, workspace_id: int, configured: frozenset[str]) -> list[Person]:
    """Every admin of the workspace by `is_admin`: those the platform flagged and those named
    in configuration whom the bot knows (has stored), each once, flagged ones first."""
    found = {p.id: p for p in await tx.people.admins(workspace_id=workspace_id)}
    for user_id in sorted(configured):
        person = await tx.people.get_by_user_id(workspace_id=workspace_id, user_id=user_id)
        if person is not None:
            found.setdefault(person.id, person)
    return list(found.values())


class Denied(Refuse):
    """A refused read or action (already audited). Shown as `key` (default: not allowed)."""


def _subject(round_id: int, employee_id: int | None) -> str:
    return f"round:{round_id}" if employee_id is None else f"round:{round_id}:person:{employee_id}"


async def _audit(
    access: Access, action: str, round_id: int, employee_id: int | None, detail: str | None
) -> None:
    await access.tx.audit.record(**_entry(access, action, round_id, employee_id), detail=detail)


async def check(
    access: Access, action: Do, *, round_: Round | None, round_id: int, employee_id: int | None
) -> frozenset[Role]:
    """The actor's roles if they may do `action`; otherwise audit the attempt and refuse."""
    held = access.roles(round_, employee_id)
    if not may_do(action, held):
        await _audit(access, f"{action.value}_denied", round_id, employee_id, None)
        raise Denied("error.not_allowed")
    return held


async def check_owner(
    access: Access,
    *,
    round_: Round | None,
    round_id: int,
    owner_ids: tuple[int, ...],
    action: Do = Do.UPDATE_TEAM_ACTION,
) -> None:
    """An agreement of the team's action plan is moved on by one of its owners or by the
    round's leader (`LEADER_STANDS_IN`); its reminder is snoozed by an owner only. Anyone
    else is refused (and audited)."""
    held = access.roles(round_, None)
    owner = bool(held & _PARTIES) and access.actor.id in owner_ids
    stands_in = action in LEADER_STANDS_IN and Role.LEADER in held
    if not may_do(action, held) or not (owner or stands_in):
        await _audit(access, f"{action.value}_denied", round_id, None, None)
        raise Denied("error.not_allowed")


async def read_committee(access: Access, *, workspace_id: int) -> None:
    """Process figures across rounds and teams, for the cooperation committee only: counts
    (suppressed below the minimum group size), never a name, an answer or a plan. Audited."""
    members = await access.tx.committee.members(workspace_id=workspace_id)
    action = "committee.figures"
    allowed = access.actor.id in members
    await access.tx.audit.record(
        at=access.now,
        actor_id=access.actor.id,
        action=action if allowed else f"{action}_denied",
        subject=f"workspace:{workspace_id}",
    )
    if not allowed:
        raise Denied("committee.not_member")


async def govern(ctx: Ctx, action: Govern, *, refusal: str, **values: object) -> None:
    """Refuse (and audit) a workspace action the actor may not take; `refusal` says why."""
    if not may_govern(action, is_admin=ctx.is_admin(), may_lead=ctx.may_lead()):
        await ctx.tx.audit.record(
            at=ctx.now,
            actor_id=ctx.person.id,
            action=f"{action.value}_denied",
            subject=f"workspace:{ctx.workspace.id}",
        )
        raise Denied(refusal, **values)


async def _refuse_unless(
    access: Access,
    kind: Read,
    held: frozenset[Role],
    *,
    round_id: int,
    employee_id: int | None,
    shared: bool = False,
    detail: str | None = None,
) -> None:
    """Audit the attempt and refuse, unless `held` may read `kind`."""
    if not may_read(kind, held, shared=shared):
        await _audit(access, f"{kind.value}_denied", round_id, employee_id, detail)
        # A leader of the round asking too early is told why; anyone else learns nothing.
        reason = "prep.not_shared" if kind == Read.PREP and Role.LEADER in held else None
        raise Denied(reason or "error.not_allowed")


async def _read(
    access: Access,
    kind: Read,
    *,
    round_: Round | None,
    round_id: int,
    employee_id: int | None,
    shared: bool = False,
    detail: str | None = None,
    audit_own: bool = True,
) -> frozenset[Role]:
    held = access.roles(round_, employee_id)
    await _refuse_unless(
        access, kind, held, round_id=round_id, employee_id=employee_id, shared=shared, detail=detail
    )
    if audit_own or Role.EMPLOYEE not in held:
        await _audit(access, kind.value, round_id, employee_id, detail)
    return held


# ---------------------------------------------------------------- one reader per kind


@dataclass(frozen=True, slots=True)
class PrepRead:
    session: PrepSession | None
    answers: Mapping[str, PrepAnswer]


async def read_prep(
    access: Access,
    *,
    round_: Round | None,
    round_id: int,
    employee_id: int,
    detail: str | None = None,
) -> PrepRead:
    """An employee's prep: to themself always (not audited), to a leader once shared."""
    session = (
        await access.tx.prep.get_session(round_id=round_id, person_id=employee_id)
        if round_ is not None and employee_id in round_.member_ids
        else None
    )
    shared = session is not None and session.status == PrepStatus.SHARED
    await _read(
        access,
        Read.PREP,
        round_=round_,
        round_id=round_id,
        employee_id=employee_id,
        shared=shared,
        detail=detail,
        audit_own=False,
    )
    answers = await access.tx.prep.answers(round_id=round_id, person_id=employee_id)
    return PrepRead(session=session, answers=answers)


async def read_notes(
    access: Access, *, round_: Round | None, round_id: int, employee_id: int
) -> LeaderNote | None:
    """The actor's own notes on an employee (a co-leader's notes are never read)."""
    await _read(access, Read.NOTES, round_=round_, round_id=round_id, employee_id=employee_id)
    return await access.tx.notes.get(
        round_id=round_id, leader_id=access.actor.id, employee_id=employee_id
    )


@dataclass(frozen=True, slots=True)
class PlanRead:
    versions: list[PlanVersion]  # oldest first
    progress: dict[str, ItemProgress]

    @property
    def latest(self) -> PlanVersion | None:
        return self.versions[-1] if self.versions else None


async def read_plan(
    access: Access,
    *,
    round_: Round | None,
    round_id: int,
    employee_id: int,
    kind: Read = Read.PLAN,
    detail: str | None = None,
) -> PlanRead:
    """A plan with every version and its follow-up progress: `kind` is PLAN, PLAN_HISTORY or
    DOCUMENT (what the reader is shown decides the audit action)."""
    assert kind in (Read.PLAN, Read.PLAN_HISTORY, Read.DOCUMENT)
    await _read(
        access, kind, round_=round_, round_id=round_id, employee_id=employee_id, detail=detail
    )
    versions = await access.tx.plans.versions(round_id=round_id, employee_id=employee_id)
    progress = await access.tx.plans.item_progress(round_id=round_id, employee_id=employee_id)
    return PlanRead(versions=versions, progress=progress)


@dataclass(frozen=True, slots=True)
class PersonCard:
    session: PrepSession | None
    booking: Booking | None
    plan: PlanVersion | None  # the newest version


async def read_person_card(
    access: Access, *, round_: Round | None, round_id: int, employee_id: int
) -> PersonCard:
    """One employee's progress in the round, for its leaders: states and times, no content."""
    await _read(access, Read.PERSON_CARD, round_=round_, round_id=round_id, employee_id=employee_id)
    tx = access.tx
    return PersonCard(
        session=await tx.prep.get_session(round_id=round_id, person_id=employee_id),
        booking=await tx.bookings.get(round_id=round_id, employee_id=employee_id),
        plan=await tx.plans.latest(round_id=round_id, employee_id=employee_id),
    )


@dataclass(frozen=True, slots=True)
class LastPlan:
    round: Round  # the earlier round the plan was agreed in
    version: PlanVersion  # its agreed version
    progress: dict[str, ItemProgress]


async def read_last_plan(
    access: Access, *, round_: Round | None, round_id: int, employee_id: int
) -> LastPlan | None:
    """The employee's agreed plan from their latest earlier round ("Udviklingsplan fra sidste
    MUS"), for the parties of this round: the conversation starts with "Siden sidste MUS"."""
    found = await read_last_plans(
        access, round_=round_, round_id=round_id, employee_ids=[employee_id]
    )
    return found.get(employee_id)


async def read_last_plans(
    access: Access, *, round_: Round | None, round_id: int, employee_ids: Sequence[int]
) -> dict[int, LastPlan]:
    """`read_last_plan` for several employees of the round at once (the leader's status
    view): each is checked and audited as its own read, the audit rows in one statement, and
    the plans read in a few statements, not a few per employee. Any refusal refuses all."""
    ids = list(dict.fromkeys(employee_ids))
    await access.tx.audit.record_many(
        entries=await _last_plans_checked(access, round_=round_, round_id=round_id, ids=ids)
    )
    return await _last_plans(access, round_=round_, ids=ids)


async def read_round_status(
    access: Access, *, round_: Round | None, round_id: int, employee_ids: Sequence[int]
) -> dict[int, LastPlan]:
    """The leader's status view: `read_round(kind=ROUND_STATUS)` and then `read_last_plans`
    for the round's employees, each checked and audited as those are (a refusal of either
    refuses the view), the audit rows in one statement rather than two."""
    kind = Read.ROUND_STATUS
    await _refuse_unless(
        access, kind, access.roles(round_, None), round_id=round_id, employee_id=None
    )
    ids = list(dict.fromkeys(employee_ids))
    status = _entry(access, kind.value, round_id, None)
    await access.tx.audit.record_many(
        entries=[
            status,
            *await _last_plans_checked(
                access, round_=round_, round_id=round_id, ids=ids, before=(status,)
            ),
        ]
    )
    return await _last_plans(access, round_=round_, ids=ids)


def _entry(access: Access, action: str, round_id: int, employee_id: int | None) -> dict[str, Any]:
    """An audit row as `_audit` writes it, for `tx.audit.record_many`."""
    return {
        "at": access.now,
        "actor_id": access.actor.id,
        "action": action,
        "subject": _subject(round_id, employee_id),
    }


async def _last_plans_checked(
    access: Access,
    *,
    round_: Round | None,
    round_id: int,
    ids: Sequence[int],
    before: Sequence[Mapping[str, Any]] = (),
) -> list[dict[str, Any]]:
    """The audit rows of reading these employees' last plans; on any refusal, audit it (after
    `before`, the rows of reads already allowed) and refuse them all."""
    kind = Read.LAST_PLAN
    for employee_id in ids:
        if not may_read(kind, access.roles(round_, employee_id)):
            denied = _entry(access, f"{kind.value}_denied", round_id, employee_id)
            await access.tx.audit.record_many(entries=[*before, denied])
            raise Denied("error.not_allowed")
    return [_entry(access, kind.value, round_id, employee_id) for employee_id in ids]


async def _last_plans(
    access: Access, *, round_: Round | None, ids: Sequence[int]
) -> dict[int, LastPlan]:
    """The reads behind `read_last_plans`, once checked and audited."""
    if not ids:
        return {}
    assert round_ is not None
    tx = access.tx
    earlier: dict[int, list[Round]] = {}  # newest first, as `rounds.with_member`
    for employee_id, taken in (await tx.rounds.with_members(person_ids=ids)).items():
        earlier[employee_id] = [
            r for r in taken if r.id != round_.id and r.created_at < round_.created_at
        ]
    round_ids = sorted({r.id for rs in earlier.values() for r in rs})
    if not round_ids:
        return {}
    versions = await tx.plans.versions_in(round_ids=round_ids, employee_ids=list(earlier))
    chosen: dict[int, tuple[Round, PlanVersion]] = {}
    for employee_id, rs in earlier.items():
        for r in rs:
            agreed = agreed_version(versions.get((r.id, employee_id), []))
            if agreed is not None and agreed.items:
                chosen[employee_id] = (r, agreed)
                break
    if not chosen:
        return {}
    progress = await tx.plans.item_progress_in(plans=[(r.id, e) for e, (r, _) in chosen.items()])
    return {
        e: LastPlan(round=r, version=v, progress=progress.get((r.id, e), {}))
        for e, (r, v) in chosen.items()
    }


@dataclass(frozen=True, slots=True)
class BookingMaterial:
    booking: Booking | None
    session: PrepSession | None
    answers: Mapping[str, PrepAnswer] | None  # None: the reader may not see them (not shared)
    note: LeaderNote | None  # the reader's own notes (leaders only)


async def read_booking_material(
    access: Access, *, round_: Round | None, round_id: int, employee_id: int
) -> BookingMaterial:
    """What the reminder before a conversation carries: for the employee their own prep, for a
    leader the shared prep and their own notes. Each part is read (and audited) as its kind."""
    held = await _read(
        access,
        Read.BOOKING_MATERIAL,
        round_=round_,
        round_id=round_id,
        employee_id=employee_id,
        detail="booking reminder",
    )
    booking = await access.tx.bookings.get(round_id=round_id, employee_id=employee_id)
    session = await access.tx.prep.get_session(round_id=round_id, person_id=employee_id)
    answers = None
    shared = session is not None and session.status == PrepStatus.SHARED
    if may_read(Read.PREP, held, shared=shared):  # the same rule as `read_prep`, asked first
        prep = await read_prep(
            access,
            round_=round_,
            round_id=round_id,
            employee_id=employee_id,
            detail="booking reminder",
        )
        session, answers = prep.session, prep.answers
    note = None
    if Role.LEADER in held and Role.EMPLOYEE not in held:
        note = await read_notes(access, round_=round_, round_id=round_id, employee_id=employee_id)
    return BookingMaterial(booking=booking, session=session, answers=answers, note=note)


async def read_round(access: Access, *, round_: Round | None, round_id: int, kind: Read) -> None:
    """A round overview (status or summary): its leaders only. The overview itself reads
    states, counts and goals without names, never an answer."""
    assert kind in (Read.ROUND_STATUS, Read.ROUND_SUMMARY, Read.TEAM_ACTIONS, Read.EVALUATION)
    await _read(access, kind, round_=round_, round_id=round_id, employee_id=None)
