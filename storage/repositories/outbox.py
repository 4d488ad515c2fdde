"""The reminder outbox: due messages as rows, claimed by one sweeping worker at a time.

A sweep is three short transactions: `claim_due` (rows become SENDING with a lease), the
delivery outside any transaction, then `mark_*`. A worker that dies leaves its rows SENDING;
when the lease runs out another worker's `claim_due` takes them again, so nothing is lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, bindparam, func, select, update

from conversations.domain import Reminder, ReminderState
from conversations.lifecycles.reminder import ReminderAction, sources, target
from storage.models import reminders
from storage.repositories._base import Repo, rowcount
from storage.types import as_utc

# Every WHERE on a state comes from the reminder lifecycle's table.
_RESCHEDULABLE = sources(ReminderAction.SCHEDULE)  # not sent, and not in a worker's hands
# `_due` adds the guards of the two claimable states: PENDING when due, SENDING when its lease ran out.
assert sources(ReminderAction.CLAIM) == (ReminderState.PENDING, ReminderState.SENDING)


def to_reminder(row: Any) -> Reminder:
    return Reminder(
        id=row.id,
        key=row.key,
        kind=row.kind,
        round_id=row.round_id,
        recipient_id=row.recipient_id,
        subject_id=row.subject_id,
        due_at=row.due_at,
        state=ReminderState(row.state),
        attempts=row.attempts,
        last_error=row.last_error,
        sent_at=row.sent_at,
        lease_until=row.lease_until,
        worker=row.worker,
        not_before=row.not_before,
    )


def _for_round(_dialect: str) -> Any:
    """`for_round`'s statement, built once per process (`Repo._statement`)."""
    return (
        select(reminders)
        .where(reminders.c.round_id == bindparam("round_id", type_=Integer))
        .order_by(reminders.c.due_at, reminders.c.id)
    )


def _due(now: datetime) -> Any:
    """PENDING, due and not held, or SENDING with an expired lease (its worker died)."""
    pending = (
        (reminders.c.state == ReminderState.PENDING.value)
        & (reminders.c.due_at <= now)
        & not_held(now)
    )
    return pending | (
        (reminders.c.state == ReminderState.SENDING.value) & (reminders.c.lease_until < now)
    )


def not_held(now: datetime) -> Any:
    """The row is not held (`mark_held`), or its hold has ended: it keeps its due time while
    held, so "due" means this as well (the sweep's claims, the backlog gauges)."""
    return reminders.c.not_before.is_(None) | (reminders.c.not_before <= now)


def _waiting(now: datetime) -> Any:
    """Recipients who must not get a row now: one of theirs is in a worker's hands (a live
    claim), or held after a 429 (`mark_held`), so their order holds and nobody sends to them
    before the platform's Retry-After."""
    return select(reminders.c.recipient_id).where(
        ((reminders.c.state == ReminderState.SENDING.value) & (reminders.c.lease_until >= now))
        | _is_held(now)
    )


def _is_held(now: datetime) -> Any:
    return (reminders.c.state == ReminderState.PENDING.value) & (reminders.c.not_before > now)


def _spread(*, now: datetime, limit: int, per_recipient: int) -> Any:
    """Ids of up to `limit` due rows, at most `per_recipient` per recipient, busy recipients
    (a live claim on one of their rows) left out, the longest queues first.

    A subquery of its own: PostgreSQL allows no `FOR UPDATE` beside window functions, so
    the caller locks the rows this picks (skipping those another worker locked meanwhile).
    """
    busy = _waiting(now)
    recipient = reminders.c.recipient_id
    due = (
        select(
            reminders.c.id,
            reminders.c.due_at,
            func.row_number()
            .over(partition_by=recipient, order_by=(reminders.c.due_at, reminders.c.id))
            .label("place"),
            func.count().over(partition_by=recipient).label("waiting"),
        )
        .where(_due(now) & recipient.not_in(busy))
        .subquery()
    )
    return (
        select(due.c.id)
        .where(due.c.place <= per_recipient)
        .order_by(due.c.waiting.desc(), due.c.due_at, due.c.id)
        .limit(limit)
    )


def _held(now: datetime) -> Any:
    """Recipients with a held row (`mark_held`): their other rows wait behind it."""
    return select(reminders.c.recipient_id).where(_is_held(now))


def _in(states: Sequence[ReminderState]) -> Any:
    return reminders.c.state.in_([s.value for s in states])


def _claimed_by(reminder_id: int, worker: str) -> Any:
    """The row is still this worker's claim (not re-claimed by another after its lease)."""
    return (
        (reminders.c.id == reminder_id)
        & (reminders.c.state.in_([s.value for s in sources(ReminderAction.SENT)]))
        & (reminders.c.worker == worker)
    )


class SqlOutboxRepo(Repo):
    async def schedule(
        self,
        *,
        key: str,
        kind: str,
        round_id: int,
        recipient_id: int,
        subject_id: int | None,
        due_at: datetime,
    ) -> Reminder:
        """Insert, or move a PENDING/FAILED/CANCELLED row with this key to the new time
        (attempts and error reset). A SENT row is left alone and returned, so a reminder is
        never sent twice; so is a SENDING one (its worker decides its fate).

        One `INSERT … ON CONFLICT (key) DO UPDATE … WHERE state IN (…)`: concurrent
        schedules of one key give one row, never an IntegrityError.
        """
        stmt = self._insert(reminders).values(
            key=key,
            kind=kind,
            round_id=round_id,
            recipient_id=recipient_id,
            subject_id=subject_id,
            due_at=due_at,
            state=target(ReminderAction.SCHEDULE).value,
            attempts=0,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["key"],
            set_={
                "kind": stmt.excluded.kind,
                "round_id": stmt.excluded.round_id,
                "recipient_id": stmt.excluded.recipient_id,
                "subject_id": stmt.excluded.subject_id,
                "due_at": stmt.excluded.due_at,
                "state": target(ReminderAction.SCHEDULE).value,
                "attempts": 0,
                "last_error": None,
                "not_before": None,
                "lease_until": None,
                "worker": None,
            },
            where=reminders.c.state.in_([s.value for s in _RESCHEDULABLE]),
        )
        await self._conn.execute(stmt)
        found = await self.get(key=key)
        assert found is not None
        return found

    async def cancel(self, *, key: str) -> None:
        """Cancel a pending reminder; one sent, failed or being sent is left as it is."""
        await self._conn.execute(
            update(reminders)
            .where((reminders.c.key == key) & _in(sources(ReminderAction.CANCEL)))
            .values(state=target(ReminderAction.CANCEL).value)
        )

    async def cancel_for_subject(
        self, *, round_id: int, subject_id: int, kinds: Sequence[str]
    ) -> int:
        """Pending reminders of these kinds about one employee become CANCELLED."""
        result = await self._conn.execute(
            update(reminders)
            .where(
                (reminders.c.round_id == round_id)
                & (reminders.c.subject_id == subject_id)
                & reminders.c.kind.in_(list(kinds))
                & _in(sources(ReminderAction.CANCEL))
            )
            .values(state=target(ReminderAction.CANCEL).value)
        )
        return rowcount(result)

    async def cancel_for_round(self, *, round_id: int, kinds: Sequence[str]) -> int:
        """Pending reminders of these kinds in the round become CANCELLED; others stay."""
        result = await self._conn.execute(
            update(reminders)
            .where(
                (reminders.c.round_id == round_id)
                & reminders.c.kind.in_(list(kinds))
                & _in(sources(ReminderAction.CANCEL))
            )
            .values(state=target(ReminderAction.CANCEL).value)
        )
        return rowcount(result)

    async def claim_due(
        self,
        *,
        now: datetime,
        limit: int,
        worker: str,
        lease_seconds: float,
        per_recipient: int | None = None,
    ) -> list[Reminder]:
        """Mark up to `limit` due rows SENDING for `worker` until now + lease; earliest first.

        With `per_recipient`, the batch is spread over recipients instead: at most that many
        rows each (their earliest), none for a recipient who has a row in a worker's hands
        (so two workers never send to one person at once, and a person's order holds), and
        the recipients with the most waiting first: a recipient's own rate limit decides when
        their queue is done, so theirs starts earliest (and a queue of one person's messages
        no longer fills a whole batch, sending at that one person's rate).

        PostgreSQL: `SELECT … FOR UPDATE SKIP LOCKED` then UPDATE, in this transaction, so
        concurrent workers each lock their own rows and never wait for or share one. SQLite:
        the transaction holds the database's write lock (`BEGIN IMMEDIATE`) from its start,
        which serialises claims. Commit promptly: the locks are held until then.
        """
        if limit <= 0:
            return []
        lease_until = as_utc(now) + timedelta(seconds=lease_seconds)
        if per_recipient is None:
            pick = (
                select(reminders.c.id)
                .where(_due(now) & reminders.c.recipient_id.not_in(_held(now)))
                .order_by(reminders.c.due_at, reminders.c.id)
                .limit(limit)
            )
        else:
            pick = select(reminders.c.id).where(
                reminders.c.id.in_(_spread(now=now, limit=limit, per_recipient=per_recipient))
                & _due(now)  # checked again on the locked row, should it have changed since
            )
        if self._conn.dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        ids = list((await self._conn.execute(pick)).scalars())
        if not ids:
            return []
        rows = await self._conn.execute(
            update(reminders)
            .where(reminders.c.id.in_(ids))
            .values(
                state=target(ReminderAction.CLAIM).value,
                worker=worker,
                lease_until=lease_until,
                attempts=reminders.c.attempts + 1,
            )
            .returning(*reminders.c)
        )
        return sorted((to_reminder(row) for row in rows), key=lambda r: (r.due_at, r.id))

    async def mark_sent(self, *, reminder_id: int, worker: str, at: datetime) -> bool:
        """SENT, if still this worker's claim; False when the claim was lost (its lease ran
        out and another worker took the row). A late mark on an expired but untaken claim
        still counts: the message did go out, and nobody else has it."""
        result = await self._conn.execute(
            update(reminders)
            .where(_claimed_by(reminder_id, worker))
            .values(state=target(ReminderAction.SENT).value, sent_at=at, lease_until=None)
        )
        return rowcount(result) == 1

    async def mark_retry(
        self, *, reminder_id: int, worker: str, due_at: datetime, error: str
    ) -> None:
        """Back to PENDING at `due_at` (outside working hours, or a back-off), no longer
        held; ignored when the claim was lost."""
        await self._back_to_pending(
            reminder_id=reminder_id, worker=worker, error=error, due_at=due_at, not_before=None
        )

    async def mark_held(
        self, *, reminder_id: int, worker: str, until: datetime, error: str
    ) -> None:
        """`ports.OutboxRepo.mark_held` (its due time kept); ignored when the claim was lost."""
        await self._back_to_pending(
            reminder_id=reminder_id, worker=worker, error=error, not_before=until
        )

    async def _back_to_pending(
        self, *, reminder_id: int, worker: str, error: str, **when: datetime | None
    ) -> None:
        """RETRY: PENDING again, unclaimed, with `error` and the new `when` columns."""
        await self._conn.execute(
            update(reminders)
            .where(_claimed_by(reminder_id, worker))
            .values(
                state=target(ReminderAction.RETRY).value,
                last_error=error,
                lease_until=None,
                worker=None,
                **when,
            )
        )

    async def extend_lease(
        self, *, reminder_ids: Sequence[int], worker: str, lease_until: datetime
    ) -> int:
        """Renew this worker's claim on rows it is still sending (a heartbeat), so leases can
        be short: a dead worker's rows are taken over seconds after it stops renewing."""
        if not reminder_ids:
            return 0
        result = await self._conn.execute(
            update(reminders)
            .where(
                reminders.c.id.in_(list(reminder_ids))
                & (reminders.c.state == ReminderState.SENDING.value)
                & (reminders.c.worker == worker)
            )
            .values(lease_until=as_utc(lease_until))
        )
        return rowcount(result)

    async def mark_failed(self, *, reminder_id: int, worker: str, error: str) -> None:
        """FAILED for good (user gone, bot removed), shown to the leader; ignored when the
        claim was lost."""
        await self._conn.execute(
            update(reminders)
            .where(_claimed_by(reminder_id, worker))
            .values(state=target(ReminderAction.FAIL).value, last_error=error, lease_until=None)
        )

    async def mark_cancelled(self, *, reminder_id: int, worker: str) -> None:
        """CANCELLED by the worker that found it no longer relevant; ignored when the claim
        was lost."""
        await self._conn.execute(
            update(reminders)
            .where(_claimed_by(reminder_id, worker))
            .values(state=target(ReminderAction.DROP).value, lease_until=None)
        )

    async def for_round(self, *, round_id: int) -> list[Reminder]:
        """Every reminder of a round, by due time."""
        stmt = self._statement("for_round", build=_for_round)
        rows = await self._conn.execute(stmt, {"round_id": round_id})
        return [to_reminder(row) for row in rows]

    async def get(self, *, key: str) -> Reminder | None:
        row = (
            await self._conn.execute(select(reminders).where(reminders.c.key == key))
        ).one_or_none()
        return None if row is None else to_reminder(row)
