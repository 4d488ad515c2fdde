"""`plans.lock` holds one plan for a transaction: a second holder waits for the first."""

from __future__ import annotations

import asyncio

import pytest

from storage.db import create_store, upgrade


@pytest.mark.postgres
async def test_a_second_transaction_waits_for_the_plan_lock(postgres_database: str) -> None:
    await upgrade(url=postgres_database)
    first_store = await create_store(url=postgres_database)
    second_store = await create_store(url=postgres_database)
    order: list[str] = []
    held = asyncio.Event()

    async def first() -> None:
        async with first_store.transaction() as tx:
            await tx.plans.lock(round_id=1, employee_id=2)
            held.set()
            await asyncio.sleep(0.3)
            order.append("first done")

    async def second() -> None:
        await held.wait()
        async with second_store.transaction() as tx:
            await tx.plans.lock(round_id=1, employee_id=2)
            order.append("second got it")
        async with second_store.transaction() as tx:
            await tx.plans.lock(round_id=1, employee_id=3)  # another plan: no wait

    try:
        await asyncio.gather(first(), second())
    finally:
        await first_store.close()
        await second_store.close()
    assert order == ["first done", "second got it"]
