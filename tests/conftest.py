"""Shared fixtures: a database for every backend we support, and a migrated store on it.

`database_url` is parametrized over SQLite (a file in a temporary directory) and PostgreSQL
(a fresh `musbot_test_<random>` database per test module on the server named by
MUSBOT_TEST_POSTGRES_URL, dropped afterwards). Without that variable the PostgreSQL cases
skip, unless MUSBOT_REQUIRE_POSTGRES=1 (CI), where they fail instead of passing silently.
Start a throwaway server with `.ci/postgres.sh start`.

The flow, web chat and file-link tests run on the same SQL store over SQLite: `sqlite_store`
(or `open_sqlite_store` for several) hands each test its own copy of a database file that was
migrated once per session, so every test starts from an empty, current schema without paying
for the migrations again.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
import shutil
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import Pool

from storage.crypto import KEYS_ENV, new_key
from storage.db import SqlStore, create_store, make_engine, upgrade
from storage.models import metadata

# PostgreSQL needs configured encryption keys (no key file beside a server); one per test run,
# inherited by the worker processes some tests start. Key-file tests unset it themselves.
os.environ.setdefault(KEYS_ENV, new_key())

# ---------------------------------------------------------------- one connection per task

# PostgreSQL's pool has no overflow (storage.db.make_engine): a task that took a second
# connection while holding one could wait on itself once the pool is busy. Every test checks
# that no task ever does (what the bot does is what the suite runs).
_held: dict[asyncio.Task[object], int] = {}
_nested: list[str] = []


def _current_task() -> asyncio.Task[object] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no running loop (a synchronous migration, say)
        return None


@event.listens_for(Pool, "checkout")
def _on_checkout(_dbapi: object, record: object, _proxy: object) -> None:
    task = _current_task()
    if task is None:
        return
    if _held.get(task, 0):
        _nested.append(os.environ.get("PYTEST_CURRENT_TEST", "?"))
    _held[task] = _held.get(task, 0) + 1
    record.info["held_by"] = task  # type: ignore[attr-defined]


@event.listens_for(Pool, "checkin")
def _on_checkin(_dbapi: object, record: object) -> None:
    _release(record)


@event.listens_for(Pool, "invalidate")
def _on_invalidate(_dbapi: object, record: object, _error: object) -> None:
    _release(record)  # a dead connection replaced during checkout is never checked in


def _release(record: object) -> None:
    task = record.info.pop("held_by", None)  # type: ignore[attr-defined]
    if task is None:
        return
    left = _held.get(task, 0) - 1
    if left > 0:
        _held[task] = left
    else:
        _held.pop(task, None)


@pytest.fixture(autouse=True)
def _one_connection_per_task() -> Iterator[None]:
    _nested.clear()
    yield
    assert not _nested, "a task took a second database connection while holding one"


POSTGRES_URL_ENV = "MUSBOT_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_ENV = "MUSBOT_REQUIRE_POSTGRES"


def postgres_server_url() -> str:
    """The test server's URL; skips (or fails, when PostgreSQL is required) without one."""
    url = os.environ.get(POSTGRES_URL_ENV, "").strip()
    if url:
        return url
    if os.environ.get(REQUIRE_POSTGRES_ENV, "") not in ("", "0"):
        pytest.fail(
            f"{REQUIRE_POSTGRES_ENV}=1 but {POSTGRES_URL_ENV} is not set: start a server with "
            f"`export {POSTGRES_URL_ENV}=$(.ci/postgres.sh start)`",
            pytrace=False,
        )
    pytest.skip(f"PostgreSQL tests need {POSTGRES_URL_ENV} (see .ci/postgres.sh)")


async def _admin(server_url: str, sql: str) -> None:
    """Run one statement outside a transaction (CREATE/DROP DATABASE refuse to run inside)."""
    import asyncpg  # type: ignore[import-untyped]

    url = make_url(server_url)
    conn = await asyncpg.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=url.database or "postgres",
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test module; dropped afterwards."""
    server_url = postgres_server_url()
    name = f"musbot_test_{secrets.token_hex(6)}"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An empty database per test module and backend (plain URL, as a user would configure)."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "musbot.db"
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    return url


async def _empty_tables(store: SqlStore) -> None:
    """Wipe every table so each test starts from nothing (the schema stays)."""
    async with store.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(metadata.sorted_tables):
                await conn.execute(delete(table))


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlStore]:
    """A migrated, empty store on each backend."""
    async for migrated in _migrated_store(database_url):
        yield migrated


@pytest.fixture
async def postgres_store(postgres_database: str) -> AsyncIterator[SqlStore]:
    """A migrated, empty store on PostgreSQL only, for what only PostgreSQL does (mark such
    tests `postgres`)."""
    async for migrated in _migrated_store(postgres_database):
        yield migrated


async def _migrated_store(url: str) -> AsyncIterator[SqlStore]:
    await upgrade(url=url)
    store = await create_store(url=url)
    await _empty_tables(store)
    try:
        yield store
    finally:
        await store.close()


# ---------------------------------------------------------------- SQLite, one copy per test


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file at the migrations' head, made once per session; tests get copies."""
    path = tmp_path_factory.mktemp("migrated") / "musbot.db"
    asyncio.run(upgrade(url=f"sqlite:///{path}"))
    # One self-contained file to copy: no WAL beside it.
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    return path


@pytest.fixture
async def open_sqlite_store(
    migrated_sqlite: Path, tmp_path: Path
) -> AsyncIterator[Callable[[], SqlStore]]:
    """Opens fresh, migrated, empty SQLite stores (each its own file); closed after the test."""
    opened: list[SqlStore] = []
    numbers = itertools.count()

    def open_store() -> SqlStore:
        path = tmp_path / f"musbot-{next(numbers)}.db"
        shutil.copyfile(migrated_sqlite, path)
        store = SqlStore(make_engine(url=f"sqlite:///{path}"))
        opened.append(store)
        return store

    try:
        yield open_store
    finally:
        for store in opened:
            await store.close()


@pytest.fixture
def sqlite_store(open_sqlite_store: Callable[[], SqlStore]) -> SqlStore:
    """A fresh, migrated, empty SQLite store for this test."""
    return open_sqlite_store()
