"""Column types shared by the models: one place decides how time, JSON and secrets are stored."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, LargeBinary, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


def as_utc(value: datetime) -> datetime:
    """An aware datetime in UTC; a naive one is refused, because its zone is a guess."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(f"naive datetime {value!r}: pass an aware datetime (UTC)")
    return value.astimezone(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """`DateTime(timezone=True)` that always hands back aware UTC datetimes.

    SQLite keeps no offset (it stores the wall clock and returns naive values), so values
    are converted to UTC on the way in and marked UTC on the way out; PostgreSQL's
    `timestamptz` is normalised to UTC too, so both backends give the domain the same thing.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected datetime, got {type(value).__name__}")
        return as_utc(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# ---------------------------------------------------------------- encrypted at rest
# Confidential columns are sealed with the engine's keyring (`storage.crypto`) on the way in
# and opened on the way out: repositories and the core see plain values, the database file,
# its backups and a dump see only ciphertext. These columns are never searched by content.


def _keyring(dialect: Dialect) -> Any:
    from storage.crypto import keyring_of

    return keyring_of(dialect)


class EncryptedString(TypeDecorator[str]):
    """Text sealed at rest, in a VARCHAR column without length."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return str(_keyring(dialect).seal(str(value)))

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return str(_keyring(dialect).open(value))


class EncryptedText(EncryptedString):
    """Text sealed at rest, in a TEXT column."""

    impl = Text
    cache_ok = True


class EncryptedJSON(TypeDecorator[Any]):
    """JSON sealed at rest (a TEXT column holding the sealed JSON document)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        document = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return str(_keyring(dialect).seal(document))

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, str):  # a JSON column read before migration 0006
            return value
        return json.loads(_keyring(dialect).open(value))


class EncryptedBytes(TypeDecorator[bytes]):
    """Bytes (a stored file) sealed at rest."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        return bytes(_keyring(dialect).seal_bytes(bytes(value)))

    def process_result_value(self, value: Any, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        return bytes(_keyring(dialect).open_bytes(bytes(value)))
