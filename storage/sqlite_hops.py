"""One trip to aiosqlite's thread per SQLite statement, not four.

aiosqlite runs every sqlite3 call in its own thread and SQLAlchemy's adapter makes four such
calls per statement (open a cursor, execute, fetch all, close), each a queue put, a thread
wake-up and a wake-up of the event loop back. A typed answer on SQLite made ~30 of them, 8%
of the server's CPU in the queue put alone. Here the cursor is opened, executed, read and
closed in one call in that thread; what SQLAlchemy reads afterwards (rows, description,
rowcount, lastrowid) is kept. A rollback with no statement since the last commit or rollback
(the pool's reset when a connection comes back) is skipped: there is nothing to undo.

Installed per engine by `storage.db` (the class of each new aiosqlite connection), never
globally.
"""

from __future__ import annotations

import collections
from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
)


class _Done:
    """What an executed-and-closed sqlite3 cursor still tells."""

    __slots__ = ("arraysize", "description", "lastrowid", "rowcount")

    def __init__(self, description: Any = None, rowcount: int = -1, lastrowid: Any = None):
        self.description = description
        self.rowcount = rowcount
        self.lastrowid = lastrowid
        self.arraysize = 1

    def close(self) -> None:
        """Already closed in aiosqlite's thread."""


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """Executes, fetches and closes in one call in aiosqlite's thread."""

    __slots__ = ()
    _awaitable_cursor_close = False  # `close` calls `_Done.close`, no trip

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = _Done()  # type: ignore[assignment]
        self._soft_closed_memoized = {}  # type: ignore[assignment]
        self._rows = collections.deque()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        raw = self._connection._conn  # the sqlite3 connection, used in its own thread only

        def run() -> tuple[_Done, list[Any]]:
            cursor = raw.cursor()
            try:
                if parameters is None:
                    cursor.execute(operation)
                else:
                    cursor.execute(operation, parameters)
                rows = cursor.fetchall() if cursor.description else []
                return _Done(cursor.description, cursor.rowcount, cursor.lastrowid), rows
            finally:
                cursor.close()

        async with self._adapt_connection._execute_mutex:
            done, rows = await self._connection._execute(run)
        _dirty(self._adapt_connection)
        self._cursor = done
        self._rows = collections.deque(rows)
        return self

    async def _executemany_async(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        raw = self._connection._conn

        def run() -> _Done:
            cursor = raw.cursor()
            try:
                cursor.executemany(operation, seq_of_parameters)
                return _Done(cursor.description, cursor.rowcount, cursor.lastrowid)
            finally:
                cursor.close()

        async with self._adapt_connection._execute_mutex:
            done = await self._connection._execute(run)
        _dirty(self._adapt_connection)
        self._cursor = done
        self._rows = collections.deque()
        return self

    def setinputsizes(self, *inputsizes: Any) -> None:
        """sqlite3 ignores input sizes."""


_CLEAN = "_musbot_nothing_to_roll_back"  # a flag on the aiosqlite connection


def _dirty(connection: Any) -> None:
    setattr(connection._connection, _CLEAN, False)


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """aiosqlite's adapted connection with `OneTripCursor`s and no empty rollbacks."""

    __slots__ = ()
    _cursor_cls = OneTripCursor  # type: ignore[assignment]

    def rollback(self) -> None:
        if getattr(self._connection, _CLEAN, False):
            return
        super().rollback()
        setattr(self._connection, _CLEAN, True)

    def commit(self) -> None:
        super().commit()
        setattr(self._connection, _CLEAN, True)


def install(dbapi_connection: Any) -> None:
    """Make a new aiosqlite connection (SQLAlchemy's adapted one) take one trip per statement."""
    if type(dbapi_connection) is AsyncAdapt_aiosqlite_connection:
        dbapi_connection.__class__ = OneTripConnection
