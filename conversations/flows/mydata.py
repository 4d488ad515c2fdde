"""`/mus mine data` (`my data`): everything the bot holds about the person, as a document.

GDPR art. 15: the person may see all personal data held about them, and who has read it. The
answer is a file for them alone (a JSON document: readable, and portable, art. 20), handed
over privately; nothing of it is written in the chat message itself.

`collect` only reads what belongs to the person: their profile, the rounds they take part in
or lead, their own answers, plans with every version, bookings, reminders addressed to them,
and the audit rows about them (who read their prep and plans, when). Another employee's
material never appears, not even to a leader asking for their own data. The leader's private
notes about the person are included only when an administrator answers a formal access
request (`musbot data export`), where the controller decides what is disclosed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from conversations.context import Ctx
from conversations.domain import Person, PlanVersion, Round
from conversations.messages import Attachment, Message, Note, Paragraph, Reply, ToActor
from conversations.ports import Tx

FORMAT_VERSION = 1


def _about(subject: str, round_id: int, person_id: int) -> bool:
    own = f"round:{round_id}:person:{person_id}"
    return subject == own or subject.startswith(own + ":") or subject.startswith(own + "/")


def _plan(version: PlanVersion, names: dict[int, str]) -> dict[str, Any]:
    return {
        "version": version.number,
        "state": version.state.value,
        "created_at": version.created_at.isoformat(),
        "author": names.get(version.author_id, str(version.author_id)),
        "follow_up_on": version.follow_up_on.isoformat() if version.follow_up_on else None,
        "items": [
            {
                "id": item.id,
                "fields": dict(item.fields),
                "waits_for_summary": item.waits_for_summary,
            }
            for item in version.items
        ],
        "change_request": version.change_request,
        "approved_by": [
            {"person": names.get(a.person_id, str(a.person_id)), "at": a.at.isoformat()}
            for a in version.approvals
        ],
    }


async def _names(tx: Tx, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    return {p.id: p.display_name for p in await tx.people.get_many(person_ids=wanted)}


async def collect(*, tx: Tx, person: Person, include_notes: bool = False) -> dict[str, Any]:
    """The person's data as a JSON-ready dict (see the module docstring for what is in it)."""
    me = person.id
    as_member = await tx.rounds.with_member(person_id=me)
    as_leader = await tx.rounds.led_by(person_id=me)
    rounds: dict[int, Round] = {r.id: r for r in [*as_member, *as_leader]}
    document: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "profile": {
            "id": person.id,
            "user_id": person.user_id,
            "display_name": person.display_name,
            "locale": person.locale,
            "timezone": person.timezone,
            "is_admin": person.is_admin,
            "can_lead": person.can_lead,
        },
        "rounds": [],
    }
    for round_ in sorted(rounds.values(), key=lambda r: r.id):
        role = "employee" if me in round_.member_ids else "leader"
        names = await _names(tx, [*round_.leader_ids, me])
        entry: dict[str, Any] = {
            "round": round_.id,
            "template": round_.template_name,
            "phase": round_.phase.value,
            "role": role,
            "leaders": [names.get(i, str(i)) for i in round_.leader_ids],
            "prep_deadline": round_.prep_deadline.isoformat(),
            "conversations": [
                round_.conversations_from.isoformat(),
                round_.conversations_to.isoformat(),
            ],
        }
        if role == "employee":
            entry.update(await _as_employee(tx, round_, me, names, include_notes=include_notes))
        reminders = [
            {"kind": r.kind, "due_at": r.due_at.isoformat(), "state": r.state.value}
            for r in await tx.outbox.for_round(round_id=round_.id)
            if r.recipient_id == me
        ]
        entry["reminders"] = reminders
        document["rounds"].append(entry)
    return document


async def _as_employee(
    tx: Tx, round_: Round, me: int, names: dict[int, str], *, include_notes: bool
) -> dict[str, Any]:
    session = await tx.prep.get_session(round_id=round_.id, person_id=me)
    answers = await tx.prep.answers(round_id=round_.id, person_id=me)
    versions = await tx.plans.versions(round_id=round_.id, employee_id=me)
    progress = await tx.plans.item_progress(round_id=round_.id, employee_id=me)
    booking = await tx.bookings.get(round_id=round_.id, employee_id=me)
    audit = [
        e
        for e in await tx.audit.entries(
            subject_prefix=f"round:{round_.id}:person:{me}", limit=10_000
        )
        if _about(e.subject, round_.id, me)
    ]
    more = [a.person_id for v in versions for a in v.approvals]
    more += [v.author_id for v in versions] + [e.actor_id for e in audit if e.actor_id]
    more += [p.updated_by for p in progress.values()]
    if booking is not None:
        more.append(booking.booked_by)
    names.update(await _names(tx, more))
    out: dict[str, Any] = {
        "preparation": None
        if session is None
        else {
            "status": session.status.value,
            "shared_at": session.shared_at.isoformat() if session.shared_at else None,
            "conversation_held_at": session.conversation_held_at.isoformat()
            if session.conversation_held_at
            else None,
            "answers": {
                qid: {
                    "text": a.text,
                    "skipped": a.skipped,
                    "updated_at": a.updated_at.isoformat(),
                    "revision": a.revision,
                }
                for qid, a in sorted(answers.items())
            },
        },
        "plan_versions": [_plan(v, names) for v in versions],
        "plan_progress": {
            item: {
                "status": p.status.value,
                "by": names.get(p.updated_by, str(p.updated_by)),
                "at": p.updated_at.isoformat(),
            }
            for item, p in sorted(progress.items())
        },
        "booking": None
        if booking is None
        else {
            "starts_at": booking.starts_at.isoformat(),
            "minutes": booking.minutes,
            "booked_by": names.get(booking.booked_by, str(booking.booked_by)),
            "times_moved": booking.sequence,
        },
        "who_read_or_changed": [
            {
                "at": e.at.isoformat(),
                "by": names.get(e.actor_id, str(e.actor_id)) if e.actor_id else "system",
                "action": e.action,
            }
            for e in sorted(audit, key=lambda e: (e.at, e.id))
        ],
    }
    if include_notes:
        notes = []
        for leader_id in round_.leader_ids:
            note = await tx.notes.get(round_id=round_.id, leader_id=leader_id, employee_id=me)
            if note is not None:
                notes.append(
                    {
                        "leader": names.get(leader_id, str(leader_id)),
                        "text": note.text,
                        "updated_at": note.updated_at.isoformat(),
                    }
                )
        out["leader_notes"] = notes
    return out


async def my_data(ctx: Ctx, rest: str) -> Reply:
    """The person's own data, as a file only they receive."""
    document = await collect(tx=ctx.tx, person=ctx.person)
    await ctx.audit(action="mydata.export", subject=f"person:{ctx.person.id}")
    text = ctx.t("mydata.ready")
    filename = ctx.t("mydata.filename")
    return Reply(
        (
            Message(
                to=ToActor(),
                text=text,
                blocks=(Paragraph(text), Note(ctx.t("mydata.note"))),
                attachments=(
                    Attachment(
                        filename=filename,
                        content=json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8"),
                        mime_type="application/json",
                        title=filename,
                    ),
                ),
            ),
        )
    )


async def data_command(ctx: Ctx, rest: str) -> Reply:
    """`mine data` / `my data`: the second word must be `data`; otherwise the help."""
    if rest.strip().lower() in ("data", "oplysninger"):
        return await my_data(ctx, "")
    from conversations.flows import help as help_flow

    return await help_flow.show_help(ctx, "", unknown=f"mine {rest.strip()}".strip())
