"""Files handed out by capability link: stored bytes behind an unguessable token.

Why: a bot cannot send a file into Teams without the file-consent flow, so the Teams adapter
stores the calendar invite or plan document here and shows a link instead. The token is the
only credential (a browser fetching the link carries no Teams identity), so it is long and
random, and every file expires.

This is an adapter-side store, not part of the core's `Tx`: each call is its own short
transaction, made after the core's transaction has committed. A download (`download`) writes
its audit row in the same transaction as the read: no file leaves without one.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import delete, select

from storage.models import audit_log, files, people
from storage.repositories._base import rowcount
from storage.types import as_utc

if TYPE_CHECKING:
    from storage.db import SqlStore

TOKEN_BYTES = 32  # 43 URL-safe characters: 256 bits, beyond guessing
DOWNLOAD = "file.download"  # the audit action of a download


def new_token() -> str:
    """An unguessable token for one file."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    """How the audit log names a file: enough to tell downloads apart, useless as a link."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredFile:
    """One stored file; `owner_user_id` is the platform user it was made for (None: a channel)."""

    token: str
    filename: str
    mime_type: str
    content: bytes
    owner_user_id: str | None
    created_at: datetime
    expires_at: datetime


class FileRepo(Protocol):
    """Where capability-link files live (SQL in production, memory in tests)."""

    async def put(
        self,
        *,
        filename: str,
        mime_type: str,
        content: bytes,
        owner_user_id: str | None,
        now: datetime,
        expires_at: datetime,
    ) -> str:
        """Store a file; returns its new token."""
        ...

    async def get(self, *, token: str, now: datetime) -> StoredFile | None:
        """The file, or None when the token is unknown or the file has expired at `now`."""
        ...

    async def download(self, *, token: str, filename: str, now: datetime) -> StoredFile | None:
        """`get` for handing the file out, by its token and its exact name: the read is audited (`file.download`, with the
        person it was made for; the actor is unknown, a browser carries no identity)."""
        ...

    async def purge(self, *, before: datetime) -> int:
        """Delete files that expired at or before `before`; how many were deleted."""
        ...


class SqlFileRepo:
    """`FileRepo` on the bot's database: one short transaction per call."""

    def __init__(self, *, store: SqlStore) -> None:
        self._store = store

    async def put(
        self,
        *,
        filename: str,
        mime_type: str,
        content: bytes,
        owner_user_id: str | None,
        now: datetime,
        expires_at: datetime,
    ) -> str:
        token = new_token()
        async with self._store.transaction() as tx:
            await tx.conn.execute(
                files.insert().values(
                    token=token,
                    filename=filename,
                    mime_type=mime_type,
                    content=bytes(content),
                    owner_user_id=owner_user_id,
                    created_at=now,
                    expires_at=expires_at,
                )
            )
        return token

    async def get(self, *, token: str, now: datetime) -> StoredFile | None:
        return await self._read(token=token, filename=None, now=now)

    async def download(self, *, token: str, filename: str, now: datetime) -> StoredFile | None:
        return await self._read(token=token, filename=filename, now=now)

    async def _read(self, *, token: str, filename: str | None, now: datetime) -> StoredFile | None:
        """`filename` given: a download, audited in this transaction."""
        audit = filename is not None
        wanted = (files.c.token == token) & (files.c.expires_at > as_utc(now))
        if filename is not None:
            wanted &= files.c.filename == filename
        async with self._store.transaction() as tx:
            row = (await tx.conn.execute(select(files).where(wanted))).one_or_none()
            if row is not None and audit:
                subject = f"file:{token_digest(token)}"
                if row.owner_user_id is not None:
                    owners = (
                        await tx.conn.execute(
                            select(people.c.id).where(people.c.user_id == row.owner_user_id)
                        )
                    ).all()
                    # By person id, so `musbot audit --person` and erasure find it.
                    if len(owners) == 1:
                        subject += f"/person:{owners[0].id}"
                await tx.conn.execute(
                    audit_log.insert().values(
                        at=now,
                        actor_id=None,
                        action=DOWNLOAD,
                        subject=subject,
                        detail=row.mime_type.split(";")[0],
                    )
                )
        if row is None:
            return None
        return StoredFile(
            token=row.token,
            filename=row.filename,
            mime_type=row.mime_type,
            content=bytes(row.content),
            owner_user_id=row.owner_user_id,
            created_at=row.created_at,
            expires_at=row.expires_at,
        )

    async def purge(self, *, before: datetime) -> int:
        async with self._store.transaction() as tx:
            result = await tx.conn.execute(
                delete(files).where(files.c.expires_at <= as_utc(before))
            )
        return rowcount(result)


if TYPE_CHECKING:  # SqlFileRepo must satisfy the port the adapters' wiring depends on.

    def _conforms(repo: SqlFileRepo) -> FileRepo:
        return repo
