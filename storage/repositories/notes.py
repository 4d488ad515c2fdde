"""Leaders' private notes per employee."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from conversations.domain import LeaderNote
from storage.models import leader_notes
from storage.repositories._base import Repo


def to_note(row: Any) -> LeaderNote:
    return LeaderNote(
        round_id=row.round_id,
        leader_id=row.leader_id,
        employee_id=row.employee_id,
        text=row.text,
        updated_at=row.updated_at,
    )


class SqlLeaderNoteRepo(Repo):
    async def save(
        self, *, round_id: int, leader_id: int, employee_id: int, text: str, at: datetime
    ) -> LeaderNote:
        """Create or replace, in one upsert (two tabs saving at once must not fail)."""
        stmt = self._insert(leader_notes).values(
            round_id=round_id,
            leader_id=leader_id,
            employee_id=employee_id,
            text=text,
            updated_at=at,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["round_id", "leader_id", "employee_id"],
            set_={"text": stmt.excluded.text, "updated_at": stmt.excluded.updated_at},
        ).returning(*leader_notes.c)
        return to_note((await self._conn.execute(stmt)).one())

    async def get(self, *, round_id: int, leader_id: int, employee_id: int) -> LeaderNote | None:
        row = (
            await self._conn.execute(
                select(leader_notes).where(
                    (leader_notes.c.round_id == round_id)
                    & (leader_notes.c.leader_id == leader_id)
                    & (leader_notes.c.employee_id == employee_id)
                )
            )
        ).one_or_none()
        return None if row is None else to_note(row)
