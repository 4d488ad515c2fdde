"""SQLite statements take one trip to aiosqlite's thread (`storage.sqlite_hops`), and nothing
SQLAlchemy relies on is lost on the way: rows, rowcount, lastrowid, errors, rollbacks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiosqlite.core
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from storage.db import SqlStore, create_store


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    store = await create_store(url=f"sqlite:///{tmp_path / 'hops.db'}", migrate=True)
    async with store.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
    yield store
    await store.close()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """How many calls went to aiosqlite's thread since the last reading."""
    count = 0
    original = aiosqlite.core.Connection._execute

    async def counting(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal count
        count += 1
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.core.Connection, "_execute", counting)

    def read() -> int:
        nonlocal count
        seen, count = count, 0
        return seen

    return read


async def test_a_transaction_takes_one_trip_per_statement(
    sqlite_store: SqlStore, trips: Callable[[], int]
) -> None:
    async with sqlite_store.transaction() as tx:
        pass  # a warm pooled connection
    trips()
    async with sqlite_store.transaction() as tx:
        await tx.conn.execute(text("INSERT INTO t (v) VALUES ('a')"))
        rows = (await tx.conn.execute(text("SELECT v FROM t"))).scalars().all()
    assert rows == ["a"]
    # BEGIN IMMEDIATE, the INSERT, the SELECT, COMMIT; no empty rollback when the connection
    # goes back to the pool (four trips per statement and one more for the rollback before).
    assert trips() == 4


async def test_rowcount_lastrowid_and_returning_survive(sqlite_store: SqlStore) -> None:
    async with sqlite_store.engine.begin() as conn:
        inserted = await conn.execute(text("INSERT INTO t (v) VALUES ('x')"))
        assert inserted.lastrowid == 1
        await conn.execute(text("INSERT INTO t (v) VALUES ('y')"))
        updated = await conn.execute(text("UPDATE t SET v = v || '!'"))
        assert updated.rowcount == 2
        back = await conn.execute(text("INSERT INTO t (v) VALUES ('z') RETURNING id, v"))
        assert back.one() == (3, "z")


async def test_an_error_is_sqlalchemys_and_the_transaction_rolls_back(
    sqlite_store: SqlStore,
) -> None:
    with pytest.raises(IntegrityError):
        async with sqlite_store.transaction() as tx:
            await tx.conn.execute(text("INSERT INTO t (v) VALUES ('dup')"))
            await tx.conn.execute(text("INSERT INTO t (v) VALUES ('dup')"))
    async with sqlite_store.transaction() as tx:
        count = (await tx.conn.execute(text("SELECT count(*) FROM t"))).scalar_one()
    assert count == 0  # the first INSERT went with the failed transaction


async def test_a_connection_returned_mid_transaction_is_rolled_back(
    sqlite_store: SqlStore,
) -> None:
    conn = await sqlite_store.engine.connect()
    await conn.execute(text("INSERT INTO t (v) VALUES ('left open')"))  # BEGIN IMMEDIATE first
    await conn.close()  # back to the pool without a commit
    async with sqlite_store.transaction() as tx:
        count = (await tx.conn.execute(text("SELECT count(*) FROM t"))).scalar_one()
    assert count == 0
