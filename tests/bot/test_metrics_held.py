"""The outbox gauges count a held row (a 429's Retry-After, `mark_held`) as due only once its
hold has passed: its due time stays in the past while it waits, and would otherwise read as
an ever older backlog."""

from __future__ import annotations

from datetime import timedelta

from bot.metrics import Metrics
from storage.db import SqlStore
from tests.storage.test_storage_contract import T0, _remind, _round


async def test_a_held_row_is_not_due_until_its_hold_ends(store: SqlStore) -> None:
    async with store.transaction() as tx:
        _, people, rnd = await _round(tx)
        await _remind(tx, rnd, people[1], "held", T0)
        (row,) = await tx.outbox.claim_due(now=T0, limit=1, worker="w", lease_seconds=60)
        await tx.outbox.mark_held(
            reminder_id=row.id, worker="w", until=T0 + timedelta(minutes=2), error="429"
        )
    metrics = Metrics()
    await metrics.refresh_outbox(engine=store.engine, now=T0 + timedelta(minutes=1))
    assert (metrics.backlog._value.get(), metrics.due._value.get()) == (1, 0)
    assert metrics.oldest_due_age._value.get() == 0
    await metrics.refresh_outbox(engine=store.engine, now=T0 + timedelta(minutes=3))
    assert metrics.due._value.get() == 1
    assert metrics.oldest_due_age._value.get() == 180  # due since T0
