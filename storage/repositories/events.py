"""Processed inbound deliveries: what makes a platform's retry change nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete

from storage.models import processed_events
from storage.repositories._base import Repo, rowcount


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
        return (await self._session.execute(stmt)).first() is not None

    async def forget_before(self, *, before: datetime) -> int:
        """Drop ids processed before `before`. Returns the count."""
        result = await self._session.execute(
            delete(processed_events).where(processed_events.c.processed_at < before)
        )
        return rowcount(result)
