"""Where keyed messages went: neutral key -> platform message ref (`ports.SentMessageRepo`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import groupby
from typing import Any

from sqlalchemy import bindparam, delete, select

from conversations.ports import RefWrite
from storage.models import sent_messages
from storage.repositories._base import Repo, insert_for


class SqlSentMessageRepo(Repo):
    async def record(
        self,
        *,
        platform: str,
        workspace_id: str,
        key: str,
        ref: str,
        user_id: str | None,
        at: datetime,
    ) -> None:
        """Create or replace: the latest message under a key is the one to update."""
        write = RefWrite(
            platform=platform, workspace_id=workspace_id, ref=ref, key=key, user_id=user_id, at=at
        )
        await self.write_many(writes=[write])

    async def get(self, *, platform: str, workspace_id: str, key: str) -> str | None:
        ref = (
            await self._conn.execute(
                select(sent_messages.c.ref).where(
                    (sent_messages.c.platform == platform)
                    & (sent_messages.c.workspace_external_id == workspace_id)
                    & (sent_messages.c.key == key)
                )
            )
        ).scalar_one_or_none()
        return None if ref is None else str(ref)

    async def forget(self, *, platform: str, workspace_id: str, ref: str) -> None:
        write = RefWrite(platform=platform, workspace_id=workspace_id, ref=ref)
        await self.write_many(writes=[write])

    async def write_many(self, *, writes: Sequence[RefWrite]) -> None:
        """Each run of records (or of forgets) is one executemany: one trip to SQLite's
        thread, one pipelined round trip on PostgreSQL, instead of one per write. `record`
        and `forget` are a run of one."""
        for is_record, run in groupby(writes, key=lambda write: write.key is not None):
            if is_record:
                stmt = self._statement("record", build=_record)
                rows: list[dict[str, Any]] = [
                    {
                        "platform": write.platform,
                        "workspace_external_id": write.workspace_id,
                        "key": write.key,
                        "ref": write.ref,
                        "user_id": write.user_id,
                        "updated_at": write.at,
                    }
                    for write in run
                ]
            else:
                stmt = self._statement("forget", build=lambda _: _FORGET)
                rows = [
                    {
                        "platform": write.platform,
                        "workspace_external_id": write.workspace_id,
                        "ref": write.ref,
                    }
                    for write in run
                ]
            await self._conn.execute(stmt, rows)


def _record(dialect: str) -> Any:
    """`SqlSentMessageRepo.record`'s upsert (built once: `Repo._statement`)."""
    stmt = insert_for(dialect, sent_messages).values(
        {column: bindparam(column.name, type_=column.type) for column in _RECORDED}
    )
    return stmt.on_conflict_do_update(
        index_elements=["platform", "workspace_external_id", "key"],
        set_={
            "ref": stmt.excluded.ref,
            "user_id": stmt.excluded.user_id,
            "updated_at": stmt.excluded.updated_at,
        },
    )


_RECORDED = (
    sent_messages.c.platform,
    sent_messages.c.workspace_external_id,
    sent_messages.c.key,
    sent_messages.c.ref,
    sent_messages.c.user_id,
    sent_messages.c.updated_at,
)


_FORGET = delete(sent_messages).where(
    (sent_messages.c.platform == bindparam("platform", type_=sent_messages.c.platform.type))
    & (
        sent_messages.c.workspace_external_id
        == bindparam("workspace_external_id", type_=sent_messages.c.workspace_external_id.type)
    )
    & (sent_messages.c.ref == bindparam("ref", type_=sent_messages.c.ref.type))
)
"""`SqlSentMessageRepo.forget`'s statement (the same on every dialect: built once)."""
