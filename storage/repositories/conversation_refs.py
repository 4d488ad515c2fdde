"""Opaque per-platform handles for proactive messages (Teams conversation references)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.models import conversation_refs
from storage.repositories._base import Repo


class SqlConversationRefRepo(Repo):
    async def save(
        self, *, platform: str, workspace_id: str, key: str, ref: dict[str, Any]
    ) -> None:
        """Create or replace. `workspace_id` is the platform's id (tenant), not ours."""
        stmt = self._insert(conversation_refs).values(
            platform=platform, workspace_external_id=workspace_id, key=key, ref=ref
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["platform", "workspace_external_id", "key"],
            set_={"ref": stmt.excluded.ref},
        )
        await self._conn.execute(stmt)

    async def get(self, *, platform: str, workspace_id: str, key: str) -> dict[str, Any] | None:
        ref = (
            await self._conn.execute(
                select(conversation_refs.c.ref).where(
                    (conversation_refs.c.platform == platform)
                    & (conversation_refs.c.workspace_external_id == workspace_id)
                    & (conversation_refs.c.key == key)
                )
            )
        ).scalar_one_or_none()
        return None if ref is None else dict(ref)
