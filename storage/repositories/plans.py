"""Development plans: numbered versions, their signatures, and each item's follow-up status."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Integer, bindparam, func, insert, select, text, update

from conversations.domain import (
    Approval,
    ItemProgress,
    ItemStatus,
    PlanItem,
    PlanState,
    PlanVersion,
)
from conversations.lifecycles.base import Effect
from conversations.lifecycles.plan import PlanStage, PlanTransition, lawful
from storage.models import plan_approvals, plan_item_progress, plan_versions
from storage.repositories._base import NotFound, Repo, lock_key, one_of, rowcount


def items_to_json(items: Sequence[PlanItem]) -> list[dict[str, Any]]:
    """Plain JSON for the `items` column; refuses repeated item ids (progress is keyed by id)."""
    ids = [item.id for item in items]
    if len(set(ids)) != len(ids):
        raise ValueError(f"plan item ids repeat: {ids}")
    return [
        {"id": i.id, "fields": dict(i.fields), "waits_for_summary": i.waits_for_summary}
        for i in items
    ]


def items_from_json(data: list[dict[str, Any]]) -> tuple[PlanItem, ...]:
    return tuple(
        PlanItem(
            id=d["id"],
            fields=dict(d.get("fields", {})),
            waits_for_summary=bool(d.get("waits_for_summary", False)),
        )
        for d in data
    )


def to_version(row: Any, approvals: Sequence[Approval] = ()) -> PlanVersion:
    return PlanVersion(
        id=row.id,
        round_id=row.round_id,
        employee_id=row.employee_id,
        number=row.number,
        state=PlanState(row.state),
        items=items_from_json(row.items),
        follow_up_on=row.follow_up_on,
        author_id=row.author_id,
        created_at=row.created_at,
        approvals=tuple(approvals),
        change_request=row.change_request,
    )


def to_progress(row: Any) -> ItemProgress:
    return ItemProgress(
        round_id=row.round_id,
        employee_id=row.employee_id,
        item_id=row.item_id,
        status=ItemStatus(row.status),
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


class SqlPlanRepo(Repo):
    async def add_version(
        self,
        *,
        round_id: int,
        employee_id: int,
        items: Sequence[PlanItem],
        follow_up_on: date | None,
        author_id: int,
        at: datetime,
    ) -> PlanVersion:
        """A new DRAFT numbered after the latest; earlier versions are left as they are.

        Two parties saving at once would read the same latest number: the per-plan lock makes
        the second wait for the first to commit, so each gets its own number and neither save
        fails.
        """
        await self._lock_plan(round_id=round_id, employee_id=employee_id)
        number = await self._latest_number(round_id=round_id, employee_id=employee_id) + 1
        row = (
            await self._conn.execute(
                insert(plan_versions)
                .values(
                    round_id=round_id,
                    employee_id=employee_id,
                    number=number,
                    state=PlanState.DRAFT.value,
                    items=items_to_json(items),
                    follow_up_on=follow_up_on,
                    author_id=author_id,
                    created_at=at,
                )
                .returning(*plan_versions.c)
            )
        ).one()
        return to_version(row)

    async def update_draft(
        self, *, version_id: int, items: Sequence[PlanItem], follow_up_on: date | None
    ) -> PlanVersion:
        """Change a version still in DRAFT.

        The state is checked in the same UPDATE, so a draft proposed (or signed) a moment ago
        by the other party is never edited underneath them: `ValueError` then, `NotFound` for
        an unknown id.
        """
        result = await self._conn.execute(
            update(plan_versions)
            .where(
                (plan_versions.c.id == version_id)
                & (plan_versions.c.state == PlanState.DRAFT.value)
            )
            .values(items=items_to_json(items), follow_up_on=follow_up_on)
        )
        if rowcount(result) == 0:
            version = await self._get(version_id)
            raise ValueError(f"plan version {version_id} is {version.state}, not a draft")
        return await self._get(version_id)

    async def apply(
        self,
        *,
        round_id: int,
        employee_id: int,
        transition: PlanTransition,
        actor_id: int,
        at: datetime,
        change_request: str | None = None,
    ) -> PlanVersion:
        """Persist a plan transition on the newest version (see the port for the order).

        Holds the plan's lock, then checks that the newest version is still in the state the
        transition was decided on: `ValueError` otherwise (the flow read stale data).
        """
        if not lawful(transition):
            raise ValueError(f"not a plan transition: {transition}")
        await self._lock_plan(round_id=round_id, employee_id=employee_id)
        latest = await self.latest(round_id=round_id, employee_id=employee_id)
        if PlanStage.of(latest) != transition.before:
            raise ValueError(f"plan is {PlanStage.of(latest)}, not {transition.before}")
        if latest is not None:
            if transition.causes(Effect.SUPERSEDE_PROPOSED):
                await self._set_state(latest.id, PlanState.SUPERSEDED, change_request)
            if transition.causes(Effect.SIGN):
                await self.approve(version_id=latest.id, person_id=actor_id, at=at)
            target = transition.after.version_state
            moves = not (
                transition.causes(Effect.NEW_DRAFT) or transition.causes(Effect.SUPERSEDE_PROPOSED)
            )
            if moves and target is not None and target != latest.state:
                await self._set_state(latest.id, target)
            if transition.causes(Effect.SUPERSEDE_EARLIER_AGREED):
                await self._conn.execute(
                    update(plan_versions)
                    .where(
                        _plan(round_id, employee_id)
                        & (plan_versions.c.id != latest.id)
                        & (plan_versions.c.state == PlanState.AGREED.value)
                    )
                    .values(state=PlanState.SUPERSEDED.value)
                )
        if transition.causes(Effect.NEW_DRAFT):
            await self.add_version(
                round_id=round_id,
                employee_id=employee_id,
                items=latest.items if latest else (),
                follow_up_on=latest.follow_up_on if latest else None,
                author_id=actor_id,
                at=at,
            )
        found = await self.latest(round_id=round_id, employee_id=employee_id)
        assert found is not None
        return found

    async def _set_state(
        self, version_id: int, state: PlanState, change_request: str | None = None
    ) -> None:
        """A given `change_request` is stored; None keeps the stored one (so a superseded
        version still shows what was asked of it)."""
        values: dict[str, Any] = {"state": PlanState(state).value}
        if change_request is not None:
            values["change_request"] = change_request
        result = await self._conn.execute(
            update(plan_versions).where(plan_versions.c.id == version_id).values(**values)
        )
        if rowcount(result) == 0:
            raise NotFound(f"plan version {version_id}")

    async def approve(self, *, version_id: int, person_id: int, at: datetime) -> PlanVersion:
        """Record a signature once per person and version: approving again keeps the first
        time. The version's state is the caller's to change. Unknown version: `NotFound`.

        Both parties approving at the same moment must not each see only their own signature
        (and neither mark the plan agreed): the per-plan lock makes the second wait for the
        first's commit, so it returns both signatures.
        """
        version = await self._get(version_id)
        await self._lock_plan(round_id=version.round_id, employee_id=version.employee_id)
        await self._conn.execute(
            self._insert(plan_approvals)
            .values(version_id=version_id, person_id=person_id, at=at)
            .on_conflict_do_nothing(index_elements=["version_id", "person_id"])
        )
        return await self._get(version_id)

    async def latest(self, *, round_id: int, employee_id: int) -> PlanVersion | None:
        row = (
            await self._conn.execute(
                select(plan_versions)
                .where(_plan(round_id, employee_id))
                .order_by(plan_versions.c.number.desc())
                .limit(1)
            )
        ).one_or_none()
        if row is None:
            return None
        return (await self._with_approvals([row]))[0]

    async def versions(self, *, round_id: int, employee_id: int) -> list[PlanVersion]:
        """Oldest first."""
        rows = (
            await self._conn.execute(
                select(plan_versions)
                .where(_plan(round_id, employee_id))
                .order_by(plan_versions.c.number)
            )
        ).all()
        return await self._with_approvals(rows)

    async def versions_for_round(self, *, round_id: int) -> dict[int, list[PlanVersion]]:
        """Every employee's versions in a round, oldest first, in two statements (for
        overviews: not a query per member)."""
        stmt = self._statement("versions_for_round", build=_versions_for_round)
        rows = (await self._conn.execute(stmt, {"round_id": round_id})).all()
        found: dict[int, list[PlanVersion]] = {}
        for version in await self._with_approvals(rows):
            found.setdefault(version.employee_id, []).append(version)
        return found

    async def versions_in(
        self, *, round_ids: Sequence[int], employee_ids: Sequence[int]
    ) -> dict[tuple[int, int], list[PlanVersion]]:
        """The versions of several plans, oldest first, by (round id, employee id), in two
        statements. Every pair of a given round and employee is looked up."""
        if not round_ids or not employee_ids:
            return {}
        stmt = self._statement("versions_in", build=_versions_in)
        params = {"round_ids": sorted(set(round_ids)), "employee_ids": sorted(set(employee_ids))}
        rows = (await self._conn.execute(stmt, params)).all()
        found: dict[tuple[int, int], list[PlanVersion]] = {}
        for version in await self._with_approvals(rows):
            found.setdefault((version.round_id, version.employee_id), []).append(version)
        return found

    async def item_progress_in(
        self, *, plans: Sequence[tuple[int, int]]
    ) -> dict[tuple[int, int], dict[str, ItemProgress]]:
        """The item follow-up of several plans, by (round id, employee id), in one statement."""
        wanted = set(plans)
        if not wanted:
            return {}
        stmt = self._statement("item_progress_in", build=_item_progress_in)
        params = {
            "round_ids": sorted({r for r, _ in wanted}),
            "employee_ids": sorted({e for _, e in wanted}),
        }
        rows = await self._conn.execute(stmt, params)
        found: dict[tuple[int, int], dict[str, ItemProgress]] = {key: {} for key in wanted}
        for row in rows:
            key = (row.round_id, row.employee_id)
            if key in wanted:
                found[key][row.item_id] = to_progress(row)
        return found

    async def set_item_status(
        self,
        *,
        round_id: int,
        employee_id: int,
        item_id: str,
        status: ItemStatus,
        by: int,
        at: datetime,
    ) -> None:
        stmt = self._insert(plan_item_progress).values(
            round_id=round_id,
            employee_id=employee_id,
            item_id=item_id,
            status=ItemStatus(status).value,
            updated_by=by,
            updated_at=at,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["round_id", "employee_id", "item_id"],
            set_={
                "status": stmt.excluded.status,
                "updated_by": stmt.excluded.updated_by,
                "updated_at": stmt.excluded.updated_at,
            },
        )
        await self._conn.execute(stmt)

    async def item_progress(self, *, round_id: int, employee_id: int) -> dict[str, ItemProgress]:
        rows = await self._conn.execute(
            select(plan_item_progress)
            .where(
                (plan_item_progress.c.round_id == round_id)
                & (plan_item_progress.c.employee_id == employee_id)
            )
            .order_by(plan_item_progress.c.item_id)
        )
        return {row.item_id: to_progress(row) for row in rows}

    async def item_progress_for_round(self, *, round_id: int) -> dict[int, dict[str, ItemProgress]]:
        """Every employee's item follow-up in a round, by employee id, in one statement."""
        stmt = self._statement("item_progress_for_round", build=_item_progress_for_round)
        rows = await self._conn.execute(stmt, {"round_id": round_id})
        found: dict[int, dict[str, ItemProgress]] = {}
        for row in rows:
            found.setdefault(row.employee_id, {})[row.item_id] = to_progress(row)
        return found

    async def lock(self, *, round_id: int, employee_id: int) -> None:
        await self._lock_plan(round_id=round_id, employee_id=employee_id)

    async def _lock_plan(self, *, round_id: int, employee_id: int) -> None:
        """Serialise writers of one plan until commit: a PostgreSQL advisory lock (SQLite's
        `BEGIN IMMEDIATE` already lets one writer in at a time)."""
        if self._conn.dialect.name == "postgresql":
            await self._conn.execute(
                text("SELECT pg_advisory_xact_lock(:key)"),
                {"key": lock_key(f"plan:{round_id}:{employee_id}")},
            )

    async def _latest_number(self, *, round_id: int, employee_id: int) -> int:
        latest = (
            await self._conn.execute(
                select(func.max(plan_versions.c.number)).where(_plan(round_id, employee_id))
            )
        ).scalar_one_or_none()
        return int(latest or 0)

    async def _get(self, version_id: int) -> PlanVersion:
        row = (
            await self._conn.execute(select(plan_versions).where(plan_versions.c.id == version_id))
        ).one_or_none()
        if row is None:
            raise NotFound(f"plan version {version_id}")
        return (await self._with_approvals([row]))[0]

    async def _with_approvals(self, rows: Sequence[Any]) -> list[PlanVersion]:
        """Versions with their signatures (in the order given, earliest signature first)."""
        if not rows:
            return []
        stmt = self._statement("approvals", build=_approvals)
        found = await self._conn.execute(stmt, {"version_ids": [row.id for row in rows]})
        by_version: dict[int, list[Approval]] = {}
        for a in found:
            by_version.setdefault(a.version_id, []).append(Approval(person_id=a.person_id, at=a.at))
        return [to_version(row, by_version.get(row.id, ())) for row in rows]


# Statements built once per process (`Repo._statement`), run with bound parameters.


def _versions_for_round(_dialect: str) -> Any:
    return (
        select(plan_versions)
        .where(plan_versions.c.round_id == bindparam("round_id", type_=Integer))
        .order_by(plan_versions.c.employee_id, plan_versions.c.number)
    )


def _versions_in(dialect: str) -> Any:
    return (
        select(plan_versions)
        .where(
            one_of(plan_versions.c.round_id, "round_ids", dialect)
            & one_of(plan_versions.c.employee_id, "employee_ids", dialect)
        )
        .order_by(plan_versions.c.round_id, plan_versions.c.employee_id, plan_versions.c.number)
    )


def _item_progress_for_round(_dialect: str) -> Any:
    return (
        select(plan_item_progress)
        .where(plan_item_progress.c.round_id == bindparam("round_id", type_=Integer))
        .order_by(plan_item_progress.c.employee_id, plan_item_progress.c.item_id)
    )


def _item_progress_in(dialect: str) -> Any:
    return (
        select(plan_item_progress)
        .where(
            one_of(plan_item_progress.c.round_id, "round_ids", dialect)
            & one_of(plan_item_progress.c.employee_id, "employee_ids", dialect)
        )
        .order_by(
            plan_item_progress.c.round_id,
            plan_item_progress.c.employee_id,
            plan_item_progress.c.item_id,
        )
    )


def _approvals(dialect: str) -> Any:
    return (
        select(plan_approvals)
        .where(one_of(plan_approvals.c.version_id, "version_ids", dialect))
        .order_by(plan_approvals.c.at, plan_approvals.c.id)
    )


def _plan(round_id: int, employee_id: int) -> Any:
    return (plan_versions.c.round_id == round_id) & (plan_versions.c.employee_id == employee_id)
