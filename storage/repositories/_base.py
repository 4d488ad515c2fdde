"""What every repository shares: the connection, and the dialect's INSERT with ON CONFLICT."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ARRAY, Table, any_, bindparam
from sqlalchemy.ext.asyncio import AsyncConnection

from conversations.ports import NotFound

__all__ = [
    "NotFound",
    "Repo",
    "lock_key",
    "one_of",
    "rowcount",
    "unique",
]  # NotFound: the port's own

_STATEMENTS: dict[tuple[Any, ...], Any] = {}
"""Statements built once per process, by (dialect, repository, name, shape): see
`Repo._statement`."""


class Repo:
    """Base of the SQL repositories: bound to the one connection (and transaction) of a `SqlTx`."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    @property
    def _dialect(self) -> str:
        return str(self._conn.dialect.name)

    def _statement(self, *key: Any, build: Callable[[str], Any]) -> Any:
        """The statement `build(dialect)` makes for `key` (a name and whatever changes its
        shape), built once per process and then executed with bound parameters.

        Why: on the hot paths (every typed answer) building a statement costs more CPU than
        running it: SQLAlchemy constructs each clause, its column collections and its cache
        key anew. A statement object used again keeps its (memoized) cache key, so its
        compiled form is found in the engine's cache at once. The values go in as
        `bindparam`s, never into the cached statement. The key is the repository's own
        (two repositories may both have a "for_round").
        """
        full = (self._dialect, type(self).__name__, *key)
        found = _STATEMENTS.get(full)
        if found is None:
            found = _STATEMENTS[full] = build(full[0])
        return found

    def _insert(self, table: Table) -> Any:
        """`INSERT` that understands `on_conflict_do_nothing/update` on SQLite and PostgreSQL.

        Typed `Any` because the two dialect classes are distinct but share this API.
        """
        return insert_for(self._dialect, table)


def insert_for(dialect: str, table: Table) -> Any:
    """`Repo._insert` for a dialect name (for statements built once, `Repo._statement`)."""
    # The dialect in use is loaded already; importing the other one would cost memory.
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    if dialect == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(table)
    raise NotImplementedError(f"no upsert for dialect {dialect!r}")


def one_of(column: Any, name: str, dialect: str) -> Any:
    """`column IN (:name)` for a statement built once (`Repo._statement`); the list of values
    is bound at execution.

    PostgreSQL: `column = ANY(:name)`, one array parameter, so the SQL is the same for any
    number of values (one prepared statement); SQLAlchemy's expanding `IN` would rewrite the
    compiled SQL on every execution, which cost more CPU than the rest of running it.
    SQLite has no arrays: an expanding `IN` there.
    """
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    return column.in_(bindparam(name, type_=column.type, expanding=True))


def rowcount(result: Any) -> int:
    """Rows an UPDATE/DELETE touched (both drivers report it)."""
    count = result.rowcount
    assert isinstance(count, int)
    return count


def unique(ids: Sequence[int]) -> list[int]:
    """`ids` without repeats, first occurrence wins (order is meaningful)."""
    return list(dict.fromkeys(ids))


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for `pg_advisory_xact_lock`, from a readable name.

    Python's `hash()` differs per process; this must be the same in every bot process.
    """
    digest = hashlib.blake2b(f"musbot:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
