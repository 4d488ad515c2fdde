"""People: anyone the bot has met in a workspace (employees, leaders, admins)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, select, update

from conversations.domain import DEFAULT_LOCALE, DEFAULT_TIMEZONE, Person
from storage.models import people
from storage.repositories._base import NotFound, Repo, one_of, rowcount


def to_person(row: Any) -> Person:
    return Person(
        id=row.id,
        workspace_id=row.workspace_id,
        user_id=row.user_id,
        display_name=row.display_name,
        locale=row.locale,
        timezone=row.timezone,
        is_admin=row.is_admin,
        can_lead=row.can_lead,
    )


def _get_many(dialect: str) -> Any:
    """`get_many`'s statement, built once per process (`Repo._statement`)."""
    return select(people).where(one_of(people.c.id, "person_ids", dialect))


def _by_user_id(_dialect: str) -> Any:
    """`get_by_user_id`'s statement, built once per process (`Repo._statement`)."""
    return select(people).where(
        (people.c.workspace_id == bindparam("workspace_id", type_=people.c.workspace_id.type))
        & (people.c.user_id == bindparam("user_id", type_=people.c.user_id.type))
    )


class SqlPersonRepo(Repo):
    async def upsert(
        self,
        *,
        workspace_id: int,
        user_id: str,
        display_name: str | None = None,
        locale: str | None = None,
        timezone: str | None = None,
        is_admin: bool | None = None,
    ) -> Person:
        """Create or update; a None argument leaves the stored value as it is.

        A new person without a display name is shown by their user id until the platform
        tells us better; locale and time zone default to Danish/Copenhagen.
        """
        given: dict[str, Any] = {
            key: value
            for key, value in {
                "display_name": display_name,
                "locale": locale,
                "timezone": timezone,
                "is_admin": is_admin,
            }.items()
            if value is not None
        }
        if not given:
            # Nothing to update: a read, and an insert only for somebody new.
            found = await self.get_by_user_id(workspace_id=workspace_id, user_id=user_id)
            if found is not None:
                return found
        stmt = self._insert(people).values(
            workspace_id=workspace_id,
            user_id=user_id,
            display_name=user_id if display_name is None else display_name,
            locale=locale or DEFAULT_LOCALE,
            timezone=timezone or DEFAULT_TIMEZONE,
            is_admin=bool(is_admin),
            can_lead=False,
        )
        keys = ["workspace_id", "user_id"]
        # One statement: the upsert returns the stored row (RETURNING works on both backends).
        # Without anything to set, a no-op update still returns the row a racing insert made.
        stmt = stmt.on_conflict_do_update(
            index_elements=keys, set_=given or {"user_id": stmt.excluded.user_id}
        ).returning(*people.c)
        row = (await self._conn.execute(stmt)).one()
        return to_person(row)

    async def get(self, *, person_id: int) -> Person | None:
        row = (
            await self._conn.execute(select(people).where(people.c.id == person_id))
        ).one_or_none()
        return None if row is None else to_person(row)

    async def get_by_user_id(self, *, workspace_id: int, user_id: str) -> Person | None:
        """The person behind a platform user id (every click that only opens a form)."""
        stmt = self._statement("by_user_id", build=_by_user_id)
        params = {"workspace_id": workspace_id, "user_id": user_id}
        row = (await self._conn.execute(stmt, params)).one_or_none()
        return None if row is None else to_person(row)

    async def get_many(self, *, person_ids: Sequence[int]) -> list[Person]:
        """In the order of `person_ids`; unknown ids are left out."""
        if not person_ids:
            return []
        stmt = self._statement("get_many", build=_get_many)
        rows = await self._conn.execute(stmt, {"person_ids": sorted(set(person_ids))})
        by_id = {row.id: to_person(row) for row in rows}
        return [by_id[pid] for pid in person_ids if pid in by_id]

    async def set_can_lead(self, *, person_id: int, can_lead: bool) -> None:
        result = await self._conn.execute(
            update(people).where(people.c.id == person_id).values(can_lead=can_lead)
        )
        if rowcount(result) == 0:
            raise NotFound(f"person {person_id}")

    async def leaders(self, *, workspace_id: int) -> list[Person]:
        """People an admin named as leaders (can_lead), by display name."""
        rows = await self._conn.execute(
            select(people)
            .where((people.c.workspace_id == workspace_id) & people.c.can_lead.is_(True))
            .order_by(people.c.display_name, people.c.id)
        )
        return [to_person(row) for row in rows]

    async def admins(self, *, workspace_id: int) -> list[Person]:
        """The workspace's admins as the platform reported them, by display name."""
        rows = await self._conn.execute(
            select(people)
            .where((people.c.workspace_id == workspace_id) & people.c.is_admin.is_(True))
            .order_by(people.c.display_name, people.c.id)
        )
        return [to_person(row) for row in rows]
