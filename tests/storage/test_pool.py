"""PostgreSQL's connection pool: `pool_size` connections kept, none opened beyond them (a busy
moment waits for one instead of opening and closing connections), and the suite-wide guard
that no task takes a second connection while holding one (tests/conftest.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

import tests.conftest as shared
from bot.config import load_settings
from bot.services import build_services
from storage.db import POSTGRES_POOL_SIZE, SqlStore, create_store, upgrade


async def _backend_pid(store: SqlStore) -> int:
    async with store.transaction() as tx:
        await asyncio.sleep(0.005)  # long enough for the others to need connections too
        return int((await tx.conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


@pytest.mark.postgres
async def test_a_burst_reuses_the_pools_connections_and_opens_no_others(
    postgres_database: str,
) -> None:
    await upgrade(url=postgres_database)
    store = await create_store(url=postgres_database, pool_size=3)
    try:
        pids = await asyncio.gather(*(_backend_pid(store) for _ in range(40)))
    finally:
        await store.close()
    # SQLAlchemy's default pool would have opened (and closed) connections beyond the five it
    # keeps; these forty transactions shared three.
    assert len(set(pids)) <= 3


@pytest.mark.postgres
async def test_a_checkout_beyond_the_pool_waits_for_a_connection(postgres_database: str) -> None:
    await upgrade(url=postgres_database)
    store = await create_store(url=postgres_database, pool_size=1)
    try:
        release = asyncio.Event()

        async def hold() -> None:
            async with store.transaction():
                await release.wait()

        holder = asyncio.create_task(hold())
        await asyncio.sleep(0.05)
        waiting = asyncio.create_task(_backend_pid(store))
        await asyncio.sleep(0.2)
        assert not waiting.done()  # no second connection was opened for it
        release.set()
        await holder
        assert await asyncio.wait_for(waiting, timeout=5) > 0
    finally:
        await store.close()


@pytest.mark.postgres
async def test_the_setting_sizes_the_servers_pool(
    postgres_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(database_url=postgres_database, database_pool_size=4)
    services = await build_services(settings=settings)
    try:
        pool = services.store.engine.sync_engine.pool
        assert pool.size() == 4  # type: ignore[attr-defined]
        assert pool._max_overflow == 0  # type: ignore[attr-defined]
    finally:
        await services.close()


def test_the_settings_default_is_the_stores() -> None:
    """bot.config cannot import storage.db (its start stays light), so the default is written
    twice; this keeps the two the same."""
    assert load_settings().database_pool_size == POSTGRES_POOL_SIZE


async def test_the_guard_sees_a_connection_taken_while_one_is_held(
    sqlite_store: SqlStore,
) -> None:
    async with sqlite_store.reading():
        async with sqlite_store.transaction():
            pass
    assert shared._nested, "the guard in tests/conftest.py no longer sees nested checkouts"
    shared._nested.clear()  # this test's own nesting was the point
