"""Conversation bookings: when each employee meets their leader."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, bindparam, select

from conversations.domain import Booking
from storage.models import bookings
from storage.repositories._base import Repo


def to_booking(row: Any) -> Booking:
    return Booking(
        round_id=row.round_id,
        employee_id=row.employee_id,
        starts_at=row.starts_at,
        minutes=row.minutes,
        booked_by=row.booked_by,
        sequence=row.sequence,
        updated_at=row.updated_at,
        place=row.place or "",
    )


def _for_round(_dialect: str) -> Any:
    """`for_round`'s statement, built once per process (`Repo._statement`)."""
    return (
        select(bookings)
        .where(bookings.c.round_id == bindparam("round_id", type_=Integer))
        .order_by(bookings.c.starts_at, bookings.c.employee_id)
    )


class SqlBookingRepo(Repo):
    async def save(
        self,
        *,
        round_id: int,
        employee_id: int,
        starts_at: datetime,
        minutes: int,
        booked_by: int,
        at: datetime,
        place: str = "",
    ) -> Booking:
        """Create (sequence 0, as iCalendar's SEQUENCE starts), or reschedule (sequence + 1).

        One upsert with the increment in the database, so two leaders' tabs rescheduling at
        once each get their own sequence and calendar clients apply the later update.
        """
        stmt = self._insert(bookings).values(
            round_id=round_id,
            employee_id=employee_id,
            starts_at=starts_at,
            minutes=minutes,
            booked_by=booked_by,
            sequence=0,
            updated_at=at,
            place=place,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["round_id", "employee_id"],
            set_={
                "starts_at": stmt.excluded.starts_at,
                "minutes": stmt.excluded.minutes,
                "booked_by": stmt.excluded.booked_by,
                "updated_at": stmt.excluded.updated_at,
                "place": stmt.excluded.place,
                "sequence": bookings.c.sequence + 1,
            },
        ).returning(*bookings.c)
        return to_booking((await self._conn.execute(stmt)).one())

    async def get(self, *, round_id: int, employee_id: int) -> Booking | None:
        row = (
            await self._conn.execute(
                select(bookings).where(
                    (bookings.c.round_id == round_id) & (bookings.c.employee_id == employee_id)
                )
            )
        ).one_or_none()
        return None if row is None else to_booking(row)

    async def for_round(self, *, round_id: int) -> list[Booking]:
        """By start time (the leader's calendar order), then employee id."""
        stmt = self._statement("for_round", build=_for_round)
        rows = await self._conn.execute(stmt, {"round_id": round_id})
        return [to_booking(row) for row in rows]
