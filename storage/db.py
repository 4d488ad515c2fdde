"""Engine, store and transaction: the only place that opens database transactions."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import os
import re
import stat
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from conversations.ports import (
    AuditRepo,
    BookingRepo,
    CommitteeRepo,
    ConversationRefRepo,
    EvaluationRepo,
    LeaderNoteRepo,
    OutboxRepo,
    PersonRepo,
    PlanRepo,
    PrepRepo,
    ProcessedEventRepo,
    RoundFormRepo,
    RoundRepo,
    SentMessageRepo,
    Store,
    TeamActionRepo,
    TeamRepo,
    TemplateRepo,
    WorkspaceRepo,
    WriteInRead,
)
from storage import sqlite_hops
from storage.repositories import (
    SqlAuditRepo,
    SqlBookingRepo,
    SqlConversationRefRepo,
    SqlLeaderNoteRepo,
    SqlOutboxRepo,
    SqlPersonRepo,
    SqlPlanRepo,
    SqlPrepRepo,
    SqlProcessedEventRepo,
    SqlRoundRepo,
    SqlSentMessageRepo,
    SqlTeamRepo,
    SqlWorkspaceRepo,
)
from storage.repositories.templates import SqlRoundFormRepo, SqlTemplateRepo
from storage.repositories.year import SqlCommitteeRepo, SqlEvaluationRepo, SqlTeamActionRepo

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 10_000
# Concurrent `SqlStore.reading` connections on an SQLite file: one fewer than the pool keeps
# (SQLAlchemy's default of 5), so a writer always finds a connection.
SQLITE_READERS = 4
# A pooled PostgreSQL connection idle this long is pinged before use (`_ping_after_idle`).
PING_AFTER_IDLE_SECONDS = 10.0
# PostgreSQL connections a process keeps (MUSBOT_DATABASE_POOL_SIZE), and no more: see
# `make_engine` for why there are no overflow connections.
POSTGRES_POOL_SIZE = 10

READING = "musbot_reading"
"""Execution option of a `SqlStore.reading` connection: its writes are refused."""

_READ_WORDS = ("SELECT", "WITH", "PRAGMA", "SHOW")

# Drivers people write in configuration, mapped to the async driver we run on.
_ASYNC_DRIVERS: dict[str, str] = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
    "postgresql+pg8000": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


def normalise_url(url: str) -> str:
    """The async-driver form of a database URL (`sqlite:///x.db` → `sqlite+aiosqlite:///x.db`).

    Users configure plain URLs; the bot runs on asyncio, so the driver is ours to choose.
    Raises `ValueError` for anything that is neither SQLite nor PostgreSQL.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ValueError(f"not a database URL: {_redact(url)!r}") from exc
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    if driver is None:
        raise ValueError(
            f"unsupported database URL scheme {parsed.drivername!r}: "
            "use sqlite:///path/to/musbot.db or postgresql://user:password@host/dbname"
        )
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def _redact(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable>"


def _is_memory_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def make_engine(
    *, url: str, foreign_keys: bool = True, pool_size: int = POSTGRES_POOL_SIZE
) -> AsyncEngine:
    """An async engine for `url`, with the settings a busy bot needs.

    SQLite: foreign keys on (off for migrations, where batch table rebuilds would otherwise
    cascade deletes), WAL so readers don't block the writer, a busy timeout, and `BEGIN
    IMMEDIATE` so two concurrent transactions queue on the lock instead of failing with
    "database is locked" when a reader later tries to write.

    PostgreSQL: `pool_size` connections and no overflow. SQLAlchemy's default (5, and 10
    more on demand) opens a connection for every checkout beyond five and closes it on
    return; with a few dozen events in flight that churn (TCP, authentication, asyncpg's
    setup) cost more CPU than the answers (issue 17: modal answers on PostgreSQL 124 -> 172 a
    second at c=10 without it). A checkout beyond `pool_size` waits for a connection instead,
    which costs nothing while the process is busy anyway. Waiting is safe because no task
    takes a second connection while holding one: tests/conftest.py checks that in every test.
    """
    parsed = make_url(normalise_url(url))
    # An error's message never carries the statement's values (answers, notes, plans).
    kwargs: dict[str, Any] = {"hide_parameters": True}
    if parsed.get_backend_name() == "sqlite":
        if _is_memory_sqlite(parsed):
            # One shared connection, or every checkout would see a fresh empty database.
            kwargs["poolclass"] = StaticPool
            kwargs["connect_args"] = {"check_same_thread": False}
    else:
        kwargs.update(pool_size=pool_size, max_overflow=0)
    engine = create_async_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        _configure_sqlite(engine, foreign_keys=foreign_keys, memory=_is_memory_sqlite(parsed))
    else:
        _ping_after_idle(engine)
    _refuse_writes_in_reading(engine)
    _default_keys(engine, url=url)
    return engine


def _refuse_writes_in_reading(engine: AsyncEngine) -> None:
    """A write on a `SqlStore.reading` connection raises `WriteInRead` before it is sent.

    The reading pass has no transaction and no claim of the delivery: a write there would be
    neither atomic nor deduplicated, so the event runs again in a transaction instead.
    """

    @event.listens_for(engine.sync_engine, "before_execute")
    def _before_execute(
        conn: Connection, statement: Any, _multi: Any, _params: Any, _options: Any
    ) -> None:
        if not conn.get_execution_options().get(READING):
            return
        if getattr(statement, "is_dml", False):
            raise WriteInRead(type(statement).__name__)
        if not getattr(statement, "is_select", False):
            sql = statement if isinstance(statement, str) else str(getattr(statement, "text", ""))
            if not sql.lstrip().upper().startswith(_READ_WORDS):
                raise WriteInRead(type(statement).__name__)


def _default_keys(engine: AsyncEngine, *, url: str) -> None:
    """Give the engine the keys it would get without configuration (see `resolve_keyring`);
    `create_store` replaces them with the configured ones and checks them. Where there are
    none (PostgreSQL without MUSBOT_ENCRYPTION_KEYS), confidential columns refuse to work."""
    from storage.crypto import EncryptionKeyError, attach, resolve_keyring

    file = sqlite_file(url)
    try:
        keyring = resolve_keyring(
            keys=None,
            sqlite_path=str(file) if file is not None else None,
            memory=_is_memory_sqlite(engine.url),
            create_key_file=False,  # only `create_store`, which knows the configuration, makes one
        )
    except EncryptionKeyError:
        return
    attach(engine.sync_engine.dialect, keyring)


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL (None for in-memory SQLite and PostgreSQL)."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite" or _is_memory_sqlite(parsed):
        return None
    database = parsed.database or ""
    if database.startswith("file:"):
        return None
    return Path(database).expanduser()


def _private(path: Path) -> None:
    """Owner-only permissions (0600) on a database file and its -wal/-shm companions."""
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        try:
            mode = stat.S_IMODE(candidate.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            os.chmod(candidate, mode & 0o700)


def _ping_after_idle(engine: AsyncEngine) -> None:
    """Check a pooled server connection before use only when it has lain idle a while.

    SQLAlchemy's `pool_pre_ping` spends a round trip on every checkout (two per answer). A
    connection in steady use has just proved itself; one back from a quiet spell may have been
    closed by the server, a restart or a proxy, and is pinged and replaced if dead. A
    connection that dies while in use fails that one transaction, which SQLAlchemy detects as
    a disconnect and answers by emptying the pool.
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise DisconnectionError("pooled connection did not answer") from error
        if not alive:
            raise DisconnectionError("pooled connection did not answer")


def _configure_sqlite(engine: AsyncEngine, *, foreign_keys: bool, memory: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        sqlite_hops.install(dbapi_connection)
        # Let us emit BEGIN ourselves (the driver's implicit BEGIN is DEFERRED).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            # Deleted answers are overwritten with zeros, not left in free pages.
            cursor.execute("PRAGMA secure_delete = ON")
            if not memory:
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()
        if not memory and engine.url.database:
            _private(Path(engine.url.database).expanduser())

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READING):
            return  # each read is its own (WAL snapshot) transaction, nobody's lock taken
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class SqlTx:
    """One transaction (one connection) with every repository bound to it (`ports.Tx`).

    A Core connection, not an ORM session: the repositories run Core statements only, and
    the session's bookkeeping cost about a tenth of each transaction's CPU on the hot path.
    """

    workspaces: WorkspaceRepo
    people: PersonRepo
    teams: TeamRepo
    rounds: RoundRepo
    prep: PrepRepo
    notes: LeaderNoteRepo
    events: ProcessedEventRepo
    audit: AuditRepo
    conversation_refs: ConversationRefRepo
    sent_messages: SentMessageRepo
    bookings: BookingRepo
    plans: PlanRepo
    outbox: OutboxRepo
    team_actions: TeamActionRepo
    committee: CommitteeRepo
    evaluations: EvaluationRepo
    templates: TemplateRepo
    round_forms: RoundFormRepo

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    def __getattr__(self, name: str) -> Any:
        """Each repository is made on first use: a transaction uses three or four of the
        eighteen, and making them all cost about 1% of a typed answer's CPU (issue 17)."""
        factory = _REPOSITORIES.get(name)
        if factory is None:
            raise AttributeError(name)
        repo = factory(self.conn)
        setattr(self, name, repo)  # found directly from now on; __getattr__ is not asked again
        return repo


_REPOSITORIES: dict[str, Callable[[AsyncConnection], Any]] = {
    "workspaces": SqlWorkspaceRepo,
    "people": SqlPersonRepo,
    "teams": SqlTeamRepo,
    "rounds": SqlRoundRepo,
    "prep": SqlPrepRepo,
    "notes": SqlLeaderNoteRepo,
    "events": SqlProcessedEventRepo,
    "audit": SqlAuditRepo,
    "conversation_refs": SqlConversationRefRepo,
    "sent_messages": SqlSentMessageRepo,
    "bookings": SqlBookingRepo,
    "plans": SqlPlanRepo,
    "outbox": SqlOutboxRepo,
    "team_actions": SqlTeamActionRepo,
    "committee": SqlCommitteeRepo,
    "evaluations": SqlEvaluationRepo,
    "templates": SqlTemplateRepo,
    "round_forms": SqlRoundFormRepo,
}
"""`SqlTx`'s repositories by attribute: the annotations on `SqlTx` (and `ports.Tx`) name
the same eighteen, which tests/storage/test_storage_db.py checks."""


_in_write: contextvars.ContextVar[bool] = contextvars.ContextVar("musbot_in_write", default=False)


class SqlStore:
    """`ports.Store` on SQLAlchemy: SQLite by default, PostgreSQL to scale.

    SQLite allows one writer at a time, and every transaction here is a write transaction
    (`BEGIN IMMEDIATE`). Concurrent ones queue on an asyncio lock in this process instead of
    in SQLite's busy handler, which polls with growing sleeps and so adds latency under load.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._write_lock = asyncio.Lock() if engine.dialect.name == "sqlite" else None
        self._memory = _is_memory_sqlite(engine.url)
        self._readers = asyncio.Semaphore(SQLITE_READERS)

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlTx]:
        """Commit on normal exit, roll back on an exception (which propagates)."""
        if self._write_lock is None or _in_write.get():
            async with self.engine.begin() as conn:
                yield SqlTx(conn)
            return
        async with self._write_lock:
            token = _in_write.set(True)  # a nested transaction in this task must not wait on us
            try:
                async with self.engine.begin() as conn:
                    yield SqlTx(conn)
            finally:
                _in_write.reset(token)

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[SqlTx]:
        """`ports.Store.autocommit`: on PostgreSQL each statement is its own transaction (two
        round trips fewer than BEGIN ... COMMIT around one statement); on SQLite a
        `transaction`, whose write lock queues writers in this process."""
        if self._write_lock is not None:
            async with self.transaction() as tx:
                yield tx
            return
        async with self.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            yield SqlTx(conn)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[SqlTx]:
        """`ports.Store.reading`: on PostgreSQL autocommit statements; on an SQLite file a
        connection that takes no write lock (WAL readers never wait for the writer), at most
        `SQLITE_READERS` at once so the pool always has the writer's connection and never
        opens (and drops) overflow ones. An in-memory SQLite database has one shared
        connection, so there it waits its turn, and may not be read from inside a
        transaction (closing the read would end the transaction)."""
        if self._write_lock is None:
            async with self._reading_connection() as tx:
                yield tx
            return
        if not self._memory:
            async with self._readers, self._reading_connection() as tx:
                yield tx
            return
        if _in_write.get():
            raise RuntimeError("reading() inside a transaction on an in-memory database")
        async with self._write_lock:
            token = _in_write.set(True)
            try:
                async with self._reading_connection() as tx:
                    yield tx
            finally:
                _in_write.reset(token)

    @asynccontextmanager
    async def _reading_connection(self) -> AsyncIterator[SqlTx]:
        async with self.engine.connect() as conn:
            if self._write_lock is None:
                await conn.execution_options(isolation_level="AUTOCOMMIT", **{READING: True})
            else:
                await conn.execution_options(**{READING: True})
            yield SqlTx(conn)

    async def ping(self) -> bool:
        """True when the database answers; for health checks, so it never raises."""
        try:
            async with self.engine.connect() as conn:
                # SQLite's SELECT 1 never touches the file; the schema version does.
                probe = "PRAGMA schema_version" if self.dialect == "sqlite" else "SELECT 1"
                await conn.execute(text(probe))
        except Exception:
            log.warning("database ping failed", exc_info=True)
            return False
        return True

    async def close(self) -> None:
        """Close pooled connections (at shutdown)."""
        await self.engine.dispose()


async def create_store(
    *,
    url: str,
    migrate: bool = False,
    keys: Sequence[str] | str | None = None,
    pool_size: int = POSTGRES_POOL_SIZE,
) -> SqlStore:
    """A store for `url` (plain `sqlite:///…`/`postgresql://…` accepted).

    Connects once so a wrong URL or an unreachable server fails at startup, not at the first
    message. `migrate=True` runs `upgrade` first (safe with several processes starting at
    once: see `upgrade`); for an in-memory SQLite URL it migrates the store's own database.

    `keys` are the encryption keys, newest first (see `storage.crypto.resolve_keyring` for
    what happens without them). They are checked against the database's key canary here, so
    a wrong key stops the start with `EncryptionKeyError` instead of failing a handler later.

    `pool_size`: the PostgreSQL connections it keeps (`make_engine`).
    """
    from storage.crypto import attach, resolve_keyring
    from storage.rotation import check_canary

    _ensure_sqlite_dir(url)
    engine = make_engine(url=url, pool_size=pool_size)
    try:
        file = sqlite_file(url)
        keyring = resolve_keyring(
            keys=keys,
            sqlite_path=str(file) if file is not None else None,
            memory=_is_memory_sqlite(engine.url),
        )
        attach(engine.sync_engine.dialect, keyring)
        if migrate and _is_memory_sqlite(engine.url):
            # Another engine would see another, empty in-memory database: migrate this one.
            await _migrate(engine, "head")
        elif migrate:
            await upgrade(url=url)
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        store = SqlStore(engine)
        await check_canary(store=store)
    except BaseException:
        await engine.dispose()
        raise
    return store


# ---------------------------------------------------------------- migrations

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Any constant; serialises `upgrade` across processes sharing one PostgreSQL database.
_PG_MIGRATION_LOCK = 0x6D7573626F74  # "musbot"


def alembic_config(*, url: str | None = None) -> Config:
    """Alembic's configuration, built in code (no alembic.ini): works from any cwd or install."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


async def upgrade(*, url: str, revision: str = "head") -> None:
    """Apply the migrations up to `revision`, in one transaction where the backend allows.

    On PostgreSQL an advisory lock makes concurrent starts of several bot processes wait for
    each other instead of racing to create the same tables. (An in-memory SQLite URL gets a
    database of its own here, gone on return: use `create_store(..., migrate=True)` for that.)
    """
    _ensure_sqlite_dir(url)
    engine = make_engine(url=url, foreign_keys=False)
    try:
        if revision == "head" and await schema_is_current(engine):
            return  # the usual start: nothing to do, and alembic is not even imported
        await _migrate(engine, revision)
    finally:
        await engine.dispose()


def head_revisions() -> set[str]:
    """The migration heads, read from the files (importing alembic costs ~30 MB)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        found = re.search(r"^revision\b[^=]*=\s*['\"]([^'\"]+)['\"]", source, re.M)
        if found:
            revisions.add(found.group(1))
        down = re.search(r"^down_revision\b[^=]*=\s*(.+)$", source, re.M)
        if down:
            parents.update(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)))
    return revisions - parents


async def schema_is_current(engine: AsyncEngine) -> bool:
    """True when the database is at every migration head (then `upgrade` has nothing to do)."""
    heads = head_revisions()
    if not heads:
        return False
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT version_num FROM alembic_version"))
            stored = {row[0] for row in rows}
    except Exception:  # no table yet (a new database), or unreadable: let alembic decide
        return False
    return stored == heads


async def _migrate(engine: AsyncEngine, revision: str) -> None:
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
            )
        await conn.run_sync(_run_alembic, revision)


def _run_alembic(connection: Connection, revision: str) -> None:
    from alembic import command

    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


def _ensure_sqlite_dir(url: str) -> None:
    """Create the folder of a SQLite file, so `sqlite:///data/musbot.db` works on first run."""
    file = sqlite_file(url)
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        if not file.exists():
            # Created owner-only before SQLite opens it; SQLite gives -wal/-shm the same mode.
            with contextlib.suppress(FileExistsError):
                os.close(os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


if TYPE_CHECKING:  # SqlStore must satisfy the port the flows depend on.
    from alembic.config import Config

    def _conforms(store: SqlStore) -> Store:
        return store
