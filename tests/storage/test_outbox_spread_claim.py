"""`claim_due(per_recipient=...)`: a batch spread over recipients, longest queues first, and
no recipient claimed twice at once (so one person's messages are never sent from two batches
or two workers at the same time, and their order holds). On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from storage.db import SqlStore

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LEASE = 30.0


async def _seed(store: SqlStore, queues: dict[str, int]) -> dict[str, int]:
    """`queues[user]` due reminders per person, one person's queued together; person ids."""
    async with store.transaction() as tx:
        ws = await tx.workspaces.get_or_create(platform="slack", external_id="T1")
        lead = await tx.people.upsert(workspace_id=ws.id, user_id="L")
        people = {u: await tx.people.upsert(workspace_id=ws.id, user_id=u) for u in queues}
        team = await tx.teams.create(
            workspace_id=ws.id,
            name="T",
            channel_id="C",
            leader_ids=[lead.id],
            member_ids=[p.id for p in people.values()],
        )
        rnd = await tx.rounds.create(
            team_id=team.id,
            template_name="buf",
            template={},
            kerneopgave="",
            udviklingsmaal="",
            kickoff_at=None,
            prep_deadline=date(2026, 12, 4),
            conversations_from=date(2026, 12, 7),
            conversations_to=date(2026, 12, 18),
            summary_at=None,
            started_by=lead.id,
            created_at=NOW - timedelta(days=7),
        )
        slot = 0
        for user, n in queues.items():
            for i in range(n):
                slot += 1
                await tx.outbox.schedule(
                    key=f"{user}:{i}",
                    kind="prep_nudge",
                    round_id=rnd.id,
                    recipient_id=people[user].id,
                    subject_id=None,
                    due_at=NOW - timedelta(minutes=10) + timedelta(seconds=slot),
                )
    return {u: p.id for u, p in people.items()}


async def _claim(store: SqlStore, worker: str, *, limit: int = 50) -> list[str]:
    async with store.transaction() as tx:
        got = await tx.outbox.claim_due(
            now=NOW, limit=limit, worker=worker, lease_seconds=LEASE, per_recipient=1
        )
    return [r.key for r in got]


async def _sent(store: SqlStore, worker: str, keys: list[str]) -> None:
    async with store.transaction() as tx:
        for key in keys:
            row = await tx.outbox.get(key=key)
            assert row is not None
            assert await tx.outbox.mark_sent(reminder_id=row.id, worker=worker, at=NOW)


async def test_a_batch_takes_each_recipients_first_row_longest_queue_first(
    store: SqlStore,
) -> None:
    await _seed(store, {"A": 2, "B": 5, "C": 1})  # A's queued first, B's longest
    assert sorted(await _claim(store, "w1")) == ["A:0", "B:0", "C:0"]
    # Each recipient has a row in w1's hands: nothing more for anyone, from any worker.
    assert await _claim(store, "w2") == []
    assert await _claim(store, "w1") == []
    await _sent(store, "w1", ["A:0", "B:0", "C:0"])
    assert sorted(await _claim(store, "w1")) == ["A:1", "B:1"]


async def test_the_longest_queues_go_first_when_the_batch_is_full(store: SqlStore) -> None:
    await _seed(store, {"A": 1, "B": 1, "C": 4, "D": 3})
    assert await _claim(store, "w1", limit=2) == ["C:0", "D:0"]


async def test_a_dead_workers_rows_come_back_in_order_after_its_lease(store: SqlStore) -> None:
    await _seed(store, {"A": 3})
    assert await _claim(store, "dead") == ["A:0"]
    async with store.transaction() as tx:  # after its lease: the same row again, not A:1
        got = await tx.outbox.claim_due(
            now=NOW + timedelta(seconds=LEASE + 1),
            limit=50,
            worker="w2",
            lease_seconds=LEASE,
            per_recipient=1,
        )
    assert [r.key for r in got] == ["A:0"]
