"""Where keyed messages went: neutral key -> platform message ref (`ports.SentMessageRepo`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from storage.models import sent_messages
from storage.repositories._base import Repo


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
        stmt = self._insert(sent_messages).values(
            platform=platform,
            workspace_external_id=workspace_id,
            key=key,
            ref=ref,
            user_id=user_id,
            updated_at=at,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["platform", "workspace_external_id", "key"],
            set_={
                "ref": stmt.excluded.ref,
                "user_id": stmt.excluded.user_id,
                "updated_at": stmt.excluded.updated_at,
            },
        )
        await self._session.execute(stmt)

    async def get(self, *, platform: str, workspace_id: str, key: str) -> str | None:
        ref = (
            await self._session.execute(
                select(sent_messages.c.ref).where(
                    (sent_messages.c.platform == platform)
                    & (sent_messages.c.workspace_external_id == workspace_id)
                    & (sent_messages.c.key == key)
                )
            )
        ).scalar_one_or_none()
        return None if ref is None else str(ref)

    async def forget(self, *, platform: str, workspace_id: str, ref: str) -> None:
        await self._session.execute(
            delete(sent_messages).where(
                (sent_messages.c.platform == platform)
                & (sent_messages.c.workspace_external_id == workspace_id)
                & (sent_messages.c.ref == ref)
            )
        )
