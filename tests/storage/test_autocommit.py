"""`Store.autocommit`: each statement commits on its own on PostgreSQL (no BEGIN and COMMIT
round trips around a one-statement write), a plain transaction on SQLite."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from conversations.ports import RefWrite
from storage.db import SqlStore

AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def _put(key: str, ref: str) -> RefWrite:
    return RefWrite(platform="slack", workspace_id="T1", ref=ref, key=key, user_id="U1", at=AT)


async def _get(store: SqlStore, key: str) -> str | None:
    async with store.transaction() as tx:
        return await tx.sent_messages.get(platform="slack", workspace_id="T1", key=key)


async def test_what_autocommit_writes_is_stored(store: SqlStore) -> None:
    async with store.autocommit() as tx:
        await tx.sent_messages.write_many(writes=[_put("a", "ts.1"), _put("b", "ts.2")])
        assert await tx.sent_messages.get(platform="slack", workspace_id="T1", key="a") == "ts.1"
    assert await _get(store, "a") == "ts.1"
    assert await _get(store, "b") == "ts.2"


@pytest.mark.postgres
async def test_on_postgresql_each_statement_is_committed_at_once(
    postgres_store: SqlStore,
) -> None:
    """Another connection sees the write before the block ends: no transaction was open
    around it (a BEGIN would have hidden it until COMMIT)."""
    async with postgres_store.autocommit() as tx:
        await tx.sent_messages.write_many(writes=[_put("a", "ts.1")])
        seen = await asyncio.wait_for(_get(postgres_store, "a"), 5)
        assert seen == "ts.1"


@pytest.mark.postgres
async def test_a_pooled_connection_is_transactional_again_after_autocommit(
    postgres_store: SqlStore,
) -> None:
    """The AUTOCOMMIT setting goes back with the connection: the next transaction on that
    same server connection is atomic again (a failure rolls back its earlier statement)."""
    async with postgres_store.autocommit() as tx:
        await tx.sent_messages.write_many(writes=[_put("a", "ts.1")])
        used = (await tx.conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    for attempt in range(20):  # the pool hands connections out in turn: find that one again
        with pytest.raises(RuntimeError):
            async with postgres_store.transaction() as tx:
                pid = (await tx.conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
                await tx.sent_messages.write_many(writes=[_put(f"b{attempt}", "ts.2")])
                raise RuntimeError("rolled back")
        assert await _get(postgres_store, f"b{attempt}") is None
        if pid == used:
            break
    else:
        pytest.fail("the autocommit connection never came back from the pool")
