"""Engine, URL and column-type behaviour that does not depend on a particular repository."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.db import SqlStore, create_store, make_engine, normalise_url
from storage.types import UtcDateTime, as_utc


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///musbot.db", "sqlite+aiosqlite:///musbot.db"),
        ("sqlite:////var/lib/musbot/musbot.db", "sqlite+aiosqlite:////var/lib/musbot/musbot.db"),
        ("sqlite://", "sqlite+aiosqlite://"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("postgresql://u:p%40ss@db:5432/mus", "postgresql+asyncpg://u:p%40ss@db:5432/mus"),
        ("postgres://u@db/mus", "postgresql+asyncpg://u@db/mus"),
        ("postgresql+psycopg2://u@db/mus", "postgresql+asyncpg://u@db/mus"),
        ("postgresql+asyncpg://u@db/mus?ssl=require", "postgresql+asyncpg://u@db/mus?ssl=require"),
    ],
)
def test_normalise_url(given: str, expected: str) -> None:
    assert normalise_url(given) == expected
    assert normalise_url(url=given) == expected


@pytest.mark.parametrize("bad", ["mysql://u@h/db", "not a url", ""])
def test_normalise_url_refuses_other_databases(bad: str) -> None:
    with pytest.raises(ValueError):
        normalise_url(bad)


def test_as_utc() -> None:
    cph = timezone(timedelta(hours=2))
    assert as_utc(datetime(2025, 6, 1, 12, tzinfo=cph)) == datetime(2025, 6, 1, 10, tzinfo=UTC)
    assert as_utc(datetime(2025, 6, 1, 12, tzinfo=cph)).tzinfo is UTC
    with pytest.raises(ValueError, match="naive"):
        as_utc(datetime(2025, 6, 1, 12))


def test_utc_type_reads_naive_as_utc() -> None:
    """SQLite hands back naive values: they are UTC because that is all we ever write."""
    col = UtcDateTime()
    dialect = make_engine(url="sqlite://").dialect
    value = col.process_result_value(datetime(2025, 1, 1, 8), dialect)
    assert value == datetime(2025, 1, 1, 8, tzinfo=UTC) and value.tzinfo is UTC
    assert col.process_result_value(None, dialect) is None
    with pytest.raises(TypeError):
        col.process_bind_param("2025-01-01", dialect)


async def test_sqlite_pragmas(tmp_path: Path) -> None:
    store = await create_store(url=f"sqlite:///{tmp_path}/nested/dir/musbot.db")
    try:
        assert (tmp_path / "nested" / "dir" / "musbot.db").exists()
        async with store.engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar_one() > 0
    finally:
        await store.close()


async def test_create_store_in_memory_migrated() -> None:
    store = await create_store(url="sqlite://", migrate=True)
    try:
        assert store.dialect == "sqlite"
        assert await store.ping()
        async with store.transaction() as tx:
            assert await tx.events.claim(key="k", at=datetime.now(UTC))
    finally:
        await store.close()


async def test_create_store_with_migrate(tmp_path: Path) -> None:
    store = await create_store(url=f"sqlite:///{tmp_path}/m.db", migrate=True)
    try:
        async with store.transaction() as tx:
            ws = await tx.workspaces.get_or_create(platform="slack", external_id="T1")
            assert ws.id > 0
    finally:
        await store.close()


async def test_foreign_keys_enforced(store: SqlStore) -> None:
    with pytest.raises(Exception, match=r"(?i)foreign key"):
        async with store.transaction() as tx:
            await tx.people.upsert(workspace_id=4242, user_id="U1")


async def test_ping_false_when_unreachable() -> None:
    store = SqlStore(make_engine(url="postgresql://nobody@127.0.0.1:1/none"))
    try:
        assert not await store.ping()
    finally:
        await store.close()


async def test_upgrade_works_from_another_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The migrations are found from the package, not from the working directory."""
    monkeypatch.chdir(tmp_path)
    assert not (tmp_path / "alembic.ini").exists()
    store = await create_store(url="sqlite:///relative/musbot.db", migrate=True)
    try:
        assert (tmp_path / "relative" / "musbot.db").exists()
        async with store.transaction() as tx:
            assert await tx.events.claim(key="k", at=datetime.now(UTC))
    finally:
        await store.close()


async def test_a_transaction_has_every_repository_the_port_names(store: SqlStore) -> None:
    """`SqlTx` makes its repositories on first use (`storage.db._REPOSITORIES`): each name
    `ports.Tx` declares is there, bound to the transaction's connection, made once."""
    from conversations.ports import Tx
    from storage.db import _REPOSITORIES, SqlTx

    names = set(Tx.__annotations__)
    assert set(_REPOSITORIES) == names == set(SqlTx.__annotations__)
    async with store.transaction() as tx:
        for name in sorted(names):
            repo = getattr(tx, name)
            assert getattr(tx, name) is repo
            assert getattr(repo, "_conn", None) is tx.conn, name
        with pytest.raises(AttributeError):
            _ = tx.no_such_repository  # type: ignore[attr-defined]
