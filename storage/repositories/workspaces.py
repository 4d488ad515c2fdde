"""Workspaces: a Slack workspace or a Teams tenant."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from conversations.domain import Workspace
from storage.models import workspaces
from storage.repositories._base import Repo


def to_workspace(row: Any) -> Workspace:
    return Workspace(id=row.id, platform=row.platform, external_id=row.external_id, name=row.name)


class SqlWorkspaceRepo(Repo):
    async def get_or_create(
        self, *, platform: str, external_id: str, name: str | None = None
    ) -> Workspace:
        """Safe when two first events from a new workspace race (ON CONFLICT DO NOTHING).

        A given `name` replaces the stored one, so renames are picked up.
        """
        await self._conn.execute(
            self._insert(workspaces)
            .values(platform=platform, external_id=external_id, name=name)
            .on_conflict_do_nothing(index_elements=["platform", "external_id"])
        )
        where = (workspaces.c.platform == platform) & (workspaces.c.external_id == external_id)
        if name is not None:
            await self._conn.execute(
                update(workspaces)
                .where(where & workspaces.c.name.is_distinct_from(name))
                .values(name=name)
            )
        row = (await self._conn.execute(select(workspaces).where(where))).one()
        return to_workspace(row)

    async def get(self, *, workspace_id: int) -> Workspace | None:
        row = (
            await self._conn.execute(select(workspaces).where(workspaces.c.id == workspace_id))
        ).one_or_none()
        return None if row is None else to_workspace(row)
