"""Pooled PostgreSQL connections are pinged only after lying idle (`storage.db._ping_after_idle`).

SQLAlchemy's `pool_pre_ping` cost a round trip per transaction, two per answer. What it
protected against must still hold: a connection the server closed while it lay in the pool
(a restart, an idle timeout, a proxy) is replaced before a transaction runs on it.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

import storage.db
from storage.db import SqlStore, make_engine

pytestmark = pytest.mark.postgres


async def _terminate(store: SqlStore, pid: int) -> None:
    """Close connection `pid` from the server's side, through a connection of another engine."""
    other = make_engine(url=store.engine.url.render_as_string(hide_password=False))
    try:
        async with other.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        await other.dispose()


async def _backend_pid(store: SqlStore) -> int:
    async with store.transaction() as tx:
        pid = (await tx.conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    return int(pid)


async def test_a_connection_closed_while_idle_is_replaced_before_use(
    postgres_store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await _backend_pid(postgres_store)
    await _terminate(postgres_store, first)
    monkeypatch.setattr(storage.db, "PING_AFTER_IDLE_SECONDS", 0.0)
    again = await _backend_pid(postgres_store)  # no error: the dead one was pinged, replaced
    assert again != first


async def test_a_connection_in_steady_use_is_not_pinged(postgres_store: SqlStore) -> None:
    await _backend_pid(postgres_store)
    pings = 0
    dialect = postgres_store.engine.dialect
    original = dialect.do_ping

    def counting(dbapi_connection: object) -> bool:
        nonlocal pings
        pings += 1
        return original(dbapi_connection)

    dialect.do_ping = counting  # type: ignore[method-assign]
    try:
        for _ in range(5):
            await _backend_pid(postgres_store)
    finally:
        dialect.do_ping = original  # type: ignore[method-assign]
    assert pings == 0
