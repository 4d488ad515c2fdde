"""The audit log: reads and changes of confidential data, append-only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select

from conversations.domain import AuditEntry
from storage.models import audit_log
from storage.repositories._base import Repo


def to_entry(row: Any) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        at=row.at,
        actor_id=row.actor_id,
        action=row.action,
        subject=row.subject,
        detail=row.detail,
    )


class SqlAuditRepo(Repo):
    async def record(
        self,
        *,
        at: datetime,
        actor_id: int | None,
        action: str,
        subject: str,
        detail: str | None = None,
    ) -> None:
        params = {
            "at": at,
            "actor_id": actor_id,
            "action": action,
            "subject": subject,
            "detail": detail,
        }
        await self._conn.execute(self._statement("record", build=_record), params)

    async def record_many(self, *, entries: Sequence[Mapping[str, Any]]) -> None:
        """Several rows in one statement (an overview's per-person reads): each mapping has
        the arguments of `record` (`detail` may be left out).

        One executemany of the statement `record` uses (built once per process), not one
        multi-row VALUES: SQLAlchemy compiles a multi-row VALUES afresh on every call (its
        shape is the number of rows), which cost the leader's status view more CPU than
        all its other statements together."""
        if not entries:
            return
        rows = [
            {
                "at": e["at"],
                "actor_id": e["actor_id"],
                "action": e["action"],
                "subject": e["subject"],
                "detail": e.get("detail"),
            }
            for e in entries
        ]
        await self._conn.execute(self._statement("record", build=_record), rows)

    async def entries(
        self, *, subject_prefix: str | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        """Newest first. `subject_prefix` is literal (`%` and `_` match only themselves)."""
        stmt = select(audit_log)
        if subject_prefix:
            stmt = stmt.where(audit_log.c.subject.startswith(subject_prefix, autoescape=True))
        stmt = stmt.order_by(audit_log.c.at.desc(), audit_log.c.id.desc()).limit(limit)
        return [to_entry(row) for row in await self._conn.execute(stmt)]


def _record(_dialect: str) -> Any:
    """The audit row's INSERT with bound parameters (`Repo._statement`): no RETURNING, since
    nobody needs the new row's id."""
    return insert(audit_log).values(
        {name: bindparam(name, type_=audit_log.c[name].type) for name in _COLUMNS}
    )


_COLUMNS = ("at", "actor_id", "action", "subject", "detail")
