"""Employees' preparation: where each one is in the questions, and their answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.domain import PrepAnswer, PrepSession, PrepStatus
from conversations.lifecycles.prep import PrepTransition, persisted
from storage.models import prep_answers, prep_sessions
from storage.repositories._base import Repo


def to_session(row: Any) -> PrepSession:
    return PrepSession(
        round_id=row.round_id,
        person_id=row.person_id,
        cursor=row.cursor,
        status=PrepStatus(row.status),
        shared_at=row.shared_at,
        conversation_held_at=row.conversation_held_at,
        updated_at=row.updated_at,
    )


def to_answer(row: Any) -> PrepAnswer:
    return PrepAnswer(
        round_id=row.round_id,
        person_id=row.person_id,
        question_id=row.question_id,
        text=row.text,
        skipped=row.skipped,
        updated_at=row.updated_at,
        revision=row.revision,
    )


class SqlPrepRepo(Repo):
    """One per transaction: a person's answers and session, once read, are kept up to date
    here by `save_answer` and `apply`, so a flow that reads them again (the policy's read, the
    lifecycle's check before storing) costs no second query."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self._answers: dict[tuple[int, int], dict[str, PrepAnswer]] = {}
        self._sessions: dict[tuple[int, int], PrepSession | None] = {}

    async def get_session(self, *, round_id: int, person_id: int) -> PrepSession | None:
        key = (round_id, person_id)
        if key in self._sessions:
            return self._sessions[key]
        row = (
            await self._session.execute(
                select(prep_sessions).where(
                    (prep_sessions.c.round_id == round_id)
                    & (prep_sessions.c.person_id == person_id)
                )
            )
        ).one_or_none()
        found = None if row is None else to_session(row)
        self._sessions[key] = found
        return found

    async def apply(
        self,
        *,
        round_id: int,
        person_id: int,
        transition: PrepTransition,
        at: datetime,
        cursor: int | None = None,
    ) -> PrepSession:
        """Store the row the transition leaves behind (`lifecycles.prep.persisted`), in one
        upsert; `ValueError` when it was decided on another state than the stored one.

        The session this transaction already read is not read again: the upsert only touches
        a row still in the transition's `before` state (status and held), so a transition
        decided on stale data changes nothing, returns no row and is refused.
        """
        previous = await self.get_session(round_id=round_id, person_id=person_id)
        row = persisted(
            previous, transition, round_id=round_id, person_id=person_id, at=at, cursor=cursor
        )
        before = transition.before
        held_at = prep_sessions.c.conversation_held_at
        values = {
            "cursor": row.cursor,
            "status": row.status.value,
            "shared_at": row.shared_at,
            "conversation_held_at": row.conversation_held_at,
            "updated_at": at,
        }
        stmt = self._insert(prep_sessions).values(round_id=round_id, person_id=person_id, **values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["round_id", "person_id"],
            set_=values,
            where=(prep_sessions.c.status == before.status.value)
            & (held_at.is_not(None) if before.held else held_at.is_(None)),
        ).returning(*prep_sessions.c)
        stored = (await self._session.execute(stmt)).one_or_none()
        key = (round_id, person_id)
        if stored is None:
            self._sessions.pop(key, None)  # read it afresh next time
            raise ValueError(f"prep transition from {before}, but the stored session changed")
        saved = to_session(stored)
        self._sessions[key] = saved
        return saved

    async def sessions(self, *, round_id: int) -> list[PrepSession]:
        """Every session of the round, by person id (stable for overviews)."""
        rows = await self._session.execute(
            select(prep_sessions)
            .where(prep_sessions.c.round_id == round_id)
            .order_by(prep_sessions.c.person_id)
        )
        return [to_session(row) for row in rows]

    async def answers(self, *, round_id: int, person_id: int) -> dict[str, PrepAnswer]:
        known = self._answers.get((round_id, person_id))
        if known is not None:
            return dict(known)
        rows = await self._session.execute(
            select(prep_answers).where(
                (prep_answers.c.round_id == round_id) & (prep_answers.c.person_id == person_id)
            )
        )
        found = {row.question_id: to_answer(row) for row in rows}
        self._answers[(round_id, person_id)] = found
        return dict(found)

    async def save_answer(
        self,
        *,
        round_id: int,
        person_id: int,
        question_id: str,
        text: str | None,
        skipped: bool,
        at: datetime,
    ) -> PrepAnswer:
        """Create or replace; `revision` counts the saves (1 for the first).

        The increment happens in the database (`revision = revision + 1` in the upsert), so
        concurrent saves each get their own revision instead of losing one.
        """
        stmt = self._insert(prep_answers).values(
            round_id=round_id,
            person_id=person_id,
            question_id=question_id,
            text=text,
            skipped=skipped,
            updated_at=at,
            revision=1,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["round_id", "person_id", "question_id"],
            set_={
                "text": stmt.excluded.text,
                "skipped": stmt.excluded.skipped,
                "updated_at": stmt.excluded.updated_at,
                "revision": prep_answers.c.revision + 1,
            },
        ).returning(*prep_answers.c)
        saved = to_answer((await self._session.execute(stmt)).one())
        known = self._answers.get((round_id, person_id))
        if known is not None:
            known[question_id] = saved
        return saved
