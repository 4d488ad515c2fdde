"""Two bot processes sweep the same database for rounds past their prep deadline at once.

Each "replica" has its own store (its own connection pool), as two processes would. On
PostgreSQL their transactions really interleave; every round must be moved exactly once, with
one audit row, and nothing else touched.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from conversations.domain import Phase
from conversations.lifecycles.round import RoundAction, decide
from conversations.round_clock import AUDIT_ACTION, sweep_prep_deadlines
from storage.db import SqlStore, create_store

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
PAST, LATER = 12, 3  # rounds whose deadline has passed; rounds whose deadline has not


async def _seed(store: SqlStore) -> tuple[list[int], list[int], int]:
    """(ids past the deadline, ids not yet, the id of one already in the summary phase)."""
    past: list[int] = []
    later: list[int] = []
    async with store.transaction() as tx:
        ws = await tx.workspaces.get_or_create(platform="slack", external_id="T1")
        lead = await tx.people.upsert(workspace_id=ws.id, user_id="L")
        for i in range(PAST + LATER + 1):
            emp = await tx.people.upsert(workspace_id=ws.id, user_id=f"E{i}")
            team = await tx.teams.create(
                workspace_id=ws.id,
                name=f"T{i}",
                channel_id=f"C{i}",
                leader_ids=[lead.id],
                member_ids=[emp.id],
            )
            deadline = NOW.date() - timedelta(days=1) if i < PAST else NOW.date() + timedelta(3)
            if i == PAST + LATER:
                deadline = date(2026, 11, 1)
            round_ = await tx.rounds.create(
                team_id=team.id,
                template_name="t",
                template={},
                kerneopgave="",
                udviklingsmaal="",
                kickoff_at=None,
                prep_deadline=deadline,
                conversations_from=deadline + timedelta(days=1),
                conversations_to=deadline + timedelta(days=20),
                summary_at=None,
                started_by=lead.id,
                created_at=NOW - timedelta(days=30),
                leader_ids=[lead.id],
                member_ids=[emp.id],
            )
            if i == PAST + LATER:
                summary = decide(Phase.PREP, RoundAction.ANNOUNCE_SUMMARY)
                await tx.rounds.apply(round_id=round_.id, transition=summary)  # type: ignore[arg-type]
                summary_id = round_.id
            else:
                (past if i < PAST else later).append(round_.id)
    return past, later, summary_id


async def test_two_replicas_move_each_round_exactly_once(
    store: SqlStore, database_url: str
) -> None:
    past, later, summary_id = await _seed(store)
    other = await create_store(url=database_url)  # the second process
    try:
        start = asyncio.Event()

        async def replica(s: SqlStore) -> list[int]:
            await start.wait()
            return await sweep_prep_deadlines(store=s, now=NOW)

        runs = [asyncio.create_task(replica(s)) for s in (store, other, store, other)]
        start.set()
        moved = [i for ids in await asyncio.gather(*runs) for i in ids]
    finally:
        await other.close()

    assert sorted(moved) == sorted(past)  # each once, by whichever replica got there first
    async with store.transaction() as tx:
        phases = {r.id: r.phase for r in await tx.rounds.in_workspace(workspace_id=1)}
        audit = [(e.action, e.subject) for e in await tx.audit.entries()]
    assert {phases[i] for i in past} == {Phase.CONVERSATIONS}
    assert {phases[i] for i in later} == {Phase.PREP}
    assert phases[summary_id] == Phase.SUMMARY
    assert sorted(s for a, s in audit if a == AUDIT_ACTION) == sorted(f"round:{i}" for i in past)

    # A later sweep has nothing left to do.
    assert await sweep_prep_deadlines(store=store, now=NOW) == []
