"""Processed inbound deliveries: what makes a platform's retry change nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select

from conversations.domain import Person
from storage.models import people, processed_events
from storage.repositories._base import Repo, insert_for, rowcount
from storage.repositories.people import to_person


class SqlProcessedEventRepo(Repo):
    async def claim(self, *, key: str, at: datetime) -> bool:
        """Record that an inbound delivery was handled; False if it already was.

        `INSERT … ON CONFLICT DO NOTHING RETURNING`: a row back means we inserted it. On
        PostgreSQL a concurrent claim of the same key waits for the first transaction and then
        gets False (or True, if the first rolled back), never an IntegrityError.
        """
        stmt = (
            self._insert(processed_events)
            .values(key=key, processed_at=at)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(processed_events.c.key)
        )
        return (await self._conn.execute(stmt)).first() is not None

    async def claim_from(
        self, *, key: str, at: datetime, workspace_id: int, user_id: str
    ) -> tuple[bool, Person | None]:
        """`claim`, with the sender's stored row in the same statement (one round trip
        less on every event): the claim's `RETURNING` carries the person's columns as scalar
        subqueries (both SQLite and PostgreSQL allow them there), each typed as its column."""
        stmt = self._statement("claim_from", build=_claim_from)
        params = {
            "key": key,
            "processed_at": at,
            "s_workspace_id": workspace_id,
            "s_user_id": user_id,
        }
        row = (await self._conn.execute(stmt, params)).first()
        if row is None:
            return False, None
        if row.id is None:
            return True, None
        return True, to_person(row)

    async def forget_before(self, *, before: datetime) -> int:
        """Drop ids processed before `before`. Returns the count."""
        result = await self._conn.execute(
            delete(processed_events).where(processed_events.c.processed_at < before)
        )
        return rowcount(result)


def _claim_from(dialect: str) -> Any:
    """`SqlProcessedEventRepo.claim_from`'s statement (built once: `Repo._statement`)."""
    sender = (
        people.c.workspace_id == bindparam("s_workspace_id", type_=people.c.workspace_id.type)
    ) & (people.c.user_id == bindparam("s_user_id", type_=people.c.user_id.type))
    columns = [
        select(column).where(sender).scalar_subquery().label(column.name) for column in people.c
    ]
    return (
        insert_for(dialect, processed_events)
        .values(
            key=bindparam("key", type_=processed_events.c.key.type),
            processed_at=bindparam("processed_at", type_=processed_events.c.processed_at.type),
        )
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(processed_events.c.key, *columns)
    )
