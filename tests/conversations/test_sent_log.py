"""Refs of keyed messages are written in groups under load (`conversations.sent_log`).

On SQLite and PostgreSQL: every caller's ref is committed when its `write` returns, in the
order written; refs queued while a write runs share the next transaction; a failing write is
logged and never raised to the person's request.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest

from conversations.sent_log import RefWrite, SentLog
from storage.db import SqlStore, SqlTx

AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


class CountingStore:
    """The real store, counting its transactions."""

    def __init__(self, inner: SqlStore) -> None:
        self.inner = inner
        self.transactions = 0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlTx]:
        self.transactions += 1
        async with self.inner.transaction() as tx:
            yield tx

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[SqlTx]:
        self.transactions += 1
        async with self.inner.autocommit() as tx:
            yield tx


def _record(n: int, *, key: str | None = None) -> RefWrite:
    return RefWrite(
        platform="slack", workspace_id="T1", ref=f"ts.{n}", key=key or f"k{n}", user_id="U1", at=AT
    )


async def _ref(store: SqlStore, key: str) -> str | None:
    async with store.transaction() as tx:
        return await tx.sent_messages.get(platform="slack", workspace_id="T1", key=key)


async def test_one_writer_alone_writes_at_once(store: SqlStore) -> None:
    counting = CountingStore(store)
    log = SentLog(store=counting)
    await log.write(writes=[_record(1)])
    assert await _ref(store, "k1") == "ts.1"
    assert counting.transactions == 1


async def test_concurrent_writers_share_transactions_and_all_are_committed(
    store: SqlStore,
) -> None:
    counting = CountingStore(store)
    log = SentLog(store=counting)
    await asyncio.gather(*(log.write(writes=[_record(n)]) for n in range(40)))
    for n in range(40):
        assert await _ref(store, f"k{n}") == f"ts.{n}"
    assert counting.transactions <= 2  # those queued while a write runs go together


async def test_writes_apply_in_order_the_latest_ref_under_a_key_wins(store: SqlStore) -> None:
    log = SentLog(store=store)
    await asyncio.gather(*(log.write(writes=[_record(n, key="card")]) for n in range(10)))
    assert await _ref(store, "card") == "ts.9"
    # A forget after the record removes it; a record after a forget brings it back.
    await asyncio.gather(
        log.write(writes=[RefWrite(platform="slack", workspace_id="T1", ref="ts.9")]),
        log.write(writes=[_record(10, key="other")]),
    )
    assert await _ref(store, "card") is None
    assert await _ref(store, "other") == "ts.10"


async def test_a_failed_write_is_logged_not_raised(
    store: SqlStore, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        @asynccontextmanager
        async def transaction(self) -> AsyncIterator[SqlTx]:
            raise RuntimeError("database gone")
            yield  # pragma: no cover

        autocommit = transaction

    log = SentLog(store=Broken())
    await asyncio.gather(*(log.write(writes=[_record(n)]) for n in range(3)))
    assert "recording 3 sent message ref(s) failed" in caplog.text  # one group, one line
    # The next write after a failure still goes through a fresh writer.
    ok = SentLog(store=store)
    await ok.write(writes=[_record(7)])
    assert await _ref(store, "k7") == "ts.7"
