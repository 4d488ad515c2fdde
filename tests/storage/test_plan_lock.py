"""`plans.lock` holds one plan for a transaction: a second holder waits for the first."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from storage.db import SqlStore, create_store, upgrade


async def _waiting_for_an_advisory_lock(observer: SqlStore) -> bool:
    """True once PostgreSQL shows a session of this database blocked on an advisory lock."""
    async with observer.engine.connect() as conn:
        waiting = await conn.scalar(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        )
    return bool(waiting)


@pytest.mark.postgres
async def test_a_second_transaction_waits_for_the_plan_lock(postgres_database: str) -> None:
    await upgrade(url=postgres_database)
    first_store = await create_store(url=postgres_database)
    second_store = await create_store(url=postgres_database)
    observer = await create_store(url=postgres_database)
    order: list[str] = []
    held = asyncio.Event()
    release = asyncio.Event()

    async def first() -> None:
        async with first_store.transaction() as tx:
            await tx.plans.lock(round_id=1, employee_id=2)
            held.set()
            await release.wait()
            order.append("first done")

    async def second() -> None:
        await held.wait()
        async with second_store.transaction() as tx:
            await tx.plans.lock(round_id=1, employee_id=2)
            order.append("second got it")
        async with second_store.transaction() as tx:
            await tx.plans.lock(round_id=1, employee_id=3)  # another plan: no wait

    tasks = [asyncio.create_task(first()), asyncio.create_task(second())]
    try:
        # The server itself shows the second transaction blocked on the first one's lock.
        async with asyncio.timeout(30):
            while not tasks[1].done() and not await _waiting_for_an_advisory_lock(observer):  # noqa: ASYNC110 - polling the server's lock table
                await asyncio.sleep(0.01)
        assert order == []  # (a second holder that did not wait would be in here)
        release.set()
        await asyncio.gather(*tasks)
    finally:
        release.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        for store in (first_store, second_store, observer):
            await store.close()
    assert order == ["first done", "second got it"]
