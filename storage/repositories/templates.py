"""Templates in the database (versioned) and each round's adapted form."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from conversations.templates.stored import RoundForm, Scope, Status, StoredTemplate
from storage.models import org_templates, round_forms
from storage.repositories._base import Repo, lock_key, rowcount


def to_stored(row: Any) -> StoredTemplate:
    return StoredTemplate(
        id=row.id,
        name=row.name,
        version=row.version,
        scope=Scope(row.scope),
        status=Status(row.status),
        owner_id=row.owner_id,
        data=row.data,
        source_text=row.source_text,
        created_at=row.created_at,
    )


class SqlTemplateRepo(Repo):
    async def add(
        self,
        *,
        name: str,
        data: dict[str, Any],
        source_text: str | None,
        scope: Scope,
        status: Status,
        owner_id: int | None,
        at: datetime,
    ) -> StoredTemplate:
        """The next version of `name` (1 for a new name)."""
        if self._conn.dialect.name == "postgresql":
            await self._conn.execute(
                select(func.pg_advisory_xact_lock(lock_key(f"template:{name}")))
            )
        latest = await self._conn.scalar(
            select(func.max(org_templates.c.version)).where(org_templates.c.name == name)
        )
        row = (
            await self._conn.execute(
                org_templates.insert()
                .values(
                    name=name,
                    version=(latest or 0) + 1,
                    scope=Scope(scope).value,
                    status=Status(status).value,
                    owner_id=owner_id,
                    data=data,
                    source_text=source_text,
                    created_at=at,
                )
                .returning(*org_templates.c)
            )
        ).one()
        return to_stored(row)

    async def latest(self, *, name: str) -> StoredTemplate | None:
        row = (
            await self._conn.execute(
                select(org_templates)
                .where(org_templates.c.name == name)
                .order_by(org_templates.c.version.desc())
                .limit(1)
            )
        ).one_or_none()
        return None if row is None else to_stored(row)

    async def versions(self, *, name: str) -> list[StoredTemplate]:
        rows = await self._conn.execute(
            select(org_templates)
            .where(org_templates.c.name == name)
            .order_by(org_templates.c.version)
        )
        return [to_stored(r) for r in rows]

    async def all_latest(self) -> list[StoredTemplate]:
        """The newest version of every name, by name (retired ones too)."""
        newest = (
            select(org_templates.c.name, func.max(org_templates.c.version).label("v"))
            .group_by(org_templates.c.name)
            .subquery()
        )
        rows = await self._conn.execute(
            select(org_templates)
            .join(
                newest,
                (newest.c.name == org_templates.c.name) & (newest.c.v == org_templates.c.version),
            )
            .order_by(org_templates.c.name)
        )
        return [to_stored(r) for r in rows]

    async def offered(self, *, person_id: int | None) -> list[StoredTemplate]:
        """What a leader may start a round with: the organisation's active templates and the
        leader's own (also while offered to the organisation)."""
        out = []
        for stored in await self.all_latest():
            if stored.status == Status.RETIRED:
                continue
            if stored.scope == Scope.ORG and stored.status == Status.ACTIVE:
                out.append(stored)
            elif person_id is not None and stored.owner_id == person_id:
                out.append(stored)
        return out

    async def set_status(self, *, name: str, status: Status, scope: Scope | None = None) -> int:
        """Every version of `name` changes together; returns how many rows."""
        values: dict[str, str] = {"status": Status(status).value}
        if scope is not None:
            values["scope"] = Scope(scope).value
        result = await self._conn.execute(
            update(org_templates).where(org_templates.c.name == name).values(**values)
        )
        return rowcount(result)


class SqlRoundFormRepo(Repo):
    async def get(self, *, round_id: int) -> RoundForm | None:
        row = (
            await self._conn.execute(select(round_forms).where(round_forms.c.round_id == round_id))
        ).one_or_none()
        if row is None:
            return None
        return RoundForm.from_data(
            row.data,
            round_id=row.round_id,
            held=row.held,
            release_on=row.release_on,
            released_at=row.released_at,
        )

    async def save(self, *, form: RoundForm) -> None:
        """Create or replace the round's form state."""
        values = {
            "round_id": form.round_id,
            "held": form.held,
            "release_on": form.release_on,
            "released_at": form.released_at,
            "data": form.to_data(),
        }
        stmt = self._insert(round_forms).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["round_id"],
            set_={k: stmt.excluded[k] for k in values if k != "round_id"},
        )
        await self._conn.execute(stmt)
