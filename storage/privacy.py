"""The data subject's rights and retention, on the database: erase one person, purge what
expired rounds leave behind, read the audit log.

Why in storage and not the core: these are administrative operations across every table (the
CLI runs them, never a chat handler), and "every table" is a fact about the schema. A test
lists `metadata.tables` so a table added later cannot be forgotten here.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, and_, delete, exists, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import (
    audit_log,
    bookings,
    committee_members,
    conversation_refs,
    evaluation_invitations,
    files,
    leader_notes,
    people,
    plan_approvals,
    plan_item_progress,
    plan_versions,
    prep_answers,
    prep_sessions,
    processed_events,
    reminders,
    round_people,
    rounds,
    sent_messages,
    team_action_owners,
    team_actions,
    team_people,
    teams,
    workspaces,
)
from storage.repositories._base import rowcount

ERASED_NAME = "(slettet person)"


@dataclass
class Tally:
    """Rows per table (what went, or with a dry run, what would go)."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, count: int) -> None:
        if count:
            self.counts[table] = self.counts.get(table, 0) + count

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def lines(self) -> list[str]:
        return [f"{table}: {count}" for table, count in sorted(self.counts.items())]


async def _count(conn: AsyncConnection, table: Any, where: Any) -> int:
    return int(
        (await conn.execute(select(func.count()).select_from(table).where(where))).scalar_one()
    )


def _pseudonym(user_id: str) -> str:
    """A stable-looking but unlinkable stand-in id (random salt: not derivable from the id)."""
    digest = hashlib.sha256(secrets.token_bytes(16) + user_id.encode()).hexdigest()[:16]
    return f"erased:{digest}"


def _subject_about(person_id: int) -> Any:
    """Audit subjects naming the person (`…:person:7` and `…/person:7`, nothing longer)."""
    return or_(
        audit_log.c.subject.endswith(f":person:{person_id}"),
        audit_log.c.subject.endswith(f"/person:{person_id}"),
        audit_log.c.subject.contains(f":person:{person_id}:"),
        audit_log.c.subject.contains(f"/person:{person_id}/"),
        audit_log.c.subject == f"person:{person_id}",
    )


async def erase_person(*, conn: AsyncConnection, person_id: int, dry_run: bool) -> Tally | None:
    """GDPR art. 17: everything about one person goes; None when there is no such person.

    Their answers, prep sessions, plans (all versions, signatures, progress), bookings,
    reminders to or about them, leader notes about them (and notes they wrote), files made for
    them, conversation references, memberships and profile are deleted. Where the person
    acted on someone else's material (a leader who booked, wrote or signed another employee's
    plan, or started a round), that record stays but points to a pseudonymous stand-in person,
    so the other employee's plan is still whole. Audit rows keep what happened and when, with
    the person replaced by the same stand-in.
    """
    person = (await conn.execute(select(people).where(people.c.id == person_id))).one_or_none()
    if person is None:
        return None
    tally = Tally()
    mine_versions = select(plan_versions.c.id).where(plan_versions.c.employee_id == person_id)
    user_keys = (person.user_id, f"user:{person.user_id}")
    workspace = (
        await conn.execute(select(workspaces).where(workspaces.c.id == person.workspace_id))
    ).one()
    ref_where = and_(
        conversation_refs.c.platform == workspace.platform,
        conversation_refs.c.workspace_external_id == workspace.external_id,
        conversation_refs.c.key.in_(user_keys),
    )
    plan = [
        ("prep_answers", prep_answers, prep_answers.c.person_id == person_id),
        ("prep_sessions", prep_sessions, prep_sessions.c.person_id == person_id),
        (
            "leader_notes",
            leader_notes,
            or_(leader_notes.c.employee_id == person_id, leader_notes.c.leader_id == person_id),
        ),
        ("plan_approvals", plan_approvals, plan_approvals.c.version_id.in_(mine_versions)),
        ("plan_item_progress", plan_item_progress, plan_item_progress.c.employee_id == person_id),
        ("plan_versions", plan_versions, plan_versions.c.employee_id == person_id),
        ("bookings", bookings, bookings.c.employee_id == person_id),
        (
            "reminders",
            reminders,
            or_(reminders.c.recipient_id == person_id, reminders.c.subject_id == person_id),
        ),
        ("files", files, files.c.owner_user_id == person.user_id),
        ("conversation_refs", conversation_refs, ref_where),
        (
            "sent_messages",
            sent_messages,
            and_(
                sent_messages.c.platform == workspace.platform,
                sent_messages.c.workspace_external_id == workspace.external_id,
                sent_messages.c.user_id == person.user_id,
            ),
        ),
        ("team_people", team_people, team_people.c.person_id == person_id),
        ("round_people", round_people, round_people.c.person_id == person_id),
        # Issue #12: owning an action-plan agreement, sitting on the committee, having been
        # asked to evaluate. (An evaluation answer has no link to its author: nothing to find.)
        ("team_action_owners", team_action_owners, team_action_owners.c.person_id == person_id),
        ("committee_members", committee_members, committee_members.c.person_id == person_id),
        (
            "evaluation_invitations",
            evaluation_invitations,
            evaluation_invitations.c.person_id == person_id,
        ),
    ]
    # Their acts on others' material: kept, re-pointed to a stand-in.
    repoint = [
        ("rounds.started_by", rounds, rounds.c.started_by, rounds.c.started_by == person_id),
        ("bookings.booked_by", bookings, bookings.c.booked_by, bookings.c.booked_by == person_id),
        (
            "plan_versions.author_id",
            plan_versions,
            plan_versions.c.author_id,
            plan_versions.c.author_id == person_id,
        ),
        (
            "plan_approvals.person_id",
            plan_approvals,
            plan_approvals.c.person_id,
            plan_approvals.c.person_id == person_id,
        ),
        (
            "plan_item_progress.updated_by",
            plan_item_progress,
            plan_item_progress.c.updated_by,
            plan_item_progress.c.updated_by == person_id,
        ),
        (
            "team_actions.created_by",
            team_actions,
            team_actions.c.created_by,
            team_actions.c.created_by == person_id,
        ),
        (
            "team_actions.updated_by",
            team_actions,
            team_actions.c.updated_by,
            team_actions.c.updated_by == person_id,
        ),
    ]
    audit_where = or_(audit_log.c.actor_id == person_id, _subject_about(person_id))
    if dry_run:
        for name, table, where in plan:
            tally.add(name, await _count(conn, table, where))
        for name, table, _column, where in repoint:
            # Counted after deletion would be less; a dry run counts rows of others only.
            tally.add(f"{name} (kept, pseudonymised)", await _count(conn, table, where))
        tally.add("audit_log (kept, pseudonymised)", await _count(conn, audit_log, audit_where))
        tally.add("people", 1)
        return tally
    for name, table, where in plan:
        tally.add(name, rowcount(await conn.execute(delete(table).where(where))))
    stand_in_id = int(
        (
            await conn.execute(
                people.insert()
                .values(
                    workspace_id=person.workspace_id,
                    user_id=_pseudonym(person.user_id),
                    display_name=ERASED_NAME,
                    locale=person.locale,
                    timezone=person.timezone,
                    is_admin=False,
                    can_lead=False,
                )
                .returning(people.c.id)
            )
        ).scalar_one()
    )
    for name, table, column, where in repoint:
        moved = rowcount(
            await conn.execute(update(table).where(where).values({column: stand_in_id}))
        )
        tally.add(f"{name} (kept, pseudonymised)", moved)
    rows = (
        await conn.execute(
            select(
                audit_log.c.id, audit_log.c.actor_id, audit_log.c.subject, audit_log.c.detail
            ).where(audit_where)
        )
    ).all()
    for row in rows:
        await conn.execute(
            update(audit_log)
            .where(audit_log.c.id == row.id)
            .values(
                actor_id=stand_in_id if row.actor_id == person_id else row.actor_id,
                subject=_repoint_subject(row.subject, person_id, stand_in_id),
                detail=_scrub(row.detail, person.user_id),
            )
        )
    tally.add("audit_log (kept, pseudonymised)", len(rows))
    # Details listing user ids (who was named leader) may name them outside rows about them.
    named = (
        await conn.execute(
            select(audit_log.c.id, audit_log.c.detail).where(
                audit_log.c.detail.contains(person.user_id, autoescape=True)
            )
        )
    ).all()
    for hit in named:
        await conn.execute(
            update(audit_log)
            .where(audit_log.c.id == hit.id)
            .values(detail=_scrub(hit.detail, person.user_id))
        )
    await conn.execute(delete(people).where(people.c.id == person_id))
    tally.add("people", 1)
    return tally


def _repoint_subject(subject: str, person_id: int, stand_in_id: int) -> str:
    parts = subject.replace("/", ":/:").split(":")
    out = []
    for index, part in enumerate(parts):
        if index > 0 and parts[index - 1] == "person" and part == str(person_id):
            out.append(str(stand_in_id))
        else:
            out.append(part)
    return ":".join(out).replace(":/:", "/")


def _scrub(detail: str | None, user_id: str) -> str | None:
    if detail is None or not user_id:
        return detail
    return detail.replace(user_id, "erased")


# ---------------------------------------------------------------- purge


# A round is running until it is closed (in follow-up its plans still have dates to keep).
DONE_PHASES = ("closed",)


@dataclass(frozen=True, slots=True)
class RoundLine:
    id: int
    template_name: str
    conversations_from: date
    conversations_to: date
    phase: str
    employees: int

    @property
    def running(self) -> bool:
        return self.phase not in DONE_PHASES


async def rounds_ended_before(*, conn: AsyncConnection, day: date) -> list[RoundLine]:
    members = (
        select(func.count())
        .select_from(round_people)
        .where((round_people.c.round_id == rounds.c.id) & (round_people.c.role == "member"))
        .scalar_subquery()
    )
    rows = await conn.execute(
        select(
            rounds.c.id,
            rounds.c.template_name,
            rounds.c.conversations_from,
            rounds.c.conversations_to,
            rounds.c.phase,
            members.label("employees"),
        )
        .where(rounds.c.conversations_to < day)
        .order_by(rounds.c.id)
    )
    return [
        RoundLine(
            id=r.id,
            template_name=r.template_name,
            conversations_from=r.conversations_from,
            conversations_to=r.conversations_to,
            phase=r.phase,
            employees=int(r.employees or 0),
        )
        for r in rows
    ]


async def purge(
    *,
    conn: AsyncConnection,
    round_ids: Sequence[int],
    now: datetime,
    audit_before: datetime,
    events_before: datetime,
    dry_run: bool,
) -> Tally:
    """Delete the rounds, then what they leave behind.

    Left behind: teams with no round left (and their memberships), people in no round, team
    or remaining record (unless an admin named them leader: that is configuration, not MUS
    material), conversation references of people and channels no longer known, Teams form
    cards, files expired or made for people no longer known, processed-event ids past their
    retention, audit rows past theirs.
    """
    tally = Tally()
    ids = list(round_ids)

    async def run(name: str, table: Any, where: Any) -> None:
        if dry_run:
            tally.add(name, await _count(conn, table, where))
        else:
            tally.add(name, rowcount(await conn.execute(delete(table).where(where))))

    await run("rounds", rounds, rounds.c.id.in_(ids))
    if dry_run:
        # The rest depends on the rounds being gone; a dry run reports the rounds only,
        # plus what is past retention regardless.
        await run(
            "processed_events", processed_events, processed_events.c.processed_at < events_before
        )
        await run("audit_log", audit_log, audit_log.c.at < audit_before)
        await run("files (expired)", files, files.c.expires_at <= now)
        return tally
    has_round = exists().where(rounds.c.team_id == teams.c.id)
    orphan_teams = select(teams.c.id).where(~has_round)
    await run("team_people", team_people, team_people.c.team_id.in_(orphan_teams))
    await run("teams", teams, ~has_round)
    referenced = or_(
        exists().where(round_people.c.person_id == people.c.id),
        exists().where(team_people.c.person_id == people.c.id),
        exists().where(rounds.c.started_by == people.c.id),
        exists().where(bookings.c.booked_by == people.c.id),
        exists().where(plan_versions.c.author_id == people.c.id),
        exists().where(plan_approvals.c.person_id == people.c.id),
        exists().where(plan_item_progress.c.updated_by == people.c.id),
        people.c.can_lead.is_(True),
        exists().where(committee_members.c.person_id == people.c.id),  # configuration too
    )
    await run("people", people, ~referenced)
    known_user = (
        select(people.c.id)
        .join(workspaces, workspaces.c.id == people.c.workspace_id)
        .where(
            (workspaces.c.platform == conversation_refs.c.platform)
            & (workspaces.c.external_id == conversation_refs.c.workspace_external_id)
            & (
                (conversation_refs.c.key == people.c.user_id)
                | (conversation_refs.c.key == literal("user:", String()) + people.c.user_id)
            )
        )
        .exists()
    )
    known_channel = (
        select(teams.c.id)
        .join(workspaces, workspaces.c.id == teams.c.workspace_id)
        .where(
            (workspaces.c.platform == conversation_refs.c.platform)
            & (workspaces.c.external_id == conversation_refs.c.workspace_external_id)
            & (conversation_refs.c.key == literal("channel:", String()) + teams.c.channel_id)
        )
        .exists()
    )
    is_user_ref = (
        ~conversation_refs.c.key.startswith("channel:")
        & ~conversation_refs.c.key.startswith("form:")
        & (conversation_refs.c.key != "tenant")
    )
    await run(
        "conversation_refs",
        conversation_refs,
        or_(
            conversation_refs.c.key.startswith("form:"),
            and_(conversation_refs.c.key.startswith("channel:"), ~known_channel),
            and_(is_user_ref, ~known_user),
        ),
    )
    known_recipient = (
        select(people.c.id)
        .join(workspaces, workspaces.c.id == people.c.workspace_id)
        .where(
            (workspaces.c.platform == sent_messages.c.platform)
            & (workspaces.c.external_id == sent_messages.c.workspace_external_id)
            & (people.c.user_id == sent_messages.c.user_id)
        )
        .exists()
    )
    # Refs of messages to people no longer known, and of channel messages (no channel keys
    # are kept today; one that is gets posted anew at worst).
    await run(
        "sent_messages",
        sent_messages,
        or_(sent_messages.c.user_id.is_(None), ~known_recipient),
    )
    known_owner = exists().where(people.c.user_id == files.c.owner_user_id)
    await run(
        "files",
        files,
        or_(files.c.expires_at <= now, and_(files.c.owner_user_id.is_not(None), ~known_owner)),
    )
    await run("processed_events", processed_events, processed_events.c.processed_at < events_before)
    await run("audit_log", audit_log, audit_log.c.at < audit_before)
    return tally


# ---------------------------------------------------------------- audit


@dataclass(frozen=True, slots=True)
class AuditLine:
    at: datetime
    actor_id: int | None
    actor: str | None
    action: str
    subject: str
    detail: str | None

    @property
    def refused(self) -> bool:
        return is_refusal(self.action)


def is_refusal(action: str) -> bool:
    return action.endswith(("_denied", ".denied", ".refused", "_refused")) or ".refuse" in action


async def audit_lines(
    *,
    conn: AsyncConnection,
    person_id: int | None = None,
    reader_id: int | None = None,
    since: datetime | None = None,
    refused_only: bool = False,
    limit: int = 1000,
) -> list[AuditLine]:
    """Audit rows, newest first, with the reader's name: who read or changed what, when."""
    stmt = select(audit_log, people.c.display_name).join(
        people, people.c.id == audit_log.c.actor_id, isouter=True
    )
    if person_id is not None:
        stmt = stmt.where(_subject_about(person_id))
    if reader_id is not None:
        stmt = stmt.where(audit_log.c.actor_id == reader_id)
    if since is not None:
        stmt = stmt.where(audit_log.c.at >= since)
    if refused_only:
        stmt = stmt.where(
            or_(
                audit_log.c.action.endswith("_denied"),
                audit_log.c.action.endswith(".denied"),
                audit_log.c.action.endswith("_refused"),
                audit_log.c.action.endswith(".refused"),
                audit_log.c.action.contains(".refuse"),
            )
        )
    stmt = stmt.order_by(audit_log.c.at.desc(), audit_log.c.id.desc()).limit(limit)
    return [
        AuditLine(
            at=row.at,
            actor_id=row.actor_id,
            actor=row.display_name,
            action=row.action,
            subject=row.subject,
            detail=row.detail,
        )
        for row in await conn.execute(stmt)
    ]
