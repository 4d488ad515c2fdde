"""The storage contract (`conversations.ports`), run against every backend.

One class, parametrized through the `store` fixture (SQLite and PostgreSQL), in the style of
aiogram's storage tests: whatever passes here, the flows may rely on.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from conversations.domain import (
    AuditEntry,
    LeaderNote,
    Person,
    Phase,
    PrepAnswer,
    PrepSession,
    PrepStatus,
    Round,
    Team,
    Workspace,
)
from conversations.ports import Store, Tx
from storage.db import SqlStore
from storage.memory import MemoryStore
from storage.repositories import NotFound

T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
CPH = timezone(timedelta(hours=1))  # Copenhagen in winter, as a fixed offset

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
            await tx.rounds.set_phase(round_id=r2024.id, phase=Phase.CLOSED)
            assert [r.id for r in await tx.rounds.for_team(team_id=team.id)] == [r2025.id]
            assert [
                r.id for r in await tx.rounds.for_team(team_id=team.id, include_closed=True)
            ] == [r2025.id, r2024.id]
            assert await tx.rounds.for_team(team_id=9999) == []

    async def test_round_phase_and_template(self, store: Store) -> None:
        async with store.transaction() as tx:
            _, _, rnd = await _round(tx)
            await tx.rounds.set_phase(round_id=rnd.id, phase=Phase.CONVERSATIONS)
            adapted = {**TEMPLATE, "priority_questions": ["Hvad vil du lære i år?"]}
            await tx.rounds.set_template(round_id=rnd.id, template=adapted)
        async with store.transaction() as tx:
            got = await tx.rounds.get(round_id=rnd.id)
            assert got is not None
            assert got.phase is Phase.CONVERSATIONS
            assert got.template == adapted
            with pytest.raises(LookupError):
                await tx.rounds.set_phase(round_id=9999, phase=Phase.SUMMARY)
            with pytest.raises(LookupError):
                await tx.rounds.set_template(round_id=9999, template={})

    # ------------------------------------------------------------ preparation

    async def test_prep_session_create_and_replace(self, store: Store) -> None:
        async with store.transaction() as tx:
            _, (_, e1, e2), rnd = await _round(tx)
            assert await tx.prep.get_session(round_id=rnd.id, person_id=e1.id) is None
            first = await tx.prep.save_session(
                round_id=rnd.id, person_id=e1.id, cursor=0, status=PrepStatus.IN_PROGRESS, at=T0
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
            shared = await tx.prep.save_session(
                round_id=rnd.id,
                person_id=e1.id,
                cursor=7,
                status=PrepStatus.SHARED,
                at=later,
                shared_at=later.astimezone(CPH),
                conversation_held_at=later + timedelta(days=3),
            )
            assert (shared.cursor, shared.status, shared.shared_at) == (7, PrepStatus.SHARED, later)
            # Replace means all fields as given: omitted ones go back to None.
            back = await tx.prep.save_session(
                round_id=rnd.id, person_id=e1.id, cursor=3, status=PrepStatus.IN_PROGRESS, at=later
            )
            assert back.shared_at is None and back.conversation_held_at is None
            assert await tx.prep.get_session(round_id=rnd.id, person_id=e1.id) == back
            await tx.prep.save_session(
                round_id=rnd.id, person_id=e2.id, cursor=0, status=PrepStatus.NOT_STARTED, at=T0
            )
            sessions = await tx.prep.sessions(round_id=rnd.id)
            assert [(s.person_id, s.status) for s in sessions] == [
                (e1.id, PrepStatus.IN_PROGRESS),
                (e2.id, PrepStatus.NOT_STARTED),
            ]
            assert await tx.prep.sessions(round_id=9999) == []

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


class TestSqlStore(StoreContract):
    """The contract on SQLite and PostgreSQL (the `store` fixture), plus what SQL adds."""

    async def test_ping(self, store: SqlStore) -> None:
        assert await store.ping()

    async def test_workspace_rename(self, store: SqlStore) -> None:
        async with store.transaction() as tx:
            ws = await tx.workspaces.get_or_create(platform="slack", external_id="T1")
            renamed = await tx.workspaces.get_or_create(
                platform="slack", external_id="T1", name="Randers"
            )
            assert renamed.id == ws.id and renamed.name == "Randers"
            # No name given: the stored name stays.
            kept = await tx.workspaces.get_or_create(platform="slack", external_id="T1")
            assert kept.name == "Randers"

    async def test_team_ids_deduplicated_and_leader_required(self, store: SqlStore) -> None:
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

    async def test_unknown_ids_raise_not_found(self, store: SqlStore) -> None:
        async with store.transaction() as tx:
            for call in (
                tx.people.set_can_lead(person_id=9999, can_lead=True),
                tx.teams.update(team_id=9999, name="X"),
                tx.rounds.set_phase(round_id=9999, phase=Phase.SUMMARY),
            ):
                with pytest.raises(NotFound):
                    await call

    async def test_datetimes_come_back_utc(self, store: SqlStore) -> None:
        async with store.transaction() as tx:
            _, (_, e1, _), rnd = await _round(tx, kickoff_at=datetime(2025, 3, 3, 10, tzinfo=CPH))
            await tx.prep.save_session(
                round_id=rnd.id,
                person_id=e1.id,
                cursor=1,
                status=PrepStatus.SHARED,
                at=T0.astimezone(CPH),
                shared_at=T0.astimezone(CPH),
            )
        async with store.transaction() as tx:
            got = await tx.rounds.get(round_id=rnd.id)
            session = await tx.prep.get_session(round_id=rnd.id, person_id=e1.id)
        assert got is not None and session is not None
        assert got.kickoff_at == datetime(2025, 3, 3, 9, tzinfo=UTC)
        for value in (got.kickoff_at, got.created_at, session.updated_at, session.shared_at):
            assert value is not None and value.tzinfo is UTC

    async def test_naive_datetime_refused(self, store: SqlStore) -> None:
        with pytest.raises(Exception, match="naive datetime"):
            async with store.transaction() as tx:
                await tx.events.claim(key="x", at=datetime(2025, 1, 1, 12))

    async def test_audit_ordered_by_time_not_insertion(self, store: SqlStore) -> None:
        async with store.transaction() as tx:
            await tx.audit.record(at=T0, actor_id=None, action="a", subject="s:late-insert-early")
            await tx.audit.record(
                at=T0 - timedelta(hours=1), actor_id=None, action="a", subject="s:earliest"
            )
            entries = await tx.audit.entries(subject_prefix="s:")
        assert [e.subject for e in entries] == ["s:late-insert-early", "s:earliest"]
        assert entries[0].at.tzinfo is UTC


class TestMemoryStore(StoreContract):
    """The in-memory store the flow tests run on must keep the same contract."""

    @pytest.fixture
    def store(self) -> MemoryStore:
        return MemoryStore()
