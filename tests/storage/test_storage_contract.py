"""The storage contract (`conversations.ports`), run against every backend.

One class, parametrized through the `store` fixture (SQLite and PostgreSQL), in the style of
aiogram's storage tests: whatever passes here, the flows may rely on, whichever database they
run on.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from conversations.domain import (
    Approval,
    AuditEntry,
    Booking,
    ItemProgress,
    ItemStatus,
    LeaderNote,
    Person,
    Phase,
    PlanItem,
    PlanState,
    PlanVersion,
    PrepAnswer,
    PrepSession,
    PrepStatus,
    Reminder,
    ReminderState,
    Round,
    Team,
    Workspace,
)
from conversations.lifecycles import plan as plan_lifecycle
from conversations.lifecycles import prep as prep_lifecycle
from conversations.lifecycles import round as round_lifecycle
from conversations.lifecycles.base import Refusal, Transition
from conversations.lifecycles.plan import PlanAction, PlanFacts, PlanStage
from conversations.lifecycles.prep import PrepAction, PrepState
from conversations.lifecycles.round import RoundAction
from conversations.ports import AnswerWrite, NotFound, RefWrite, Store, Tx
from conversations.templates.stored import RoundForm
from storage.db import SqlStore, SqlTx
from storage.models import prep_sessions
from tests.support.rounds import advance_round, close_round

T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
CPH = timezone(timedelta(hours=1))  # Copenhagen in winter, as a fixed offset


def _allowed(result: Transition | Refusal) -> Transition:  # type: ignore[type-arg]
    assert not isinstance(result, Refusal), result.reason
    return result


def _round_step(phase: Phase) -> round_lifecycle.RoundTransition:
    """A transition decided on `phase` (to test what the repository does with it)."""
    return _allowed(round_lifecycle.decide(phase, RoundAction.CLOSE))


def _prep_step(session: PrepSession | None, action: PrepAction) -> prep_lifecycle.PrepTransition:
    return _allowed(prep_lifecycle.decide(PrepState.of(session, phase=Phase.PREP), action))


def _plan_step(
    stage: PlanStage, action: PlanAction, **facts: bool
) -> plan_lifecycle.PlanTransition:
    return _allowed(plan_lifecycle.decide(stage, action, PlanFacts(**facts)))


SECOND = timedelta(seconds=1)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

TEMPLATE = {
    "name": "tonder",
    "themes": [{"id": "trivsel", "questions": [{"id": "q1", "text": "Hvordan går det? ÆØÅ"}]}],
}


async def _people(tx: Tx, *user_ids: str) -> tuple[Workspace, list[Person]]:
    ws = await tx.workspaces.get_or_create(platform="slack", external_id="T1", name="Tønder")
    people = [
        await tx.people.upsert(workspace_id=ws.id, user_id=uid, display_name=uid.lower())
        for uid in user_ids
    ]
    return ws, people


async def _round(tx: Tx, **overrides: object) -> tuple[Team, list[Person], Round]:
    ws, people = await _people(tx, "LEAD", "EMP1", "EMP2")
    team = await tx.teams.create(
        workspace_id=ws.id,
        name="Team Syd",
        channel_id="C1",
        leader_ids=[people[0].id],
        member_ids=[people[1].id, people[2].id],
    )
    values: dict[str, object] = {
        "team_id": team.id,
        "template_name": "tonder",
        "template": TEMPLATE,
        "kerneopgave": "Borgernær service",
        "udviklingsmaal": "Mere samskabelse",
        "kickoff_at": T0,
        "prep_deadline": date(2025, 3, 15),
        "conversations_from": date(2025, 3, 17),
        "conversations_to": date(2025, 4, 11),
        "summary_at": None,
        "started_by": people[0].id,
        "created_at": T0,
    }
    values.update(overrides)
    rnd = await tx.rounds.create(**values)  # type: ignore[arg-type]
    return team, people, rnd


async def _remind(tx: Tx, rnd: Round, person: Person, key: str, due_at: datetime) -> Reminder:
    return await tx.outbox.schedule(
        key=key,
        kind="prep_nudge",
        round_id=rnd.id,
        recipient_id=person.id,
        subject_id=None,
        due_at=due_at,
    )


class StoreContract:
    """What `conversations.ports` promises; every `Store` implementation must pass it."""

    # ------------------------------------------------------------ transactions

    async def test_commit_on_normal_exit(self, store: Store) -> None:
        async with store.transaction() as tx:
            ws = await tx.workspaces.get_or_create(platform="slack", external_id="T1")
        async with store.transaction() as tx:
            assert await tx.workspaces.get(workspace_id=ws.id) == ws

    async def test_rollback_on_exception(self, store: Store) -> None:
        with pytest.raises(RuntimeError):
            async with store.transaction() as tx:
                ws = await tx.workspaces.get_or_create(platform="slack", external_id="T1")
                assert await tx.events.claim(key="evt-1", at=T0)
                raise RuntimeError("handler failed")
        async with store.transaction() as tx:
            assert await tx.workspaces.get(workspace_id=ws.id) is None
            # The failed handler released its claim: the platform's retry is processed.
            assert await tx.events.claim(key="evt-1", at=T0)

    # ------------------------------------------------------------ workspaces

    async def test_workspace_get_or_create(self, store: Store) -> None:
        async with store.transaction() as tx:
            ws = await tx.workspaces.get_or_create(platform="slack", external_id="T1")
            assert ws == Workspace(id=ws.id, platform="slack", external_id="T1", name=None)
            again = await tx.workspaces.get_or_create(platform="slack", external_id="T1")
            assert again == ws
            other = await tx.workspaces.get_or_create(platform="teams", external_id="T1")
            assert other.id != ws.id
            assert await tx.workspaces.get(workspace_id=other.id) == other
            assert await tx.workspaces.get(workspace_id=9999) is None

    # ------------------------------------------------------------ people

    async def test_person_upsert_defaults(self, store: Store) -> None:
        async with store.transaction() as tx:
            ws = await tx.workspaces.get_or_create(platform="slack", external_id="T1")
            p = await tx.people.upsert(workspace_id=ws.id, user_id="U1")
            assert p == Person(
                id=p.id,
                workspace_id=ws.id,
                user_id="U1",
                display_name="U1",
                locale="da",
                timezone="Europe/Copenhagen",
                is_admin=False,
                can_lead=False,
            )

    async def test_person_upsert_none_leaves_stored_values(self, store: Store) -> None:
        async with store.transaction() as tx:
            ws = await tx.workspaces.get_or_create(platform="slack", external_id="T1")
            p = await tx.people.upsert(
                workspace_id=ws.id,
                user_id="U1",
                display_name="Åse Ørsted",
                locale="en",
                timezone="Europe/London",
                is_admin=True,
            )
            await tx.people.set_can_lead(person_id=p.id, can_lead=True)
            same = await tx.people.upsert(workspace_id=ws.id, user_id="U1")
            assert same == Person(
                id=p.id,
                workspace_id=ws.id,
                user_id="U1",
                display_name="Åse Ørsted",
                locale="en",
                timezone="Europe/London",
                is_admin=True,
                can_lead=True,
            )
            changed = await tx.people.upsert(
                workspace_id=ws.id, user_id="U1", display_name="Åse", is_admin=False
            )
            assert (changed.display_name, changed.is_admin, changed.locale) == ("Åse", False, "en")
            assert changed.can_lead  # upsert never touches can_lead

    async def test_person_lookups(self, store: Store) -> None:
        async with store.transaction() as tx:
            ws, (a, b, c) = await _people(tx, "A", "B", "C")
            other_ws = await tx.workspaces.get_or_create(platform="teams", external_id="X")
            assert await tx.people.get(person_id=a.id) == a
            assert await tx.people.get(person_id=9999) is None
            assert await tx.people.get_by_user_id(workspace_id=ws.id, user_id="B") == b
            assert await tx.people.get_by_user_id(workspace_id=other_ws.id, user_id="B") is None
            assert await tx.people.get_many(person_ids=[c.id, 9999, a.id]) == [c, a]
            assert await tx.people.get_many(person_ids=[]) == []

    async def test_leaders_by_display_name(self, store: Store) -> None:
        async with store.transaction() as tx:
            ws, (a, b, _) = await _people(tx, "ZED", "ANNA", "MIA")
            assert await tx.people.leaders(workspace_id=ws.id) == []
            await tx.people.set_can_lead(person_id=a.id, can_lead=True)
            await tx.people.set_can_lead(person_id=b.id, can_lead=True)
            leaders = await tx.people.leaders(workspace_id=ws.id)
            assert [p.user_id for p in leaders] == ["ANNA", "ZED"]
            assert all(p.may_lead for p in leaders)
            await tx.people.set_can_lead(person_id=a.id, can_lead=False)
            assert [p.id for p in await tx.people.leaders(workspace_id=ws.id)] == [b.id]
            with pytest.raises(LookupError):
                await tx.people.set_can_lead(person_id=9999, can_lead=True)

    # ------------------------------------------------------------ teams

    async def test_team_create_and_get(self, store: Store) -> None:
        async with store.transaction() as tx:
            ws, (lead, co, e1, e2) = await _people(tx, "L", "CO", "E1", "E2")
            team = await tx.teams.create(
                workspace_id=ws.id,
                name="Team Syd",
                channel_id="C1",
                leader_ids=[lead.id, co.id],
                member_ids=[e2.id, e1.id],
            )
            assert team == Team(
                id=team.id,
                workspace_id=ws.id,
                name="Team Syd",
                channel_id="C1",
                leader_ids=(lead.id, co.id),
                member_ids=(e2.id, e1.id),  # order kept
            )
            assert await tx.teams.get(team_id=team.id) == team
            assert await tx.teams.get(team_id=9999) is None
            assert await tx.teams.get_by_channel(workspace_id=ws.id, channel_id="C1") == team
            assert await tx.teams.get_by_channel(workspace_id=ws.id, channel_id="C2") is None

    async def test_team_without_channel_and_leader_also_member(self, store: Store) -> None:
        async with store.transaction() as tx:
            ws, (lead, e1) = await _people(tx, "L", "E1")
            team = await tx.teams.create(
                workspace_id=ws.id,
                name="Ledergruppen",
                channel_id=None,
                leader_ids=[lead.id],
                member_ids=[lead.id, e1.id],
            )
            assert team.channel_id is None
            assert team.leader_ids == (lead.id,) and team.member_ids == (lead.id, e1.id)
            second = await tx.teams.create(
                workspace_id=ws.id, name="B", channel_id=None, leader_ids=[e1.id], member_ids=[]
            )
            assert second.member_ids == ()

    async def test_team_update(self, store: Store) -> None:
        async with store.transaction() as tx:
            ws, (lead, new_lead, e1, e2) = await _people(tx, "L", "NL", "E1", "E2")
            team = await tx.teams.create(
                workspace_id=ws.id,
                name="A",
                channel_id="C1",
                leader_ids=[lead.id],
                member_ids=[e1.id],
            )
            renamed = await tx.teams.update(team_id=team.id, name="B")
            assert (renamed.name, renamed.leader_ids, renamed.member_ids) == (
                "B",
                (lead.id,),
                (e1.id,),
            )
            moved = await tx.teams.update(
                team_id=team.id, leader_ids=[new_lead.id], member_ids=[e2.id, e1.id]
            )
            assert moved.leader_ids == (new_lead.id,) and moved.member_ids == (e2.id, e1.id)
            emptied = await tx.teams.update(team_id=team.id, member_ids=[])
            assert emptied.member_ids == () and emptied.leader_ids == (new_lead.id,)
            assert await tx.teams.get(team_id=team.id) == emptied
            with pytest.raises(LookupError):
                await tx.teams.update(team_id=9999, name="X")

    async def test_teams_led_by_and_with_member(self, store: Store) -> None:
        async with store.transaction() as tx:
            ws, (lead, e1, e2) = await _people(tx, "L", "E1", "E2")
            t1 = await tx.teams.create(
                workspace_id=ws.id,
                name="1",
                channel_id="C1",
                leader_ids=[lead.id],
                member_ids=[e1.id],
            )
            t2 = await tx.teams.create(
                workspace_id=ws.id,
                name="2",
                channel_id="C2",
                leader_ids=[lead.id, e1.id],
                member_ids=[e2.id],
            )
            assert await tx.teams.led_by(person_id=lead.id) == [t1, t2]
            assert await tx.teams.led_by(person_id=e1.id) == [t2]
            assert await tx.teams.led_by(person_id=e2.id) == []
            assert await tx.teams.with_member(person_id=e1.id) == [t1]
            assert await tx.teams.with_member(person_id=e2.id) == [t2]
            assert await tx.teams.with_member(person_id=lead.id) == []

    # ------------------------------------------------------------ rounds

    async def test_round_create_and_get(self, store: Store) -> None:
        async with store.transaction() as tx:
            team, people, rnd = await _round(tx, kickoff_at=datetime(2025, 3, 3, 10, tzinfo=CPH))
        assert rnd == Round(
            id=rnd.id,
            team_id=team.id,
            template_name="tonder",
            template=TEMPLATE,
            kerneopgave="Borgernær service",
            udviklingsmaal="Mere samskabelse",
            kickoff_at=datetime(2025, 3, 3, 9, tzinfo=UTC),
            prep_deadline=date(2025, 3, 15),
            conversations_from=date(2025, 3, 17),
            conversations_to=date(2025, 4, 11),
            summary_at=None,
            phase=Phase.PREP,
            started_by=people[0].id,
            created_at=T0,
        )
        async with store.transaction() as tx:
            got = await tx.rounds.get(round_id=rnd.id)
            assert got == rnd
            assert got is not None and isinstance(got.phase, Phase)
            assert await tx.rounds.get(round_id=9999) is None

    async def test_deleting_a_round_takes_everything_in_it_and_nothing_else(
        self, store: Store
    ) -> None:
        async with store.transaction() as tx:
            team, people, gone = await _round(tx, conversations_to=date(2025, 4, 11))
            lead, emp1, _ = people
            kept = await tx.rounds.create(
                team_id=team.id,
                template_name="kk",
                template={},
                kerneopgave="",
                udviklingsmaal="",
                kickoff_at=None,
                prep_deadline=date(2026, 3, 1),
                conversations_from=date(2026, 3, 2),
                conversations_to=date(2026, 3, 30),
                summary_at=None,
                started_by=lead.id,
                created_at=T0,
                leader_ids=[lead.id],
                member_ids=[emp1.id],
            )
            for rnd in (gone, kept):
                await tx.prep.save_answer(
                    round_id=rnd.id,
                    person_id=emp1.id,
                    question_id="q",
                    text="t",
                    skipped=False,
                    at=T0,
                )
                await tx.notes.save(
                    round_id=rnd.id, leader_id=lead.id, employee_id=emp1.id, text="n", at=T0
                )
                await _remind(tx, rnd, emp1, f"k{rnd.id}", T0)
            assert [r.id for r in await tx.rounds.ended_before(day=date(2026, 1, 1))] == [gone.id]
            assert await tx.rounds.delete(round_id=gone.id) is True
            assert await tx.rounds.delete(round_id=gone.id) is False
        async with store.transaction() as tx:
            assert await tx.rounds.get(round_id=gone.id) is None
            assert await tx.prep.answers(round_id=gone.id, person_id=emp1.id) == {}
            assert (
                await tx.notes.get(round_id=gone.id, leader_id=lead.id, employee_id=emp1.id) is None
            )
            assert await tx.outbox.for_round(round_id=gone.id) == []
            assert list(await tx.prep.answers(round_id=kept.id, person_id=emp1.id)) == ["q"]
            assert len(await tx.outbox.for_round(round_id=kept.id)) == 1

    async def test_each_round_keeps_its_own_leaders_and_members(self, store: Store) -> None:
        async with store.transaction() as tx:
            team, people, first = await _round(
                tx,
                created_at=T0 - timedelta(days=365),
                leader_ids=[],
                member_ids=[],
            )
            lead, emp1, emp2 = people
            r2024 = await tx.rounds.create(
                team_id=team.id,
                template_name="kk",
                template={},
                kerneopgave="",
                udviklingsmaal="",
                kickoff_at=None,
                prep_deadline=date(2025, 3, 1),
                conversations_from=date(2025, 3, 2),
                conversations_to=date(2025, 3, 30),
                summary_at=None,
                started_by=lead.id,
                created_at=T0 - timedelta(days=300),
                leader_ids=[lead.id, lead.id],
                member_ids=[emp1.id, emp2.id],
            )
            r2025 = await tx.rounds.create(
                team_id=team.id,
                template_name="kk",
                template={},
                kerneopgave="",
                udviklingsmaal="",
                kickoff_at=None,
                prep_deadline=date(2026, 3, 1),
                conversations_from=date(2026, 3, 2),
                conversations_to=date(2026, 3, 30),
                summary_at=None,
                started_by=emp2.id,
                created_at=T0,
                leader_ids=[emp2.id],
                member_ids=[emp1.id],
            )
            assert r2024.leader_ids == (lead.id,) and r2024.member_ids == (emp1.id, emp2.id)
        async with store.transaction() as tx:
            got = await tx.rounds.get(round_id=r2024.id)
            assert got is not None and got.member_ids == (emp1.id, emp2.id)
            assert [r.id for r in await tx.rounds.with_member(person_id=emp1.id)] == [
                r2025.id,
                r2024.id,
            ]
            assert [r.id for r in await tx.rounds.with_member(person_id=emp2.id)] == [r2024.id]
            batch = await tx.rounds.with_members(person_ids=[emp1.id, emp2.id, lead.id])
            assert {p: [r.id for r in rs] for p, rs in batch.items()} == {
                emp1.id: [r2025.id, r2024.id],
                emp2.id: [r2024.id],
            }
            assert await tx.rounds.with_members(person_ids=[]) == {}
            assert [r.id for r in await tx.rounds.led_by(person_id=emp2.id)] == [r2025.id]
            assert [r.id for r in await tx.rounds.led_by(person_id=lead.id)] == [r2024.id]
            [latest, *_] = await tx.rounds.for_team(team_id=team.id)
            assert latest.leader_ids == (emp2.id,)
            assert first.member_ids == ()

    async def test_rounds_for_team_newest_first(self, store: Store) -> None:
        async with store.transaction() as tx:
            team, people, r2024 = await _round(tx, created_at=T0 - timedelta(days=365))
            r2025 = await tx.rounds.create(
                team_id=team.id,
                template_name="kk",
                template={},
                kerneopgave="",
                udviklingsmaal="",
                kickoff_at=None,
                prep_deadline=date(2026, 3, 1),
                conversations_from=date(2026, 3, 2),
                conversations_to=date(2026, 3, 30),
                summary_at=T0 + timedelta(days=400),
                started_by=people[0].id,
                created_at=T0,
            )
            assert [r.id for r in await tx.rounds.for_team(team_id=team.id)] == [
                r2025.id,
                r2024.id,
            ]
            await close_round(tx, round_id=r2024.id)
            assert [r.id for r in await tx.rounds.for_team(team_id=team.id)] == [r2025.id]
            assert [
                r.id for r in await tx.rounds.for_team(team_id=team.id, include_closed=True)
            ] == [r2025.id, r2024.id]
            assert await tx.rounds.for_team(team_id=9999) == []

    async def test_round_phase_and_template(self, store: Store) -> None:
        async with store.transaction() as tx:
            _, _, rnd = await _round(tx)
            phase = await advance_round(tx, round_id=rnd.id, action=RoundAction.CONVERSATION_HELD)
            assert phase is Phase.CONVERSATIONS
            # A transition decided on another phase than the stored one is refused.
            with pytest.raises(ValueError):
                await tx.rounds.apply(round_id=rnd.id, transition=_round_step(Phase.PREP))
            # So is one made by hand instead of by the lifecycle.
            forged = Transition(
                before=Phase.CONVERSATIONS, action=RoundAction.CONVERSATION_HELD, after=Phase.CLOSED
            )
            with pytest.raises(ValueError):
                await tx.rounds.apply(round_id=rnd.id, transition=forged)
            adapted = {**TEMPLATE, "priority_questions": ["Hvad vil du lære i år?"]}
            await tx.rounds.set_template(round_id=rnd.id, template=adapted)
        async with store.transaction() as tx:
            got = await tx.rounds.get(round_id=rnd.id)
            assert got is not None
            assert got.phase is Phase.CONVERSATIONS
            assert got.template == adapted
            with pytest.raises(LookupError):
                await tx.rounds.apply(round_id=9999, transition=_round_step(Phase.CONVERSATIONS))
            with pytest.raises(LookupError):
                await tx.rounds.set_template(round_id=9999, template={})

    # ------------------------------------------------------------ preparation

    async def test_prep_session_follows_its_transitions(self, store: Store) -> None:
        async with store.transaction() as tx:
            _, (_, e1, e2), rnd = await _round(tx)
            assert await tx.prep.get_session(round_id=rnd.id, person_id=e1.id) is None
            first = await tx.prep.apply(
                round_id=rnd.id,
                person_id=e1.id,
                transition=_prep_step(None, PrepAction.START),
                at=T0,
                cursor=0,
            )
            assert first == PrepSession(
                round_id=rnd.id,
                person_id=e1.id,
                cursor=0,
                status=PrepStatus.IN_PROGRESS,
                shared_at=None,
                conversation_held_at=None,
                updated_at=T0,
            )
            later = T0 + timedelta(hours=2)
            shared = await tx.prep.apply(
                round_id=rnd.id,
                person_id=e1.id,
                transition=_prep_step(first, PrepAction.SHARE),
                at=later.astimezone(CPH),
                cursor=7,
            )
            assert (shared.cursor, shared.status, shared.shared_at) == (7, PrepStatus.SHARED, later)
            held_at = later + timedelta(days=3)
            held = await tx.prep.apply(
                round_id=rnd.id,
                person_id=e1.id,
                transition=_prep_step(shared, PrepAction.HOLD),
                at=held_at,
            )
            # The stamps stay once set; no cursor given keeps the cursor.
            assert (held.cursor, held.shared_at, held.conversation_held_at) == (7, later, held_at)
            moved = await tx.prep.apply(
                round_id=rnd.id,
                person_id=e1.id,
                transition=_prep_step(held, PrepAction.MOVE),
                at=held_at,
                cursor=3,
            )
            assert (moved.cursor, moved.status, moved.shared_at) == (3, PrepStatus.SHARED, later)
            assert await tx.prep.get_session(round_id=rnd.id, person_id=e1.id) == moved
            # A transition decided on a state that is not the stored one: a flow bug.
            with pytest.raises(ValueError):
                await tx.prep.apply(
                    round_id=rnd.id,
                    person_id=e1.id,
                    transition=_prep_step(first, PrepAction.SHARE),
                    at=later,
                )
            # Held before the employee opened their prep: a session that never started.
            await tx.prep.apply(
                round_id=rnd.id,
                person_id=e2.id,
                transition=_prep_step(None, PrepAction.HOLD),
                at=T0,
            )
            sessions = await tx.prep.sessions(round_id=rnd.id)
            assert [(s.person_id, s.status) for s in sessions] == [
                (e1.id, PrepStatus.SHARED),
                (e2.id, PrepStatus.NOT_STARTED),
            ]
            assert await tx.prep.sessions(round_id=9999) == []

    async def test_an_answer_stored_with_the_move_past_it(self, store: Store) -> None:
        """`apply(answer=...)`: the answer as `save_answer` stores it (revisions counted,
        known to the transaction at once); a refused transition rolls the answer back too."""
        async with store.transaction() as tx:
            _, (_, e1, _), rnd = await _round(tx)
            first = await tx.prep.apply(
                round_id=rnd.id,
                person_id=e1.id,
                transition=_prep_step(None, PrepAction.START),
                at=T0,
                cursor=0,
            )
            await tx.prep.answers(round_id=rnd.id, person_id=e1.id)  # known to the transaction
            moved = await tx.prep.apply(
                round_id=rnd.id,
                person_id=e1.id,
                transition=_prep_step(first, PrepAction.MOVE),
                at=T0 + timedelta(minutes=1),
                cursor=1,
                answer=AnswerWrite("q1", "Godt <!channel>"),
            )
            assert moved.cursor == 1
            known = await tx.prep.answers(round_id=rnd.id, person_id=e1.id)
            assert known["q1"].text == "Godt <!channel>" and known["q1"].revision == 1
            again = await tx.prep.apply(
                round_id=rnd.id,
                person_id=e1.id,
                transition=_prep_step(moved, PrepAction.MOVE),
                at=T0 + timedelta(minutes=2),
                cursor=2,
                answer=AnswerWrite("q1", None, skipped=True),
            )
            assert again.cursor == 2
        async with store.transaction() as tx:
            stored = await tx.prep.answers(round_id=rnd.id, person_id=e1.id)
            assert (stored["q1"].text, stored["q1"].skipped, stored["q1"].revision) == (
                None,
                True,
                2,
            )
            assert stored["q1"].updated_at == T0 + timedelta(minutes=2)
        # A move decided on a session that changed underneath (shared by another event after
        # this one read it): the session's upsert matches no row, so `apply` refuses, after
        # the answer's statement ran (PostgreSQL: the CTE; SQLite: `save_answer` first). The
        # transaction rolls back, and the answer with it.
        with pytest.raises(ValueError):
            async with store.transaction() as tx:
                read = await tx.prep.get_session(round_id=rnd.id, person_id=e1.id)
                assert read is not None and read.status is PrepStatus.IN_PROGRESS
                assert isinstance(tx, SqlTx)
                await tx.conn.execute(
                    update(prep_sessions)
                    .where(
                        (prep_sessions.c.round_id == rnd.id) & (prep_sessions.c.person_id == e1.id)
                    )
                    .values(status=PrepStatus.SHARED.value)
                )
                await tx.prep.apply(
                    round_id=rnd.id,
                    person_id=e1.id,
                    transition=_prep_step(read, PrepAction.MOVE),
                    at=T0 + timedelta(minutes=3),
                    cursor=5,
                    answer=AnswerWrite("q2", "Tabt"),
                )
        async with store.transaction() as tx:
            stored = await tx.prep.answers(round_id=rnd.id, person_id=e1.id)
            assert "q2" not in stored
            session = await tx.prep.get_session(round_id=rnd.id, person_id=e1.id)
            assert session is not None and session.cursor == 2
            assert session.status is PrepStatus.IN_PROGRESS

    async def test_prep_answers_and_revisions(self, store: Store) -> None:
        async with store.transaction() as tx:
            _, (_, e1, e2), rnd = await _round(tx)
            assert await tx.prep.answers(round_id=rnd.id, person_id=e1.id) == {}
            a1 = await tx.prep.save_answer(
                round_id=rnd.id,
                person_id=e1.id,
                question_id="q1",
                text="Godt",
                skipped=False,
                at=T0,
            )
            assert a1 == PrepAnswer(
                round_id=rnd.id,
                person_id=e1.id,
                question_id="q1",
                text="Godt",
                skipped=False,
                updated_at=T0,
                revision=1,
            )
            later = T0 + timedelta(minutes=5)
            a2 = await tx.prep.save_answer(
                round_id=rnd.id,
                person_id=e1.id,
                question_id="q1",
                text=None,
                skipped=True,
                at=later,
            )
            assert (a2.text, a2.skipped, a2.revision, a2.updated_at) == (None, True, 2, later)
            await tx.prep.save_answer(
                round_id=rnd.id, person_id=e1.id, question_id="q2", text="Æ", skipped=False, at=T0
            )
            await tx.prep.save_answer(
                round_id=rnd.id, person_id=e2.id, question_id="q1", text="x", skipped=False, at=T0
            )
        async with store.transaction() as tx:
            answers = await tx.prep.answers(round_id=rnd.id, person_id=e1.id)
            assert set(answers) == {"q1", "q2"}
            assert answers["q1"] == a2
            assert answers["q2"].revision == 1 and answers["q2"].text == "Æ"
            assert list(await tx.prep.answers(round_id=rnd.id, person_id=e2.id)) == ["q1"]

    async def test_own_prep_in_one_read(self, store: Store) -> None:
        """`own`: the round with its team, form, and only the person's own session and
        answers, as the single reads would give them (text opened, times in UTC)."""
        async with store.transaction() as tx:
            team, (lead, e1, e2), _ = await _round(tx)
            rnd = await tx.rounds.create(
                team_id=team.id,
                template_name="tonder",
                template=TEMPLATE,
                kerneopgave="k",
                udviklingsmaal="u",
                kickoff_at=None,
                prep_deadline=date(2025, 3, 15),
                conversations_from=date(2025, 3, 17),
                conversations_to=date(2025, 4, 11),
                summary_at=None,
                started_by=lead.id,
                created_at=T0,
                leader_ids=[lead.id],
                member_ids=[e1.id, e2.id],
            )
            assert [o.session for o in await tx.prep.own(person_id=e1.id)] == [None]
            start = _prep_step(None, PrepAction.START)
            session = await tx.prep.apply(
                round_id=rnd.id, person_id=e1.id, transition=start, at=T0, cursor=1
            )
            later = (T0 + HOUR).astimezone(CPH)
            for person, text in ((e1, 'Godt, ÆØÅ "citat" {}'), (e2, "Hemmeligt")):
                await tx.prep.save_answer(
                    round_id=rnd.id,
                    person_id=person.id,
                    question_id="q1",
                    text=text,
                    skipped=False,
                    at=later,
                )
            await tx.prep.save_answer(
                round_id=rnd.id, person_id=e1.id, question_id="q2", text=None, skipped=True, at=T0
            )
        async with store.transaction() as tx:
            (own,) = await tx.prep.own(person_id=e1.id)
            assert own.team == team and own.form is None
            form = RoundForm(
                round_id=rnd.id, held=True, release_on=date(2025, 3, 3), original=TEMPLATE
            )
            await tx.round_forms.save(form=form)
        async with store.transaction() as tx:  # the single reads, for comparison
            plain = (
                await tx.rounds.get(round_id=rnd.id),
                await tx.round_forms.get(round_id=rnd.id),
                await tx.prep.get_session(round_id=rnd.id, person_id=e1.id),
                await tx.prep.answers(round_id=rnd.id, person_id=e1.id),
            )
        async with store.transaction() as tx:
            (own,) = await tx.prep.own(person_id=e1.id)
            assert (own.round, own.form, own.session, own.answers) == plain
            assert own.session == session and own.team == team
            assert own.answers["q1"].text == 'Godt, ÆØÅ "citat" {}'
            assert own.answers["q1"].updated_at == later and own.answers["q1"].updated_at.tzinfo
            assert (own.answers["q2"].text, own.answers["q2"].skipped) == (None, True)
            # By round id, member or not (the policy decides): only the person's own rows.
            (as_leader,) = await tx.prep.own(person_id=lead.id, round_id=rnd.id)
            assert as_leader.session is None and as_leader.answers == {}
            assert await tx.prep.own(person_id=lead.id) == []  # not an employee of it
            assert await tx.prep.own(person_id=e1.id, phases=(Phase.CLOSED,)) == []
            assert await tx.prep.own(person_id=e1.id, round_id=rnd.id + 99) == []

    # ------------------------------------------------------------ leader notes

    async def test_leader_notes_private_per_leader(self, store: Store) -> None:
        async with store.transaction() as tx:
            _, (lead, e1, e2), rnd = await _round(tx)
            assert await tx.notes.get(round_id=rnd.id, leader_id=lead.id, employee_id=e1.id) is None
            note = await tx.notes.save(
                round_id=rnd.id, leader_id=lead.id, employee_id=e1.id, text="Spørg om kurset", at=T0
            )
            assert note == LeaderNote(
                round_id=rnd.id,
                leader_id=lead.id,
                employee_id=e1.id,
                text="Spørg om kurset",
                updated_at=T0,
            )
            later = T0 + timedelta(days=1)
            edited = await tx.notes.save(
                round_id=rnd.id, leader_id=lead.id, employee_id=e1.id, text="Kurset: ja", at=later
            )
            assert (edited.text, edited.updated_at) == ("Kurset: ja", later)
            assert (
                await tx.notes.get(round_id=rnd.id, leader_id=lead.id, employee_id=e1.id) == edited
            )
            # Another leader's notes, or another employee's, are separate.
            assert await tx.notes.get(round_id=rnd.id, leader_id=e2.id, employee_id=e1.id) is None
            assert await tx.notes.get(round_id=rnd.id, leader_id=lead.id, employee_id=e2.id) is None

    # ------------------------------------------------------------ processed events

    async def test_claim_once(self, store: Store) -> None:
        async with store.transaction() as tx:
            assert await tx.events.claim(key="slack:Ev1", at=T0)
            assert not await tx.events.claim(key="slack:Ev1", at=T0 + timedelta(seconds=30))
            assert await tx.events.claim(key="teams:Ev1", at=T0)
        async with store.transaction() as tx:
            assert not await tx.events.claim(key="slack:Ev1", at=T0 + timedelta(minutes=5))

    async def test_claim_from_brings_the_sender(self, store: Store) -> None:
        async with store.transaction() as tx:
            ws, (ann,) = await _people(tx, "ANN")
            assert await tx.events.claim_from(
                key="slack:Ev1", at=T0, workspace_id=ws.id, user_id="ANN"
            ) == (True, ann)
            again = await tx.events.claim_from(
                key="slack:Ev1", at=T0, workspace_id=ws.id, user_id="ANN"
            )
            assert again == (False, None)  # a redelivery: nothing to do
            new = await tx.events.claim_from(
                key="slack:Ev2", at=T0, workspace_id=ws.id, user_id="NOBODY"
            )
            assert new == (True, None)  # not met yet
            assert not await tx.events.claim(key="slack:Ev2", at=T0)

    async def test_forget_before(self, store: Store) -> None:
        async with store.transaction() as tx:
            for i in range(5):
                await tx.events.claim(key=f"e{i}", at=T0 + timedelta(days=i))
        async with store.transaction() as tx:
            # An aware non-UTC bound compares as the same instant.
            cutoff = (T0 + timedelta(days=2)).astimezone(CPH)
            assert await tx.events.forget_before(before=cutoff) == 2
            assert await tx.events.forget_before(before=cutoff) == 0
            assert await tx.events.claim(key="e0", at=T0)  # forgotten, so new again
            assert not await tx.events.claim(key="e2", at=T0)

    # ------------------------------------------------------------ audit

    async def test_audit_newest_first_and_prefix(self, store: Store) -> None:
        minute = timedelta(minutes=1)
        async with store.transaction() as tx:
            _, (a,) = await _people(tx, "A")
            await tx.audit.record(at=T0, actor_id=a.id, action="read", subject="round:1/person:2")
            await tx.audit.record(
                at=T0 + minute, actor_id=a.id, action="read", subject="round:10/person:2"
            )
            await tx.audit.record(
                at=T0 + 2 * minute, actor_id=a.id, action="read", subject="round_1%/x"
            )
            await tx.audit.record(
                at=T0 + 3 * minute,
                actor_id=None,
                action="share",
                subject="round:1/person:3",
                detail="prep shared",
            )
        async with store.transaction() as tx:
            entries = await tx.audit.entries()
            assert [e.subject for e in entries] == [
                "round:1/person:3",
                "round_1%/x",
                "round:10/person:2",
                "round:1/person:2",
            ]
            first = entries[0]
            assert first == AuditEntry(
                id=first.id,
                at=T0 + 3 * minute,
                actor_id=None,
                action="share",
                subject="round:1/person:3",
                detail="prep shared",
            )
            scoped = await tx.audit.entries(subject_prefix="round:1/")
            assert [e.subject for e in scoped] == ["round:1/person:3", "round:1/person:2"]
            # LIKE wildcards in the prefix are literal.
            assert [e.subject for e in await tx.audit.entries(subject_prefix="round_")] == [
                "round_1%/x"
            ]
            assert [e.subject for e in await tx.audit.entries(limit=2)] == [
                "round:1/person:3",
                "round_1%/x",
            ]

    # ------------------------------------------------------------ conversation refs

    async def test_conversation_refs(self, store: Store) -> None:
        ref = {"conversation": {"id": "a:1"}, "serviceUrl": "https://smba.example/emea/", "n": [1]}
        async with store.transaction() as tx:
            assert (
                await tx.conversation_refs.get(platform="teams", workspace_id="tid", key="u1")
                is None
            )
            await tx.conversation_refs.save(platform="teams", workspace_id="tid", key="u1", ref=ref)
            assert (
                await tx.conversation_refs.get(platform="teams", workspace_id="tid", key="u1")
                == ref
            )
            newer = {**ref, "serviceUrl": "https://smba.example/amer/"}
            await tx.conversation_refs.save(
                platform="teams", workspace_id="tid", key="u1", ref=newer
            )
        async with store.transaction() as tx:
            assert (
                await tx.conversation_refs.get(platform="teams", workspace_id="tid", key="u1")
                == newer
            )
            assert (
                await tx.conversation_refs.get(platform="teams", workspace_id="other", key="u1")
                is None
            )
            assert (
                await tx.conversation_refs.get(platform="slack", workspace_id="tid", key="u1")
                is None
            )

    # ------------------------------------------------------------ sent messages (Message.key)

    async def test_sent_messages(self, store: Store) -> None:
        async with store.transaction() as tx:
            key = "prep-question:1:2"
            assert await tx.sent_messages.get(platform="slack", workspace_id="T1", key=key) is None
            await tx.sent_messages.record(
                platform="slack", workspace_id="T1", key=key, ref="D1:1.1", user_id="U1", at=T0
            )
            await tx.sent_messages.record(  # the latest message under a key wins
                platform="slack", workspace_id="T1", key=key, ref="D1:2.2", user_id="U1", at=T0
            )
        async with store.transaction() as tx:
            assert await tx.sent_messages.get(platform="slack", workspace_id="T1", key=key) == (
                "D1:2.2"
            )
            assert await tx.sent_messages.get(platform="slack", workspace_id="T2", key=key) is None
            assert await tx.sent_messages.get(platform="teams", workspace_id="T1", key=key) is None
            # Overwritten in place by something unkeyed: no key leads there any more; another
            # workspace's message with the same ref text is not touched.
            await tx.sent_messages.record(
                platform="slack", workspace_id="T2", key=key, ref="D1:2.2", user_id="U1", at=T0
            )
            await tx.sent_messages.forget(platform="slack", workspace_id="T1", ref="D1:2.2")
            assert await tx.sent_messages.get(platform="slack", workspace_id="T1", key=key) is None
            assert await tx.sent_messages.get(platform="slack", workspace_id="T2", key=key) == (
                "D1:2.2"
            )

    async def test_sent_messages_written_many_in_order(self, store: Store) -> None:
        """`write_many` is `record` and `forget` one by one, in order (runs of a kind are one
        executemany): the same key twice, the latest wins; a forget between two records only
        forgets what stood before it."""
        key, other = "prep-question:1:2", "prep-question:1:3"

        def put(key: str, ref: str) -> RefWrite:
            return RefWrite(
                platform="slack", workspace_id="T1", ref=ref, key=key, user_id="U1", at=T0
            )

        async with store.transaction() as tx:
            await tx.sent_messages.write_many(
                writes=[
                    put(key, "D1:1.1"),
                    put(other, "D1:1.2"),
                    put(key, "D1:2.1"),  # the latest under a key wins
                    RefWrite(platform="slack", workspace_id="T1", ref="D1:1.2"),  # forgets `other`
                    put(other, "D1:3.1"),  # ...then it points somewhere new
                    RefWrite(platform="slack", workspace_id="T1", ref="D1:9.9"),  # nothing there
                ]
            )
            await tx.sent_messages.write_many(writes=[])
        async with store.transaction() as tx:
            assert await tx.sent_messages.get(platform="slack", workspace_id="T1", key=key) == (
                "D1:2.1"
            )
            assert await tx.sent_messages.get(platform="slack", workspace_id="T1", key=other) == (
                "D1:3.1"
            )

    # ------------------------------------------------------------ what SQL refuses, every store refuses

    async def test_workspace_rename(self, store: Store) -> None:
        async with store.transaction() as tx:
            ws = await tx.workspaces.get_or_create(platform="slack", external_id="T1")
            renamed = await tx.workspaces.get_or_create(
                platform="slack", external_id="T1", name="Randers"
            )
            assert renamed.id == ws.id and renamed.name == "Randers"
            # No name given: the stored name stays.
            kept = await tx.workspaces.get_or_create(platform="slack", external_id="T1")
            assert kept.name == "Randers"

    async def test_team_ids_deduplicated_and_leader_required(self, store: Store) -> None:
        async with store.transaction() as tx:
            ws, (lead, e1, e2) = await _people(tx, "L", "E1", "E2")
            team = await tx.teams.create(
                workspace_id=ws.id,
                name="A",
                channel_id=None,
                leader_ids=[lead.id, lead.id],
                member_ids=[e2.id, e1.id, e2.id],
            )
            assert team.leader_ids == (lead.id,) and team.member_ids == (e2.id, e1.id)
            with pytest.raises(ValueError):
                await tx.teams.create(
                    workspace_id=ws.id, name="X", channel_id=None, leader_ids=[], member_ids=[]
                )
            with pytest.raises(ValueError):
                await tx.teams.update(team_id=team.id, leader_ids=[])

    async def test_unknown_ids_raise_not_found(self, store: Store) -> None:
        async with store.transaction() as tx:
            for call in (
                tx.people.set_can_lead(person_id=9999, can_lead=True),
                tx.teams.update(team_id=9999, name="X"),
                tx.rounds.apply(round_id=9999, transition=_round_step(Phase.PREP)),
            ):
                with pytest.raises(NotFound):
                    await call

    async def test_datetimes_come_back_utc(self, store: Store) -> None:
        async with store.transaction() as tx:
            _, (_, e1, _), rnd = await _round(tx, kickoff_at=datetime(2025, 3, 3, 10, tzinfo=CPH))
            await tx.prep.apply(
                round_id=rnd.id,
                person_id=e1.id,
                transition=_prep_step(None, PrepAction.SHARE),
                at=T0.astimezone(CPH),
                cursor=1,
            )
        async with store.transaction() as tx:
            got = await tx.rounds.get(round_id=rnd.id)
            session = await tx.prep.get_session(round_id=rnd.id, person_id=e1.id)
        assert got is not None and session is not None
        assert got.kickoff_at == datetime(2025, 3, 3, 9, tzinfo=UTC)
        for value in (got.kickoff_at, got.created_at, session.updated_at, session.shared_at):
            assert value is not None and value.tzinfo is UTC

    async def test_naive_datetime_refused(self, store: Store) -> None:
        with pytest.raises(Exception, match="naive datetime"):
            async with store.transaction() as tx:
                await tx.events.claim(key="x", at=datetime(2025, 1, 1, 12))

    async def test_audit_ordered_by_time_not_insertion(self, store: Store) -> None:
        async with store.transaction() as tx:
            await tx.audit.record(at=T0, actor_id=None, action="a", subject="s:late-insert-early")
            await tx.audit.record(
                at=T0 - timedelta(hours=1), actor_id=None, action="a", subject="s:earliest"
            )
            entries = await tx.audit.entries(subject_prefix="s:")
        assert [e.subject for e in entries] == ["s:late-insert-early", "s:earliest"]
        assert entries[0].at.tzinfo is UTC

    async def test_returned_values_are_copies(self, store: Store) -> None:
        """Editing what a read returned changes nothing stored (SQL hands out fresh objects)."""
        async with store.transaction() as tx:
            _, (lead, e1, _), rnd = await _round(tx)
            rnd.template["themes"].clear()
            version = await tx.plans.add_version(
                round_id=rnd.id,
                employee_id=e1.id,
                items=[PlanItem(id="i1", fields={"læringsmål": "Excel"})],
                follow_up_on=None,
                author_id=lead.id,
                at=T0,
            )
            version.items[0].fields["læringsmål"] = "changed"
        async with store.transaction() as tx:
            got = await tx.rounds.get(round_id=rnd.id)
            latest = await tx.plans.latest(round_id=rnd.id, employee_id=e1.id)
        assert got is not None and got.template == TEMPLATE
        assert latest is not None and latest.items[0].fields == {"læringsmål": "Excel"}

    # ------------------------------------------------------------ bookings

    async def test_booking_create_reschedule_and_list(self, store: Store) -> None:
        async with store.transaction() as tx:
            _, (lead, e1, e2), rnd = await _round(tx)
            assert await tx.bookings.get(round_id=rnd.id, employee_id=e1.id) is None
            first = await tx.bookings.save(
                round_id=rnd.id,
                employee_id=e1.id,
                starts_at=datetime(2025, 3, 20, 10, tzinfo=CPH),
                minutes=60,
                booked_by=lead.id,
                at=T0,
            )
            assert first == Booking(
                round_id=rnd.id,
                employee_id=e1.id,
                starts_at=datetime(2025, 3, 20, 9, tzinfo=UTC),
                minutes=60,
                booked_by=lead.id,
                sequence=0,
                updated_at=T0,
            )
            assert first.starts_at.tzinfo is UTC
            await tx.bookings.save(
                round_id=rnd.id,
                employee_id=e2.id,
                starts_at=datetime(2025, 3, 18, 13, tzinfo=UTC),
                minutes=45,
                booked_by=lead.id,
                at=T0,
            )
        later = T0 + timedelta(days=1)
        async with store.transaction() as tx:
            moved = await tx.bookings.save(
                round_id=rnd.id,
                employee_id=e1.id,
                starts_at=datetime(2025, 3, 17, 8, tzinfo=UTC),
                minutes=90,
                booked_by=e1.id,
                at=later,
            )
            assert (moved.sequence, moved.minutes, moved.booked_by, moved.updated_at) == (
                1,
                90,
                e1.id,
                later,
            )
            again = await tx.bookings.save(
                round_id=rnd.id,
                employee_id=e1.id,
                starts_at=datetime(2025, 3, 17, 8, tzinfo=UTC),
                minutes=90,
                booked_by=e1.id,
                at=later,
            )
            assert again.sequence == 2  # every save after the first is an update for calendars
        async with store.transaction() as tx:
            assert await tx.bookings.get(round_id=rnd.id, employee_id=e1.id) == again
            listed = await tx.bookings.for_round(round_id=rnd.id)
            assert [b.employee_id for b in listed] == [e1.id, e2.id]  # by start time
            assert await tx.bookings.for_round(round_id=9999) == []

    # ------------------------------------------------------------ development plans

    async def test_plan_versions_numbered_per_employee(self, store: Store) -> None:
        items = [
            PlanItem(
                id="i1",
                fields={"læringsmål": "Bedre til Excel", "tiltag": "Kursus", "tidsplan": "Q2"},
            ),
            PlanItem(id="i2", fields={"læringsmål": "Mødeledelse"}, waits_for_summary=True),
        ]
        async with store.transaction() as tx:
            _, (lead, e1, e2), rnd = await _round(tx)
            assert await tx.plans.latest(round_id=rnd.id, employee_id=e1.id) is None
            assert await tx.plans.versions(round_id=rnd.id, employee_id=e1.id) == []
            v1 = await tx.plans.add_version(
                round_id=rnd.id,
                employee_id=e1.id,
                items=items,
                follow_up_on=date(2025, 9, 1),
                author_id=lead.id,
                at=T0.astimezone(CPH),
            )
            assert v1 == PlanVersion(
                id=v1.id,
                round_id=rnd.id,
                employee_id=e1.id,
                number=1,
                state=PlanState.DRAFT,
                items=tuple(items),
                follow_up_on=date(2025, 9, 1),
                author_id=lead.id,
                created_at=T0,
                approvals=(),
                change_request=None,
            )
            assert v1.created_at.tzinfo is UTC
            other = await tx.plans.add_version(
                round_id=rnd.id,
                employee_id=e2.id,
                items=[],
                follow_up_on=None,
                author_id=e2.id,
                at=T0,
            )
            assert other.number == 1
        async with store.transaction() as tx:
            v2 = await tx.plans.add_version(
                round_id=rnd.id,
                employee_id=e1.id,
                items=items[:1],
                follow_up_on=None,
                author_id=e1.id,
                at=T0 + timedelta(days=1),
            )
            assert (v2.number, v2.items, v2.follow_up_on) == (2, (items[0],), None)
            assert v2.id != v1.id
        async with store.transaction() as tx:
            versions = await tx.plans.versions(round_id=rnd.id, employee_id=e1.id)
            assert versions == [v1, v2]  # oldest first; the first left as it was
            assert await tx.plans.latest(round_id=rnd.id, employee_id=e1.id) == v2
            assert await tx.plans.latest(round_id=rnd.id, employee_id=e2.id) == other
            batch = await tx.plans.versions_in(round_ids=[rnd.id], employee_ids=[e1.id, e2.id])
            assert batch == {(rnd.id, e1.id): [v1, v2], (rnd.id, e2.id): [other]}
            assert await tx.plans.versions_in(round_ids=[rnd.id], employee_ids=[lead.id]) == {}
            await tx.plans.set_item_status(
                round_id=rnd.id,
                employee_id=e1.id,
                item_id="i1",
                status=ItemStatus.DONE,
                by=e1.id,
                at=T0,
            )
            progress = await tx.plans.item_progress_in(plans=[(rnd.id, e1.id), (rnd.id, e2.id)])
            assert list(progress[(rnd.id, e1.id)]) == ["i1"]
            assert progress[(rnd.id, e2.id)] == {}
            await tx.audit.record_many(
                entries=[
                    {"at": T0, "actor_id": lead.id, "action": "x.read", "subject": "s:1"},
                    {"at": T0, "actor_id": lead.id, "action": "x.read", "subject": "s:2"},
                ]
            )
            assert sorted(e.subject for e in await tx.audit.entries(subject_prefix="s:")) == [
                "s:1",
                "s:2",
            ]

    async def test_plan_draft_edit_state_and_change_request(self, store: Store) -> None:
        async with store.transaction() as tx:
            _, (lead, e1, _), rnd = await _round(tx)
            draft = await tx.plans.add_version(
                round_id=rnd.id,
                employee_id=e1.id,
                items=[PlanItem(id="i1", fields={"læringsmål": "A"})],
                follow_up_on=None,
                author_id=lead.id,
                at=T0,
            )
            edited = await tx.plans.update_draft(
                version_id=draft.id,
                items=[PlanItem(id="i1", fields={"læringsmål": "B"}), PlanItem(id="i2", fields={})],
                follow_up_on=date(2025, 10, 1),
            )
            assert [i.fields for i in edited.items] == [{"læringsmål": "B"}, {}]
            assert (edited.number, edited.follow_up_on, edited.id) == (
                1,
                date(2025, 10, 1),
                draft.id,
            )
            proposed = await tx.plans.apply(
                round_id=rnd.id,
                employee_id=e1.id,
                transition=_plan_step(PlanStage.DRAFT, PlanAction.PROPOSE),
                actor_id=lead.id,
                at=T0,
            )
            # Proposing signs the version for its author.
            assert (proposed.state, [a.person_id for a in proposed.approvals]) == (
                PlanState.PROPOSED,
                [lead.id],
            )
            # Once proposed, a version is not edited: a change makes a new version.
            with pytest.raises(ValueError):
                await tx.plans.update_draft(version_id=draft.id, items=[], follow_up_on=None)
            redraft = await tx.plans.apply(
                round_id=rnd.id,
                employee_id=e1.id,
                transition=_plan_step(PlanStage.PROPOSED, PlanAction.REQUEST_CHANGE),
                actor_id=e1.id,
                at=T0 + timedelta(hours=1),
                change_request="Mere om Excel",
            )
            assert (redraft.number, redraft.state, redraft.author_id) == (2, PlanState.DRAFT, e1.id)
            assert (redraft.items, redraft.follow_up_on) == (edited.items, edited.follow_up_on)
        async with store.transaction() as tx:
            asked, got = await tx.plans.versions(round_id=rnd.id, employee_id=e1.id)
            assert (asked.state, asked.change_request) == (PlanState.SUPERSEDED, "Mere om Excel")
            assert asked.items == got.items == edited.items
            # A transition decided on another state than the newest version's is refused.
            with pytest.raises(ValueError):
                await tx.plans.apply(
                    round_id=rnd.id,
                    employee_id=e1.id,
                    transition=_plan_step(PlanStage.PROPOSED, PlanAction.REQUEST_CHANGE),
                    actor_id=e1.id,
                    at=T0,
                )
            for call in (
                tx.plans.update_draft(version_id=9999, items=[], follow_up_on=None),
                tx.plans.approve(version_id=9999, person_id=lead.id, at=T0),
            ):
                with pytest.raises(NotFound):
                    await call

    async def test_plan_item_ids_must_not_repeat(self, store: Store) -> None:
        twice = [PlanItem(id="i1", fields={}), PlanItem(id="i1", fields={"x": "y"})]
        async with store.transaction() as tx:
            _, (lead, e1, _), rnd = await _round(tx)
            with pytest.raises(ValueError):
                await tx.plans.add_version(
                    round_id=rnd.id,
                    employee_id=e1.id,
                    items=twice,
                    follow_up_on=None,
                    author_id=lead.id,
                    at=T0,
                )
            draft = await tx.plans.add_version(
                round_id=rnd.id,
                employee_id=e1.id,
                items=[],
                follow_up_on=None,
                author_id=lead.id,
                at=T0,
            )
            with pytest.raises(ValueError):
                await tx.plans.update_draft(version_id=draft.id, items=twice, follow_up_on=None)

    async def test_plan_approvals_are_signatures(self, store: Store) -> None:
        async with store.transaction() as tx:
            _, (lead, e1, _), rnd = await _round(tx)
            v = await tx.plans.add_version(
                round_id=rnd.id,
                employee_id=e1.id,
                items=[PlanItem(id="i1", fields={"tiltag": "Kursus"})],
                follow_up_on=date(2025, 9, 1),
                author_id=lead.id,
                at=T0,
            )
            by_lead = await tx.plans.approve(
                version_id=v.id, person_id=lead.id, at=(T0 + timedelta(minutes=1)).astimezone(CPH)
            )
            assert by_lead.approvals == (Approval(person_id=lead.id, at=T0 + timedelta(minutes=1)),)
            assert by_lead.approvals[0].at.tzinfo is UTC
            # A signature is only recorded: states move through `apply` (the plan lifecycle).
            assert by_lead.state == PlanState.DRAFT
            proposed = await tx.plans.apply(
                round_id=rnd.id,
                employee_id=e1.id,
                transition=_plan_step(PlanStage.DRAFT, PlanAction.PROPOSE),
                actor_id=lead.id,
                at=T0 + timedelta(minutes=2),
            )
            assert proposed.approvals == by_lead.approvals  # signing twice keeps the first
        async with store.transaction() as tx:
            # Approving twice keeps the first signature.
            again = await tx.plans.approve(
                version_id=v.id, person_id=lead.id, at=T0 + timedelta(hours=5)
            )
            assert again.approvals == by_lead.approvals
            both = await tx.plans.approve(
                version_id=v.id, person_id=e1.id, at=T0 + timedelta(hours=2)
            )
            assert both.approvals == (
                Approval(person_id=lead.id, at=T0 + timedelta(minutes=1)),
                Approval(person_id=e1.id, at=T0 + timedelta(hours=2)),
            )
            agreed = await tx.plans.apply(
                round_id=rnd.id,
                employee_id=e1.id,
                transition=_plan_step(PlanStage.PROPOSED, PlanAction.APPROVE, agreed_after=True),
                actor_id=e1.id,
                at=T0 + timedelta(hours=3),
            )
            assert (agreed.state, agreed.approvals) == (PlanState.AGREED, both.approvals)
            # A change to an agreed plan is a new version, which needs both signatures again.
            v2 = await tx.plans.add_version(
                round_id=rnd.id,
                employee_id=e1.id,
                items=[PlanItem(id="i1", fields={"tiltag": "Mentor"})],
                follow_up_on=date(2025, 9, 1),
                author_id=e1.id,
                at=T0 + timedelta(days=30),
            )
            assert v2.approvals == () and v2.state == PlanState.DRAFT
            for action, signer in ((PlanAction.PROPOSE, e1.id), (PlanAction.APPROVE, lead.id)):
                stage = PlanStage.DRAFT if action == PlanAction.PROPOSE else PlanStage.PROPOSED
                v2 = await tx.plans.apply(
                    round_id=rnd.id,
                    employee_id=e1.id,
                    transition=_plan_step(stage, action, agreed_after=True),
                    actor_id=signer,
                    at=T0 + timedelta(days=31),
                )
        async with store.transaction() as tx:
            first, second = await tx.plans.versions(round_id=rnd.id, employee_id=e1.id)
            # The new agreed version is in force; the earlier one is kept, superseded.
            assert first.state == PlanState.SUPERSEDED and first.approvals == both.approvals
            assert second == v2 and second.state == PlanState.AGREED

    async def test_plan_item_progress(self, store: Store) -> None:
        async with store.transaction() as tx:
            _, (lead, e1, e2), rnd = await _round(tx)
            assert await tx.plans.item_progress(round_id=rnd.id, employee_id=e1.id) == {}
            await tx.plans.set_item_status(
                round_id=rnd.id,
                employee_id=e1.id,
                item_id="i1",
                status=ItemStatus.UNDER_WAY,
                by=e1.id,
                at=T0.astimezone(CPH),
            )
            await tx.plans.set_item_status(
                round_id=rnd.id,
                employee_id=e1.id,
                item_id="i2",
                status=ItemStatus.DROPPED,
                by=lead.id,
                at=T0,
            )
            await tx.plans.set_item_status(
                round_id=rnd.id,
                employee_id=e2.id,
                item_id="i1",
                status=ItemStatus.DONE,
                by=e2.id,
                at=T0,
            )
        later = T0 + timedelta(days=60)
        async with store.transaction() as tx:
            await tx.plans.set_item_status(
                round_id=rnd.id,
                employee_id=e1.id,
                item_id="i1",
                status=ItemStatus.DONE,
                by=lead.id,
                at=later,
            )
            progress = await tx.plans.item_progress(round_id=rnd.id, employee_id=e1.id)
        assert progress == {
            "i1": ItemProgress(
                round_id=rnd.id,
                employee_id=e1.id,
                item_id="i1",
                status=ItemStatus.DONE,
                updated_by=lead.id,
                updated_at=later,
            ),
            "i2": ItemProgress(
                round_id=rnd.id,
                employee_id=e1.id,
                item_id="i2",
                status=ItemStatus.DROPPED,
                updated_by=lead.id,
                updated_at=T0,
            ),
        }
        assert progress["i2"].updated_at.tzinfo is UTC

    # ------------------------------------------------------------ reminders (the outbox)

    async def test_outbox_schedule_and_move(self, store: Store) -> None:
        async with store.transaction() as tx:
            _, (lead, e1, e2), rnd = await _round(tx)
            r = await tx.outbox.schedule(
                key="prep:1:e1:2025-03-10",
                kind="prep_nudge",
                round_id=rnd.id,
                recipient_id=e1.id,
                subject_id=None,
                due_at=(T0 + HOUR).astimezone(CPH),
            )
            assert r == Reminder(
                id=r.id,
                key="prep:1:e1:2025-03-10",
                kind="prep_nudge",
                round_id=rnd.id,
                recipient_id=e1.id,
                subject_id=None,
                due_at=T0 + HOUR,
                state=ReminderState.PENDING,
                attempts=0,
                last_error=None,
                sent_at=None,
                lease_until=None,
                worker=None,
            )
            assert r.due_at.tzinfo is UTC
            await tx.outbox.schedule(
                key="booking:lead",
                kind="booking",
                round_id=rnd.id,
                recipient_id=lead.id,
                subject_id=e2.id,
                due_at=T0 + 3 * HOUR,
            )
        async with store.transaction() as tx:
            # "Remind me tomorrow": the same key moves, no second row.
            moved = await tx.outbox.schedule(
                key="prep:1:e1:2025-03-10",
                kind="prep_nudge",
                round_id=rnd.id,
                recipient_id=e1.id,
                subject_id=None,
                due_at=T0 + DAY,
            )
            assert (moved.id, moved.due_at, moved.state) == (r.id, T0 + DAY, ReminderState.PENDING)
            assert await tx.outbox.get(key=r.key) == moved
            assert await tx.outbox.get(key="nope") is None
            listed = await tx.outbox.for_round(round_id=rnd.id)
            assert [x.key for x in listed] == ["booking:lead", r.key]  # by due time
            assert listed[0].subject_id == e2.id
            assert await tx.outbox.for_round(round_id=9999) == []

    async def test_outbox_claim_due_in_order_with_lease(self, store: Store) -> None:
        async with store.transaction() as tx:
            _, people, rnd = await _round(tx)
            for i, due in enumerate([3, 1, 2, 5, 60]):  # minutes after T0
                await _remind(tx, rnd, people[1], f"k{i}", T0 + due * MINUTE)
        now = T0 + 10 * MINUTE
        async with store.transaction() as tx:
            assert await tx.outbox.claim_due(now=now, limit=0, worker="w1", lease_seconds=60) == []
            first = await tx.outbox.claim_due(now=now, limit=2, worker="w1", lease_seconds=60)
        assert [r.key for r in first] == ["k1", "k2"]  # earliest due first
        for r in first:
            assert (r.state, r.worker, r.attempts) == (ReminderState.SENDING, "w1", 1)
            assert r.lease_until == now + MINUTE and r.lease_until.tzinfo is UTC
        async with store.transaction() as tx:
            rest = await tx.outbox.claim_due(now=now, limit=10, worker="w2", lease_seconds=60)
            assert [r.key for r in rest] == ["k0", "k3"]  # not w1's, not the future one
            assert await tx.outbox.claim_due(now=now, limit=10, worker="w3", lease_seconds=60) == []
            assert (await tx.outbox.get(key="k4")).state == ReminderState.PENDING  # type: ignore[union-attr]

    async def test_outbox_expired_lease_is_claimed_again(self, store: Store) -> None:
        async with store.transaction() as tx:
            _, people, rnd = await _round(tx)
            await _remind(tx, rnd, people[1], "k", T0)
            (mine,) = await tx.outbox.claim_due(now=T0, limit=5, worker="w1", lease_seconds=60)
        async with store.transaction() as tx:
            # Still leased (the lease ends at T0 + 60 s, and only a lease *before* now expired).
            assert (
                await tx.outbox.claim_due(now=T0 + MINUTE, limit=5, worker="w2", lease_seconds=60)
                == []
            )
            (taken,) = await tx.outbox.claim_due(
                now=T0 + 2 * MINUTE, limit=5, worker="w2", lease_seconds=60
            )
        assert (taken.id, taken.worker, taken.attempts) == (mine.id, "w2", 2)
        async with store.transaction() as tx:
            # w1 woke up: its claim is lost, so its marks change nothing.
            assert not await tx.outbox.mark_sent(reminder_id=mine.id, worker="w1", at=T0)
            await tx.outbox.mark_failed(reminder_id=mine.id, worker="w1", error="x")
            await tx.outbox.mark_retry(reminder_id=mine.id, worker="w1", due_at=T0, error="x")
            await tx.outbox.mark_cancelled(reminder_id=mine.id, worker="w1")
            assert await tx.outbox.get(key="k") == taken
            sent_at = T0 + 3 * MINUTE
            assert await tx.outbox.mark_sent(reminder_id=mine.id, worker="w2", at=sent_at)
            assert not await tx.outbox.mark_sent(reminder_id=mine.id, worker="w2", at=sent_at)
        async with store.transaction() as tx:
            done = await tx.outbox.get(key="k")
            assert done is not None
            assert (done.state, done.sent_at, done.lease_until) == (
                ReminderState.SENT,
                sent_at,
                None,
            )
            assert (
                await tx.outbox.claim_due(now=T0 + DAY, limit=5, worker="w3", lease_seconds=60)
                == []
            )

    @pytest.mark.parametrize("per_recipient", [None, 2])
    async def test_outbox_a_held_row_keeps_its_place_and_holds_its_recipient(
        self, store: Store, per_recipient: int | None
    ) -> None:
        """A 429 on a person's first message: it is held for the Retry-After (`mark_held`),
        and so are their later ones, while others' go on; afterwards the person's messages go
        in their order, the held one first (it kept its due time)."""
        async with store.transaction() as tx:
            _, people, rnd = await _round(tx)
            anna, bo = people[1], people[2]
            for n in range(4):
                await _remind(tx, rnd, anna, f"anna{n}", T0 + n * SECOND)
            await _remind(tx, rnd, bo, "bo0", T0 + 5 * SECOND)
            first = await tx.outbox.claim_due(
                now=T0 + MINUTE, limit=1, worker="w", lease_seconds=60
            )
            assert [r.key for r in first] == ["anna0"]
            await tx.outbox.mark_held(
                reminder_id=first[0].id, worker="w", until=T0 + 2 * MINUTE, error="429"
            )
        async with store.transaction() as tx:
            held = await tx.outbox.get(key="anna0")
            assert held is not None
            assert (held.state, held.due_at, held.last_error) == (
                ReminderState.PENDING,
                T0,  # its place in the queue
                "429",
            )
            during = await tx.outbox.claim_due(
                now=T0 + MINUTE + SECOND,
                limit=10,
                worker="w",
                lease_seconds=60,
                per_recipient=per_recipient,
            )
            assert [r.key for r in during] == ["bo0"]  # Anna waits out the Retry-After
        async with store.transaction() as tx:
            after = await tx.outbox.claim_due(
                now=T0 + 2 * MINUTE,
                limit=10,
                worker="w",
                lease_seconds=60,
                per_recipient=per_recipient,
            )
            expected = ["anna0", "anna1", "anna2", "anna3"][: per_recipient or 4]
            assert [r.key for r in after] == expected
            # A reschedule (outside working hours) is a move, not a hold: it lifts the hold.
            await tx.outbox.mark_retry(
                reminder_id=after[0].id, worker="w", due_at=T0 + DAY, error="hours"
            )
            assert (await tx.outbox.get(key="anna0")).due_at == T0 + DAY  # type: ignore[union-attr]

    async def test_outbox_late_mark_on_untaken_claim_counts(self, store: Store) -> None:
        async with store.transaction() as tx:
            _, people, rnd = await _round(tx)
            await _remind(tx, rnd, people[1], "k", T0)
            (mine,) = await tx.outbox.claim_due(now=T0, limit=5, worker="w1", lease_seconds=1)
        async with store.transaction() as tx:
            # The lease ran out but nobody took the row: the delivery did happen, record it.
            assert await tx.outbox.mark_sent(reminder_id=mine.id, worker="w1", at=T0 + DAY)

    async def test_outbox_retry_fail_and_cancel(self, store: Store) -> None:
        async with store.transaction() as tx:
            _, people, rnd = await _round(tx)
            for key in ("retry", "fail", "cancel"):
                await _remind(tx, rnd, people[1], key, T0)
            claimed = {
                r.key: r
                for r in await tx.outbox.claim_due(now=T0, limit=5, worker="w", lease_seconds=60)
            }
            await tx.outbox.mark_retry(
                reminder_id=claimed["retry"].id, worker="w", due_at=T0 + HOUR, error="429"
            )
            await tx.outbox.mark_failed(
                reminder_id=claimed["fail"].id, worker="w", error="user_gone"
            )
            await tx.outbox.mark_cancelled(reminder_id=claimed["cancel"].id, worker="w")
        async with store.transaction() as tx:
            retry = await tx.outbox.get(key="retry")
            fail = await tx.outbox.get(key="fail")
            cancel = await tx.outbox.get(key="cancel")
            assert retry is not None and fail is not None and cancel is not None
            assert (
                retry.state,
                retry.due_at,
                retry.last_error,
                retry.worker,
                retry.lease_until,
            ) == (
                ReminderState.PENDING,
                T0 + HOUR,
                "429",
                None,
                None,
            )
            assert (fail.state, fail.last_error, fail.attempts) == (
                ReminderState.FAILED,
                "user_gone",
                1,
            )
            assert cancel.state == ReminderState.CANCELLED
            assert (
                await tx.outbox.claim_due(now=T0 + MINUTE, limit=5, worker="w", lease_seconds=60)
                == []
            )
            (again,) = await tx.outbox.claim_due(
                now=T0 + HOUR, limit=5, worker="w", lease_seconds=60
            )
            assert (again.key, again.attempts, again.last_error) == ("retry", 2, "429")

    async def test_outbox_reschedule_never_resends(self, store: Store) -> None:
        async with store.transaction() as tx:
            _, people, rnd = await _round(tx)
            for key in ("sent", "sending", "failed", "cancelled"):
                await _remind(tx, rnd, people[1], key, T0)
            claimed = {
                r.key: r
                for r in await tx.outbox.claim_due(now=T0, limit=5, worker="w", lease_seconds=60)
            }
            assert await tx.outbox.mark_sent(reminder_id=claimed["sent"].id, worker="w", at=T0)
            await tx.outbox.mark_failed(reminder_id=claimed["failed"].id, worker="w", error="gone")
            await tx.outbox.mark_cancelled(reminder_id=claimed["cancelled"].id, worker="w")
        async with store.transaction() as tx:
            before = {key: await tx.outbox.get(key=key) for key in ("sent", "sending")}
            for key in ("sent", "sending", "failed", "cancelled"):
                await _remind(tx, rnd, people[1], key, T0 + DAY)
            # A sent reminder is never reset; one in a worker's hands is the worker's.
            assert await tx.outbox.get(key="sent") == before["sent"]
            assert await tx.outbox.get(key="sending") == before["sending"]
            for key in ("failed", "cancelled"):
                r = await tx.outbox.get(key=key)
                assert r is not None
                assert (r.state, r.due_at, r.attempts, r.last_error, r.worker) == (
                    ReminderState.PENDING,
                    T0 + DAY,
                    0,
                    None,
                    None,
                )
            # The return value of schedule is the stored row, whichever case.
            kept = await _remind(tx, rnd, people[1], "sent", T0 + 2 * DAY)
            assert kept == before["sent"]

    async def test_outbox_cancel_only_pending(self, store: Store) -> None:
        async with store.transaction() as tx:
            _, people, rnd = await _round(tx)
            await _remind(tx, rnd, people[1], "sent", T0)
            (r,) = await tx.outbox.claim_due(now=T0, limit=5, worker="w", lease_seconds=60)
            await tx.outbox.mark_sent(reminder_id=r.id, worker="w", at=T0)
            await _remind(tx, rnd, people[1], "later", T0 + DAY)
            await tx.outbox.cancel(key="later")
            await tx.outbox.cancel(key="sent")
            await tx.outbox.cancel(key="unknown")  # nothing to cancel: no error
            assert (await tx.outbox.get(key="later")).state == ReminderState.CANCELLED  # type: ignore[union-attr]
            assert (await tx.outbox.get(key="sent")).state == ReminderState.SENT  # type: ignore[union-attr]
            assert (
                await tx.outbox.claim_due(now=T0 + DAY, limit=5, worker="w", lease_seconds=60) == []
            )


class TestSqlStore(StoreContract):
    """The contract on SQLite and PostgreSQL (the `store` fixture), plus what SQL adds."""

    async def test_ping(self, store: SqlStore) -> None:
        assert await store.ping()
