"""`Store.reading`: reads with no transaction around them where the database allows it, and
no write ever: a write raises `WriteInRead` before the database sees it."""

from __future__ import annotations

import asyncio
import contextvars
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from conversations.ports import RefWrite, WriteInRead
from storage.db import SqlStore

AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def _put(key: str, ref: str) -> RefWrite:
    return RefWrite(platform="slack", workspace_id="T1", ref=ref, key=key, user_id="U1", at=AT)


async def _get(store: SqlStore, key: str) -> str | None:
    async with store.transaction() as tx:
        return await tx.sent_messages.get(platform="slack", workspace_id="T1", key=key)


async def test_reading_sees_what_is_committed(store: SqlStore) -> None:
    async with store.transaction() as tx:
        await tx.sent_messages.write_many(writes=[_put("a", "ts.1")])
    async with store.reading() as tx:
        assert await tx.sent_messages.get(platform="slack", workspace_id="T1", key="a") == "ts.1"


async def test_a_write_while_reading_is_refused_and_not_stored(store: SqlStore) -> None:
    with pytest.raises(WriteInRead):
        async with store.reading() as tx:
            await tx.sent_messages.write_many(writes=[_put("a", "ts.1")])
    with pytest.raises(WriteInRead):
        async with store.reading() as tx:
            await tx.conn.execute(text("DELETE FROM sent_messages"))
    assert await _get(store, "a") is None
    # The refusal belongs to that connection only: a transaction afterwards writes.
    async with store.transaction() as tx:
        await tx.sent_messages.write_many(writes=[_put("a", "ts.1")])
    assert await _get(store, "a") == "ts.1"


async def test_reading_does_not_wait_for_an_open_transaction(store: SqlStore) -> None:
    """WAL readers never wait for the writer: a read runs while a transaction is open (on
    PostgreSQL too). It sees what was committed before, not the open transaction's write."""
    async with store.transaction() as tx:
        await tx.sent_messages.write_many(writes=[_put("a", "ts.1")])
    async with store.transaction() as tx:
        await tx.sent_messages.write_many(writes=[_put("a", "ts.2")])

        async def read() -> str | None:
            async with store.reading() as reader:
                return await reader.sent_messages.get(platform="slack", workspace_id="T1", key="a")

        # In a task of its own context, as another event's would be (not this task's, which
        # is inside the transaction and so would pass any write lock by design).
        task = asyncio.create_task(read(), context=contextvars.Context())
        assert await asyncio.wait_for(task, 5) == "ts.1"
    assert await _get(store, "a") == "ts.2"


@pytest.mark.postgres
async def test_on_postgresql_reading_opens_no_transaction(postgres_store: SqlStore) -> None:
    """Each statement is its own transaction (no BEGIN or COMMIT round trips): a statement
    after a pause is in a transaction that began with it, not before the pause. Inside
    `transaction()` the transaction began before the pause."""
    began = text("SELECT extract(epoch FROM statement_timestamp() - now())")
    async with postgres_store.reading() as tx:
        await tx.conn.execute(text("SELECT 1"))
        await asyncio.sleep(0.2)
        assert (await tx.conn.execute(began)).scalar_one() < 0.1
    async with postgres_store.transaction() as tx:
        await tx.conn.execute(text("SELECT 1"))
        await asyncio.sleep(0.2)
        assert (await tx.conn.execute(began)).scalar_one() >= 0.2


async def test_in_memory_sqlite_reading_waits_its_turn_on_the_one_connection() -> None:
    """An in-memory database is one shared connection: a read must not run inside someone
    else's open transaction (it would see, and its close would end, their writes)."""
    from storage.db import create_store

    memory = await create_store(url="sqlite://", migrate=True)
    try:
        order: list[str] = []
        opened = asyncio.Event()

        async def write() -> None:
            async with memory.transaction() as tx:
                await tx.sent_messages.write_many(writes=[_put("a", "ts.1")])
                opened.set()
                await asyncio.sleep(0.05)
                order.append("commit")

        async def read() -> None:
            await opened.wait()
            async with memory.reading() as reader:
                order.append("read")
                await reader.sent_messages.get(platform="slack", workspace_id="T1", key="a")

        await asyncio.wait_for(asyncio.gather(write(), read()), 5)
        assert order == ["commit", "read"]
        async with memory.reading() as reader:
            got = await reader.sent_messages.get(platform="slack", workspace_id="T1", key="a")
        assert got == "ts.1"
    finally:
        await memory.close()


async def test_in_memory_sqlite_refuses_a_read_inside_a_transaction() -> None:
    from storage.db import create_store

    memory = await create_store(url="sqlite://", migrate=True)
    try:
        with pytest.raises(RuntimeError):
            async with memory.transaction(), memory.reading():
                pass
    finally:
        await memory.close()


async def test_sqlite_file_readers_are_bounded_and_leave_the_writer_a_connection(
    sqlite_store: SqlStore,
) -> None:
    """Many reads at once on an SQLite file: at most `SQLITE_READERS` hold a connection, and
    a write in the middle of them still goes through."""
    from storage.db import SQLITE_READERS

    store = sqlite_store
    inside = 0
    most = 0

    async def read() -> None:
        nonlocal inside, most
        async with store.reading() as tx:
            inside += 1
            most = max(most, inside)
            await tx.sent_messages.get(platform="slack", workspace_id="T1", key="a")
            await asyncio.sleep(0.01)
            inside -= 1

    async def write() -> None:
        async with store.transaction() as tx:
            await tx.sent_messages.write_many(writes=[_put("a", "ts.1")])

    await asyncio.wait_for(asyncio.gather(*(read() for _ in range(20)), write()), 10)
    assert most == SQLITE_READERS
    assert await _get(store, "a") == "ts.1"
