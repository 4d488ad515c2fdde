"""Encryption at rest: the keys, and how one value is sealed and opened.

Why here: confidential text (answers, notes, plans, files) must be unreadable in the database
file, its backups and a PostgreSQL dump, yet repositories and the core must not change. The
column types in `storage.types` call `Keyring.seal`/`open` for every value, so encryption is
transparent to everything above `storage/`.

`cryptography` is imported when a value is first sealed or opened, not at start (it is
several MB of an idle server's memory): a key's form and the start's canary check (the
token's HMAC-SHA256, as Fernet defines it) need only the standard library.

Keys are Fernet keys (AES-128-CBC + HMAC-SHA256, from `cryptography`), newest first: the
newest encrypts, all of them decrypt (`MultiFernet`), so a key can be rotated without
downtime (`musbot keys rotate` re-encrypts with the newest, then the old key may go).

A keyring belongs to one engine (it is attached to the engine's dialect), so two stores in
one process may use different keys. Sealed values carry a short prefix; a value without it is
a row written before encryption existed, read as it is and sealed by the next rotation.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography.fernet import Fernet, MultiFernet

log = logging.getLogger(__name__)

KEYS_ENV = "MUSBOT_ENCRYPTION_KEYS"
PREFIX = "mbx1:"
PREFIX_BYTES = PREFIX.encode("ascii")
CANARY_PLAINTEXT = "musbot-key-canary"
_DIALECT_ATTR = "_musbot_keyring"


class EncryptionKeyError(Exception):
    """The keys are missing, malformed, or cannot read this database. Raised at start."""


class DecryptionError(Exception):
    """A stored value cannot be opened with the configured keys (never carries content)."""


@dataclass(frozen=True, slots=True)
class Keyring:
    """The configured keys, newest first."""

    keys: tuple[str, ...] = field(repr=False)  # never in a log line or traceback
    source: str = ""  # where the keys came from, for messages (never the keys themselves)

    def __post_init__(self) -> None:
        if not self.keys:
            raise EncryptionKeyError("no encryption key configured")
        for index, key in enumerate(self.keys):
            try:
                _key_bytes(key)
            except (ValueError, TypeError) as exc:
                raise EncryptionKeyError(
                    f"encryption key #{index + 1} from {self.source} is not a Fernet key "
                    "(32 url-safe base64-encoded bytes; make one with `musbot keys new`)"
                ) from exc

    @property
    def _multi(self) -> MultiFernet:
        return _fernets(self.keys)[0]

    @property
    def _newest(self) -> Fernet:
        return _fernets(self.keys)[1]

    def authentic(self, stored: str) -> bool:
        """True when one of the keys signed the sealed text `stored` (its HMAC checks out).

        What the start's canary check needs, with the standard library only: a Fernet token
        is `0x80 | time | iv | ciphertext | HMAC-SHA256(first half of the key, all before)`.
        """
        if not stored.startswith(PREFIX):
            return False
        try:
            token = base64.urlsafe_b64decode(stored[len(PREFIX) :].encode("ascii"))
        except (ValueError, binascii.Error):
            return False
        if len(token) < 1 + 8 + 16 + 16 + 32 or token[0] != 0x80:
            return False
        signed, mac = token[:-32], token[-32:]
        return any(
            hmac.compare_digest(
                hmac.new(_key_bytes(key)[:16], signed, hashlib.sha256).digest(), mac
            )
            for key in self.keys
        )

    # -- bytes

    def seal_bytes(self, data: bytes) -> bytes:
        return PREFIX_BYTES + self._multi.encrypt(data)

    def open_bytes(self, data: bytes) -> bytes:
        if not data.startswith(PREFIX_BYTES):
            return data  # written before encryption; the next rotation seals it
        try:
            return self._multi.decrypt(data[len(PREFIX_BYTES) :])
        except _invalid_token():
            raise DecryptionError(
                "a stored value cannot be decrypted with the configured keys"
            ) from None

    # -- text

    def seal(self, text: str) -> str:
        return PREFIX + self._multi.encrypt(text.encode("utf-8")).decode("ascii")

    def open(self, stored: str) -> str:
        if not stored.startswith(PREFIX):
            return stored
        return self.open_bytes(stored.encode("ascii")).decode("utf-8")

    def is_current(self, stored: str | bytes) -> bool:
        """True when `stored` is sealed with the newest key (rotation skips it: resumable)."""
        raw = stored.encode("utf-8") if isinstance(stored, str) else stored
        if not raw.startswith(PREFIX_BYTES):
            return False
        try:
            self._newest.decrypt(raw[len(PREFIX_BYTES) :])
        except _invalid_token():
            return False
        return True


def new_key() -> str:
    """A fresh random key, as text for MUSBOT_ENCRYPTION_KEYS (what `Fernet.generate_key`
    makes: 32 random bytes, url-safe base64)."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")


def _key_bytes(key: str) -> bytes:
    """A Fernet key's 32 bytes; `ValueError` when it is not one (as `Fernet(key)` checks)."""
    raw = base64.urlsafe_b64decode(key)
    if len(raw) != 32:
        raise ValueError("a Fernet key is 32 url-safe base64-encoded bytes")
    return raw


@lru_cache(maxsize=8)
def _fernets(keys: tuple[str, ...]) -> tuple[MultiFernet, Fernet]:
    """All the keys (to open) and the newest (to check a rotation), made once per keyring;
    `cryptography` is imported here, on first use."""
    from cryptography.fernet import Fernet, MultiFernet

    fernets = [Fernet(key) for key in keys]
    return MultiFernet(fernets), fernets[0]


def _invalid_token() -> type[Exception]:
    from cryptography.fernet import InvalidToken

    return InvalidToken


def parse_keys(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    parts = value.replace(";", ",").split(",") if isinstance(value, str) else list(value)
    return tuple(part.strip() for part in parts if part and part.strip())


# ---------------------------------------------------------------- where keys come from

_announced: set[str] = set()


def resolve_keyring(
    *,
    keys: Sequence[str] | str | None,
    sqlite_path: str | None,
    memory: bool,
    create_key_file: bool = True,
) -> Keyring:
    """The keys for one database, in this order.

    1. `keys` as given (the bot passes MUSBOT_ENCRYPTION_KEYS from its settings);
    2. the MUSBOT_ENCRYPTION_KEYS environment variable;
    3. SQLite file: a key file beside it (`<database>.key`, mode 0600), created on first use;
    4. in-memory SQLite: a key for this process only (the data dies with it anyway).
    PostgreSQL without keys is refused: a key file on one machine would lock the others out.
    """
    given = parse_keys(keys)
    if given:
        return Keyring(keys=given, source="the configuration")
    from_env = parse_keys(os.environ.get(KEYS_ENV))
    if from_env:
        return Keyring(keys=from_env, source=KEYS_ENV)
    if memory:
        return Keyring(keys=(new_key(),), source="an in-memory key")
    if sqlite_path is None:
        raise EncryptionKeyError(
            f"{KEYS_ENV} is not set: a PostgreSQL database needs its encryption keys in "
            f"the configuration (make one with `musbot keys new`)"
        )
    return key_file_keyring(Path(sqlite_path), create=create_key_file)


def key_file_path(database: Path) -> Path:
    return database.with_name(database.name + ".key")


def key_file_keyring(database: Path, *, create: bool = True) -> Keyring:
    """The key file beside a SQLite database; created (0600) when absent and `create`."""
    path = key_file_path(database.expanduser().resolve())
    created = False
    if not path.exists() and not create:
        raise EncryptionKeyError(f"no key file {path}")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(new_key() + "\n")
        created = True
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        os.chmod(path, 0o600)
    keys = parse_keys(path.read_text(encoding="ascii").splitlines())
    if not keys:
        raise EncryptionKeyError(f"the key file {path} holds no key")
    if str(path) not in _announced:
        _announced.add(str(path))
        if created:
            log.warning(
                "no %s configured: created the encryption key file %s (mode 0600). Back it up "
                "with the database: without it the MUS material cannot be read.",
                KEYS_ENV,
                path,
            )
        else:
            log.info("encryption key from the key file %s", path)
    return Keyring(keys=keys, source=str(path))


# ---------------------------------------------------------------- keyring per engine


def attach(dialect: Any, keyring: Keyring) -> None:
    """Bind `keyring` to one engine's dialect; the column types find it there."""
    setattr(dialect, _DIALECT_ATTR, keyring)


def keyring_of(dialect: Any) -> Keyring:
    found = getattr(dialect, _DIALECT_ATTR, None)
    if found is None:
        raise EncryptionKeyError(
            "this database engine has no encryption keys (open it with storage.db.create_store)"
        )
    assert isinstance(found, Keyring)
    return found
