"""Concurrent transactions: what several bot processes (or a burst of retries) do at once.

Each task runs its own transaction on its own connection. On PostgreSQL these really
interleave (READ COMMITTED), which is where a read-then-insert upsert would raise
IntegrityError; on SQLite `BEGIN IMMEDIATE` queues them, and the results must be the same.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from conversations.domain import Phase, PlanItem, PlanVersion, PrepAnswer, PrepStatus
from conversations.lifecycles import prep as prep_lifecycle
from conversations.lifecycles.base import Refusal
from conversations.lifecycles.prep import PrepAction, PrepState
from storage.db import SqlStore

N = 20
T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)


async def _round(store: SqlStore) -> tuple[int, int]:
    async with store.transaction() as tx:
        ws = await tx.workspaces.get_or_create(platform="slack", external_id="T1")
        lead = await tx.people.upsert(workspace_id=ws.id, user_id="L")
        emp = await tx.people.upsert(workspace_id=ws.id, user_id="E")
        team = await tx.teams.create(
            workspace_id=ws.id, name="T", channel_id="C", leader_ids=[lead.id], member_ids=[emp.id]
        )
        rnd = await tx.rounds.create(
            team_id=team.id,
            template_name="t",
            template={},
            kerneopgave="",
            udviklingsmaal="",
            kickoff_at=None,
            prep_deadline=date(2025, 3, 15),
            conversations_from=date(2025, 3, 16),
            conversations_to=date(2025, 4, 1),
            summary_at=None,
            started_by=lead.id,
            created_at=T0,
        )
        return rnd.id, emp.id


async def test_concurrent_claims_exactly_one_wins(store: SqlStore) -> None:
    start = asyncio.Event()

    async def claim() -> bool:
        await start.wait()
        async with store.transaction() as tx:
            won = await tx.events.claim(key="slack:Ev-retry", at=T0)
            await asyncio.sleep(0.01)  # keep the transaction open so the others overlap it
            return won

    tasks = [asyncio.create_task(claim()) for _ in range(N)]
    start.set()
    results = await asyncio.gather(*tasks)
    assert sorted(results) == [False] * (N - 1) + [True]


async def test_claim_released_by_rollback_goes_to_a_retry(store: SqlStore) -> None:
    first_claimed = asyncio.Event()

    async def failing_handler() -> None:
        async with store.transaction() as tx:
            assert await tx.events.claim(key="k", at=T0)
            first_claimed.set()
            await asyncio.sleep(0.05)
            raise RuntimeError("handler failed")

    async def retry() -> bool:
        await first_claimed.wait()
        async with store.transaction() as tx:
            return await tx.events.claim(key="k", at=T0)

    failed, retried = await asyncio.gather(failing_handler(), retry(), return_exceptions=True)
    assert isinstance(failed, RuntimeError)
    assert retried is True


async def test_concurrent_save_answer_revisions(store: SqlStore) -> None:
    round_id, person_id = await _round(store)
    start = asyncio.Event()

    async def save(i: int) -> PrepAnswer:
        await start.wait()
        async with store.transaction() as tx:
            return await tx.prep.save_answer(
                round_id=round_id,
                person_id=person_id,
                question_id="q1",
                text=f"svar {i}",
                skipped=False,
                at=T0,
            )

    tasks = [asyncio.create_task(save(i)) for i in range(N)]
    start.set()
    saved = await asyncio.gather(*tasks)
    # Every save got its own revision: none lost, none repeated.
    assert sorted(a.revision for a in saved) == list(range(1, N + 1))
    last = max(saved, key=lambda a: a.revision)
    async with store.transaction() as tx:
        stored = (await tx.prep.answers(round_id=round_id, person_id=person_id))["q1"]
    assert stored.revision == N
    assert stored.text == last.text


async def test_concurrent_upserts_never_conflict(store: SqlStore) -> None:
    """First contact from a new workspace, many events at once: one workspace, one person."""
    round_id, person_id = await _round(store)
    start = asyncio.Event()

    async def first_contact(i: int) -> tuple[int, int]:
        await start.wait()
        async with store.transaction() as tx:
            ws = await tx.workspaces.get_or_create(platform="teams", external_id="tenant-new")
            person = await tx.people.upsert(
                workspace_id=ws.id, user_id="29:new", display_name=f"Navn {i}"
            )
            stored = await tx.prep.get_session(round_id=round_id, person_id=person_id)
            start_prep = prep_lifecycle.decide(
                PrepState.of(stored, phase=Phase.PREP), PrepAction.MOVE
            )
            assert not isinstance(start_prep, Refusal)
            await tx.prep.apply(
                round_id=round_id, person_id=person_id, transition=start_prep, at=T0, cursor=i
            )
            await tx.notes.save(
                round_id=round_id, leader_id=person_id, employee_id=person_id, text=str(i), at=T0
            )
            await tx.conversation_refs.save(
                platform="teams", workspace_id="tenant-new", key="29:new", ref={"i": i}
            )
            return ws.id, person.id

    tasks = [asyncio.create_task(first_contact(i)) for i in range(N)]
    start.set()
    ids = await asyncio.gather(*tasks)
    assert len(set(ids)) == 1


async def test_concurrent_plan_versions_get_distinct_numbers(store: SqlStore) -> None:
    """Both parties saving a new version at once: each gets its own number, none fails."""
    round_id, person_id = await _round(store)
    start = asyncio.Event()

    async def add(i: int) -> PlanVersion:
        await start.wait()
        async with store.transaction() as tx:
            version = await tx.plans.add_version(
                round_id=round_id,
                employee_id=person_id,
                items=[PlanItem(id="i1", fields={"læringsmål": f"udkast {i}"})],
                follow_up_on=None,
                author_id=person_id,
                at=T0,
            )
            await asyncio.sleep(0.01)  # keep the transaction open so the others overlap it
            return version

    tasks = [asyncio.create_task(add(i)) for i in range(N)]
    start.set()
    added = await asyncio.gather(*tasks)
    assert sorted(v.number for v in added) == list(range(1, N + 1))
    async with store.transaction() as tx:
        stored = await tx.plans.versions(round_id=round_id, employee_id=person_id)
    assert [v.number for v in stored] == list(range(1, N + 1))
    assert {v.items[0].fields["læringsmål"] for v in stored} == {f"udkast {i}" for i in range(N)}


async def test_simultaneous_approvals_one_sees_both(store: SqlStore) -> None:
    """Leader and employee approve at the same moment: the later of the two transactions
    sees both signatures, so the flow can mark the plan agreed (neither sees only its own)."""
    round_id, employee_id = await _round(store)
    async with store.transaction() as tx:
        leader = await tx.people.upsert(workspace_id=1, user_id="L")
        version = await tx.plans.add_version(
            round_id=round_id,
            employee_id=employee_id,
            items=[],
            follow_up_on=None,
            author_id=leader.id,
            at=T0,
        )
    start = asyncio.Event()

    async def approve(person_id: int) -> int:
        await start.wait()
        async with store.transaction() as tx:
            signed = await tx.plans.approve(version_id=version.id, person_id=person_id, at=T0)
            await asyncio.sleep(0.05)  # the flow's work before commit: overlap the other one
            return len(signed.approvals)

    tasks = [asyncio.create_task(approve(pid)) for pid in (leader.id, employee_id)]
    start.set()
    assert sorted(await asyncio.gather(*tasks)) == [1, 2]


async def test_a_prep_transition_decided_on_a_stale_session_is_refused(store: SqlStore) -> None:
    """The repository does not read the session again before storing a transition (it keeps
    what the transaction read); the upsert itself checks the stored state, so a change made
    meanwhile (here by another writer on the same connection) refuses the transition."""
    from sqlalchemy import update

    from storage.models import prep_sessions

    round_id, person_id = await _round(store)
    async with store.transaction() as tx:
        start = prep_lifecycle.decide(PrepState.of(None, phase=Phase.PREP), PrepAction.START)
        assert not isinstance(start, Refusal)
        await tx.prep.apply(
            round_id=round_id, person_id=person_id, transition=start, at=T0, cursor=0
        )
    async with store.transaction() as tx:
        seen = await tx.prep.get_session(round_id=round_id, person_id=person_id)
        share = prep_lifecycle.decide(PrepState.of(seen, phase=Phase.PREP), PrepAction.SHARE)
        assert not isinstance(share, Refusal)
        await tx.conn.execute(  # type: ignore[attr-defined]
            update(prep_sessions).values(status=PrepStatus.SHARED.value, shared_at=T0)
        )
        try:
            await tx.prep.apply(
                round_id=round_id, person_id=person_id, transition=share, at=T0, cursor=1
            )
        except ValueError:
            pass
        else:
            raise AssertionError("a transition decided on a stale session was stored")
        fresh = await tx.prep.get_session(round_id=round_id, person_id=person_id)
        assert fresh is not None and fresh.cursor == 0  # read again, unchanged by the refusal
