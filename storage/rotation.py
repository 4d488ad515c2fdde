"""The key canary (checked at start) and key rotation (re-seal every value with the newest key).

Rotation works in batches, each its own transaction, and skips values already sealed with the
newest key: interrupted, it simply runs again and continues where it stopped. The canary is
re-sealed last, so until a rotation has finished the old key must stay configured.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, LargeBinary, Table, Text, and_, inspect, select, type_coerce
from sqlalchemy.exc import IntegrityError

from storage.crypto import CANARY_PLAINTEXT, DecryptionError, EncryptionKeyError, keyring_of
from storage.models import key_canary, metadata
from storage.types import EncryptedBytes, EncryptedJSON, EncryptedString

if TYPE_CHECKING:
    from storage.db import SqlStore

log = logging.getLogger(__name__)

BATCH = 200


def encrypted_columns() -> dict[str, list[Column[Any]]]:
    """Every sealed column, by table name (what rotation and the raw-read tests go through)."""
    found: dict[str, list[Column[Any]]] = {}
    for table in metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, (EncryptedString, EncryptedJSON, EncryptedBytes)):
                found.setdefault(table.name, []).append(column)
    return found


async def _has_canary_table(store: SqlStore) -> bool:
    async with store.engine.connect() as conn:
        return bool(await conn.run_sync(lambda sync: inspect(sync).has_table("key_canary")))


async def check_canary(*, store: SqlStore) -> None:
    """Raise `EncryptionKeyError` unless the configured keys open this database's canary.

    A database without a canary gets one (sealed with the newest key) and has any rows written
    before encryption sealed now. An unmigrated database is left alone.
    """
    if not await _has_canary_table(store):
        return
    keyring = keyring_of(store.engine.sync_engine.dialect)
    for _attempt in range(2):
        async with store.transaction() as tx:
            sealed = (
                await tx.conn.execute(select(key_canary.c.sealed).where(key_canary.c.id == 1))
            ).scalar_one_or_none()
        if sealed is not None:
            # The token's HMAC says whether these keys wrote it (no `cryptography` import at
            # start); a canary it does not sign was written with another key, or is damaged.
            if not keyring.authentic(sealed):
                raise EncryptionKeyError(
                    f"the encryption keys from {keyring.source} cannot read this database: it "
                    "was encrypted with another key. Configure the key(s) it was written with "
                    "in MUSBOT_ENCRYPTION_KEYS (newest first). Nothing was changed."
                )
            return
        try:
            async with store.transaction() as tx:
                await tx.conn.execute(
                    key_canary.insert().values(
                        id=1, sealed=keyring.seal(CANARY_PLAINTEXT), updated_at=datetime.now(UTC)
                    )
                )
        except IntegrityError:
            continue  # another process made it first: check theirs
        sealed_now = await rotate(store=store)
        if sealed_now:
            log.info("encrypted %d value(s) written before encryption at rest", sealed_now)
        return


@dataclass
class RotationReport:
    """What a rotation did, per table (counts only)."""

    resealed: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.resealed.values())


async def rotate(*, store: SqlStore, report: RotationReport | None = None) -> int:
    """Re-seal every confidential value not yet sealed with the newest key; the count.

    Raises `DecryptionError` when a value opens with none of the configured keys (an old key
    was dropped too early): nothing of that batch is changed.
    """
    keyring = keyring_of(store.engine.sync_engine.dialect)
    report = report if report is not None else RotationReport()
    for table_name, columns in encrypted_columns().items():
        table = metadata.tables[table_name]
        count = await _rotate_table(store=store, table=table, columns=columns, keyring=keyring)
        if count:
            report.resealed[table_name] = report.resealed.get(table_name, 0) + count
    async with store.transaction() as tx:
        await tx.conn.execute(
            key_canary.update()
            .where(key_canary.c.id == 1)
            .values(sealed=keyring.seal(CANARY_PLAINTEXT), updated_at=datetime.now(UTC))
        )
    return report.total


def _raw(column: Column[Any]) -> Any:
    kind = LargeBinary() if isinstance(column.type, EncryptedBytes) else Text()
    return type_coerce(column, kind)


async def _rotate_table(
    *, store: SqlStore, table: Table, columns: Sequence[Column[Any]], keyring: Any
) -> int:
    keys = list(table.primary_key.columns)
    done = 0
    offset = 0
    while True:
        async with store.transaction() as tx:
            rows = (
                await tx.conn.execute(
                    select(*keys, *(_raw(c).label(c.name) for c in columns))
                    .order_by(*keys)
                    .offset(offset)
                    .limit(BATCH)
                )
            ).all()
            for row in rows:
                changes: dict[str, Any] = {}
                for column in columns:
                    value = getattr(row, column.name)
                    if value is None or keyring.is_current(value):
                        continue
                    changes[column.name] = _reseal(keyring, column, value)
                if changes:
                    where = and_(*(k == getattr(row, k.name) for k in keys))
                    await tx.conn.execute(
                        table.update()
                        .where(where)
                        .values(
                            {
                                name: type_coerce(v, _raw_type(table, name))
                                for name, v in changes.items()
                            }
                        )
                    )
                    done += 1
        if len(rows) < BATCH:
            return done
        offset += BATCH


def _raw_type(table: Table, name: str) -> Any:
    return LargeBinary() if isinstance(table.c[name].type, EncryptedBytes) else Text()


def _reseal(keyring: Any, column: Column[Any], value: Any) -> Any:
    from cryptography.fernet import InvalidToken  # rotating: sealing needs it anyway

    try:
        if isinstance(column.type, EncryptedBytes):
            return keyring.seal_bytes(keyring.open_bytes(bytes(value)))
        return keyring.seal(keyring.open(str(value)))
    except InvalidToken:  # pragma: no cover - open() turns it into DecryptionError
        raise DecryptionError("a stored value cannot be decrypted") from None
