"""A small workspace full of confidential material, each piece carrying a findable marker.

Used by the encryption, export, erase and purge tests: whatever the bot stores about a person
is written here through the real repositories, so a raw read can look for the marker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from conversations.domain import ItemStatus, PlanItem, PlanState, PrepStatus
from conversations.lifecycles import prep as prep_lifecycle
from conversations.lifecycles.base import Refusal
from conversations.lifecycles.prep import PrepAction, PrepState
from conversations.ports import AnswerWrite
from storage.db import SqlStore
from storage.files import SqlFileRepo
from storage.repositories.plans import SqlPlanRepo

T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
TEMPLATE = {
    "name": "generic",
    "themes": [{"id": "t", "questions": [{"id": "q1", "text": "Hvordan går det?"}]}],
}


@dataclass(frozen=True)
class Seeded:
    workspace_id: int
    leader_id: int
    employee_id: int
    other_id: int
    round_id: int
    file_token: str
    other_file_token: str


def marker(who: str, what: str) -> str:
    return f"MARK-{who}-{what}-Æø"


async def seed(store: SqlStore, *, user_prefix: str = "U") -> Seeded:
    """Leader L leads E (employee) and O (another employee) in one round; each has material."""
    async with store.transaction() as tx:
        ws = await tx.workspaces.get_or_create(platform="slack", external_id="T1")
        leader = await tx.people.upsert(
            workspace_id=ws.id, user_id=f"{user_prefix}LEAD", display_name="Lea Leder"
        )
        employee = await tx.people.upsert(
            workspace_id=ws.id, user_id=f"{user_prefix}EMP", display_name="Emil Ansat"
        )
        other = await tx.people.upsert(
            workspace_id=ws.id, user_id=f"{user_prefix}OTH", display_name="Olga Anden"
        )
        team = await tx.teams.create(
            workspace_id=ws.id,
            name="Team",
            channel_id="C1",
            leader_ids=[leader.id],
            member_ids=[employee.id, other.id],
        )
        round_ = await tx.rounds.create(
            team_id=team.id,
            template_name="generic",
            template=TEMPLATE,
            kerneopgave="k",
            udviklingsmaal="u",
            kickoff_at=None,
            prep_deadline=date(2025, 3, 10),
            conversations_from=date(2025, 3, 11),
            conversations_to=date(2025, 3, 20),
            summary_at=None,
            started_by=leader.id,
            created_at=T0,
            leader_ids=[leader.id],
            member_ids=[employee.id, other.id],
        )
        for person, who in ((employee, "E"), (other, "O")):
            shared = prep_lifecycle.decide(
                PrepState(status=PrepStatus.NOT_STARTED), PrepAction.SHARE
            )
            assert not isinstance(shared, Refusal)
            # Both ways an answer is written: with the move past it (E), and on its own (O).
            answer = AnswerWrite("q1", marker(who, "answer"))
            await tx.prep.apply(
                round_id=round_.id,
                person_id=person.id,
                transition=shared,
                at=T0,
                cursor=1,
                answer=answer if who == "E" else None,
            )
            if who == "O":
                await tx.prep.save_answer(
                    round_id=round_.id,
                    person_id=person.id,
                    question_id="q1",
                    text=answer.text,
                    skipped=False,
                    at=T0,
                )
            await tx.notes.save(
                round_id=round_.id,
                leader_id=leader.id,
                employee_id=person.id,
                text=marker(who, "note"),
                at=T0,
            )
            version = await tx.plans.add_version(
                round_id=round_.id,
                employee_id=person.id,
                items=[PlanItem(id="i1", fields={"goal": marker(who, "plan")})],
                follow_up_on=date(2025, 9, 1),
                author_id=leader.id,
                at=T0,
            )
            # A stored shape, not a story: one proposed version that also carries a change
            # request (the lifecycle would supersede it), written directly as test data.
            assert isinstance(tx.plans, SqlPlanRepo)
            await tx.plans._set_state(version.id, PlanState.PROPOSED, marker(who, "change"))
            await tx.plans.approve(version_id=version.id, person_id=person.id, at=T0)
            await tx.plans.set_item_status(
                round_id=round_.id,
                employee_id=person.id,
                item_id="i1",
                status=ItemStatus.UNDER_WAY,
                by=person.id,
                at=T0,
            )
            await tx.bookings.save(
                round_id=round_.id,
                employee_id=person.id,
                starts_at=T0 + timedelta(days=12),
                minutes=60,
                booked_by=leader.id,
                at=T0,
            )
            await tx.outbox.schedule(
                key=f"booking:{round_.id}:{person.id}",
                kind="booking",
                round_id=round_.id,
                recipient_id=person.id,
                subject_id=person.id,
                due_at=T0 + timedelta(days=11),
            )
            await tx.conversation_refs.save(
                platform="slack", workspace_id="T1", key=person.user_id, ref={"u": person.user_id}
            )
            await tx.sent_messages.record(
                platform="slack",
                workspace_id="T1",
                key=f"prep-question:{round_.id}:{person.id}",
                ref=f"D-{person.user_id}:1.1",
                user_id=person.user_id,
                at=T0,
            )
            await tx.audit.record(
                at=T0,
                actor_id=leader.id,
                action="prep.view",
                subject=f"round:{round_.id}:person:{person.id}",
            )
            await tx.audit.record(
                at=T0,
                actor_id=person.id,
                action="prep.share",
                subject=f"round:{round_.id}:person:{person.id}",
            )
        claimed = await tx.outbox.claim_due(
            now=T0 + timedelta(days=11), limit=10, worker="w", lease_seconds=60
        )
        who_of = {employee.id: "E", other.id: "O"}
        for reminder in claimed:
            await tx.outbox.mark_failed(
                reminder_id=reminder.id,
                worker="w",
                error=marker(who_of[reminder.recipient_id], "error"),
            )
        await tx.events.claim(key="slack:T1:Ev1", at=T0)
    files = SqlFileRepo(store=store)
    token = await files.put(
        filename="plan-E.txt",
        mime_type="text/plain",
        content=marker("E", "file").encode(),
        owner_user_id=employee.user_id,
        now=T0,
        expires_at=T0 + timedelta(days=30),
    )
    other_token = await files.put(
        filename="plan-O.txt",
        mime_type="text/plain",
        content=marker("O", "file").encode(),
        owner_user_id=other.user_id,
        now=T0,
        expires_at=T0 + timedelta(days=30),
    )
    return Seeded(
        workspace_id=ws.id,
        leader_id=leader.id,
        employee_id=employee.id,
        other_id=other.id,
        round_id=round_.id,
        file_token=token,
        other_file_token=other_token,
    )
