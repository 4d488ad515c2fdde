"""`musbot data backup` / `musbot data restore`: every table as portable JSON.

One format for SQLite and PostgreSQL (so a backup of a trial on SQLite can be restored into
PostgreSQL), written through the schema's own tables: values keep their types (timestamps,
dates, JSON, bytes are tagged), and the schema revision is recorded so a backup is restored
into the schema it came from and then upgraded. The file holds everything, confidential prep
answers included: it is created readable by its owner only.

For very large PostgreSQL databases `pg_dump -Fc` / `pg_restore` work as well (docs/deploy.md).
"""

from __future__ import annotations

import base64
import json
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Integer, MetaData, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

FORMAT = "musbot-backup/1"
_BATCH = 500
# Not copied: the encryption key check is the target database's own (made with its keys).
_SKIP = frozenset({"key_canary"})


class BackupError(Exception):
    """The file is not a backup, or the database is not empty: the message says which."""


def _metadata() -> MetaData:
    from storage.models import metadata

    return metadata


def _tables() -> list[Any]:
    return [t for t in _metadata().sorted_tables if t.name not in _SKIP]


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$b64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict):
        # A JSON column holding a dict that looks like one of our tags is escaped.
        return {"$json": value} if any(k.startswith("$") for k in value) else value
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        ((key, inner),) = value.items()
        if key == "$dt":
            return datetime.fromisoformat(inner)
        if key == "$date":
            return date.fromisoformat(inner)
        if key == "$b64":
            return base64.b64decode(inner)
        if key == "$json":
            return inner
    return value


async def _revision(conn: AsyncConnection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return await conn.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())


async def backup(*, url: str, path: Path, keys: Any = None) -> dict[str, int]:
    """Write every row to `path` (JSON); returns rows per table.

    Encrypted columns are read with the database's keys (`keys`, or its key file), so the
    file holds them readable and restores under any other key: keep it as safe as the keys.
    """
    from storage.db import create_store, make_engine

    probe = make_engine(url=url)
    try:
        async with probe.connect() as conn:
            revision = await _revision(conn)
    finally:
        await probe.dispose()
    if revision is None:
        raise BackupError("the database has no MUS-bot schema: nothing to back up")
    store = await create_store(url=url, keys=keys)
    engine = store.engine
    counts: dict[str, int] = {}
    tables: dict[str, list[dict[str, Any]]] = {}
    try:
        async with engine.connect() as conn:
            for table in _tables():
                pk = list(table.primary_key.columns)
                result = await conn.execute(select(table).order_by(*pk))
                rows = [
                    {key: _encode(value) for key, value in row._mapping.items()} for row in result
                ]
                tables[table.name] = rows
                counts[table.name] = len(rows)
    finally:
        await engine.dispose()
    document = {
        "format": FORMAT,
        "schema_revision": revision,
        "created": datetime.now().astimezone().isoformat(timespec="seconds"),
        "tables": tables,
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(document, out, ensure_ascii=False)
    return counts


def read_backup(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BackupError(f"cannot read {path}: {error}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BackupError(f"{path} is not a MUS-bot backup (made with `musbot data backup`)")
    return document


async def restore(*, url: str, path: Path, keys: Any = None) -> dict[str, int]:
    """Load a backup into an empty database, then upgrade it to the current schema.

    The rows are encrypted with this database's keys (`keys`, or its key file, made if new).
    """
    from storage.db import create_store, upgrade

    document = read_backup(path)
    revision = document["schema_revision"]
    await upgrade(url=url, revision=revision)
    store = await create_store(url=url, keys=keys)
    engine = store.engine
    counts: dict[str, int] = {}
    try:
        async with engine.begin() as conn:
            if await _revision(conn) != revision:
                raise BackupError(
                    f"the database is at a newer schema than the backup ({revision}): "
                    "restore into a new, empty database"
                )
            for table in _tables():
                if table.name not in document["tables"]:
                    continue
                existing = (await conn.execute(select(func.count()).select_from(table))).scalar()
                if existing:
                    raise BackupError(
                        f"the database is not empty (table {table.name} has {existing} rows): "
                        "restore into a new, empty database"
                    )
            for table in _tables():
                rows = [
                    {key: _decode(value) for key, value in row.items()}
                    for row in document["tables"].get(table.name, [])
                ]
                for start in range(0, len(rows), _BATCH):
                    await conn.execute(table.insert(), rows[start : start + _BATCH])
                counts[table.name] = len(rows)
                if conn.dialect.name == "postgresql":
                    await _reset_sequence(conn, table.name, table)
    finally:
        await engine.dispose()
    await upgrade(url=url)
    return counts


async def _reset_sequence(conn: AsyncConnection, name: str, table: Any) -> None:
    """Explicit ids were inserted: move PostgreSQL's sequence past them."""
    for column in table.primary_key.columns:
        if isinstance(column.type, Integer) and column.autoincrement in (True, "auto"):
            await conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', '{column.name}'), "
                    f"COALESCE(MAX({column.name}), 1), MAX({column.name}) IS NOT NULL) FROM {name}"
                )
            )
