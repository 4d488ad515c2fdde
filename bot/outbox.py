"""The sweep that sends due reminders: claim, render, send, record.

Reminders are rows; this only moves them along. Each step is its own short transaction, and no
platform call happens inside one (SQLite holds its write lock for a whole transaction):

1. claim up to `batch` due rows for this worker, with a short lease (PostgreSQL: SKIP LOCKED,
   so several processes never claim the same row) that a heartbeat renews while the rows are
   being sent;
2. render each from current data (a reminder that no longer applies is cancelled; one outside
   the recipient's working hours is moved to the next allowed moment);
3. send through the platform's port, several recipients at once (`concurrency`) and each
   recipient's messages one after the other, in order; then mark it sent. A 429 is never
   slept out: the row, and the recipient's later rows in the batch, are rescheduled for after
   its Retry-After, and the sweep goes on with other recipients (and comes back for them when
   they are due, if that is within `linger` seconds). A 5xx or network error backs off
   exponentially; a permanent error is recorded once as failed (the leader sees it in
   `/mus status`).

A process killed between 1 and 3 leaves rows "sending" until their lease runs out, seconds
later, since nobody renews it; another sweep then takes them. The only window for a
duplicate is a kill between a platform accepting a message and step 3 committing, which is
milliseconds; the window for loss is none.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from conversations.domain import Reminder
from conversations.messages import ToPerson
from conversations.ports import Clock, DeliveryError, PlatformPort, Store, Tx
from conversations.reminders import Due, render
from conversations.round_clock import sweep_prep_deadlines
from conversations.schedule import WorkingHours

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class SweepResult:
    claimed: int = 0
    sent: int = 0
    moved: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0


@dataclass
class Sweeper:
    store: Store
    ports: Mapping[str, PlatformPort]
    clock: Clock
    hours: WorkingHours = field(default_factory=WorkingHours)
    # MUSBOT_CONTENT_IN_MESSAGES: reminders carry the material itself, not a "read" button.
    content_in_messages: bool = False
    worker: str = field(default_factory=worker_name)
    batch: int = 50
    lease_seconds: float = 15.0
    """Short: a dead worker's rows are taken over this soon. Renewed every third of it."""
    concurrency: int = 16
    """Recipients being sent to at once (each recipient's messages go one at a time)."""
    linger: float = 15.0
    """A sweep waits for rate-limited rows due again within this many seconds."""
    max_attempts: int = 8
    base_backoff: float = 30.0
    # Told each sweep's totals (the metrics); never raises into the sweep.
    on_result: Callable[[SweepResult], None] | None = None
    _in_flight: set[asyncio.Task[object]] = field(default_factory=set, init=False, repr=False)
    _wake: datetime | None = field(default=None, init=False, repr=False)

    async def sweep(self) -> SweepResult:
        """Send everything due now, batch by batch, until nothing is due (or due soon)."""
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            total = SweepResult()
            self._wake = None
            while True:
                result = await self.sweep_once()
                for name in total.__dataclass_fields__:
                    setattr(total, name, getattr(total, name) + getattr(result, name))
                if result.claimed:
                    continue
                if self._wake is None:
                    break
                wait = (self._wake - self.clock.now()).total_seconds()
                if wait > self.linger:
                    break
                self._wake = None
                await asyncio.sleep(max(wait, 0.02))
            if self.on_result is not None:
                self.on_result(total)
            return total
        finally:
            if task is not None:
                self._in_flight.discard(task)

    async def settle(self, *, within: float = 30.0) -> None:
        """Wait for sweeps in flight, at shutdown: closing the store under a running query
        leaves its connection half torn down, and the process then hangs instead of exiting."""
        pending = [t for t in self._in_flight if t is not asyncio.current_task()]
        if pending:
            await asyncio.wait(pending, timeout=within)

    async def sweep_once(self) -> SweepResult:
        """Claim one batch and send it: recipients concurrently, each one's rows in order."""
        result = SweepResult()
        now = self.clock.now()
        async with self.store.transaction() as tx:
            claimed = await tx.outbox.claim_due(
                now=now, limit=self.batch, worker=self.worker, lease_seconds=self.lease_seconds
            )
        result.claimed = len(claimed)
        if not claimed:
            return result
        ready = await self._render_all(claimed, result)
        by_recipient: dict[int, list[tuple[Reminder, Due]]] = {}
        for reminder, due in ready:
            by_recipient.setdefault(reminder.recipient_id, []).append((reminder, due))
        held = {reminder.id for reminder, _ in ready}
        gate = asyncio.Semaphore(self.concurrency)

        async def one_recipient(rows: list[tuple[Reminder, Due]]) -> None:
            async with gate:
                for index, (reminder, due) in enumerate(rows):
                    try:
                        wait = await self._send(reminder, due, result)
                    finally:
                        held.discard(reminder.id)
                    if wait is not None:
                        # Keep the recipient's order: the rest go after the one refused.
                        rest = [r for r, _ in rows[index + 1 :]]
                        await self._defer(rest, wait=wait, result=result)
                        held.difference_update(r.id for r in rest)
                        return

        heartbeat = asyncio.create_task(self._heartbeat(held))
        try:
            await asyncio.gather(*(one_recipient(rows) for rows in by_recipient.values()))
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        return result

    async def _heartbeat(self, held: set[int]) -> None:
        """Renew the lease on the rows still being worked on, until cancelled."""
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            if not held:
                continue
            try:
                async with self.store.transaction() as tx:
                    await tx.outbox.extend_lease(
                        reminder_ids=sorted(held),
                        worker=self.worker,
                        lease_until=self.clock.now() + timedelta(seconds=self.lease_seconds),
                    )
            except Exception:  # a missed renewal costs at worst a duplicate, never a loss
                log.warning("outbox lease renewal failed", exc_info=True)

    async def _render_all(
        self, claimed: list[Reminder], result: SweepResult
    ) -> list[tuple[Reminder, Due]]:
        """Render a claimed batch in one transaction (not one per row); rows that no longer
        apply are cancelled, rows outside working hours moved, in the same transaction."""
        now = self.clock.now()
        ready: list[tuple[Reminder, Due]] = []
        async with self.store.transaction() as real_tx:
            tx = cast(Tx, _BatchReads(real_tx))  # the batch's rows share rounds, teams, workspaces
            for reminder in claimed:
                rendered = await render(
                    tx=tx,
                    reminder=reminder,
                    now=now,
                    hours=self.hours,
                    content_in_messages=self.content_in_messages,
                )
                if rendered is None:
                    await tx.outbox.mark_cancelled(reminder_id=reminder.id, worker=self.worker)
                    result.cancelled += 1
                elif isinstance(rendered, datetime):
                    await tx.outbox.mark_retry(
                        reminder_id=reminder.id,
                        worker=self.worker,
                        due_at=rendered,
                        error="outside working hours",
                    )
                    result.moved += 1
                else:
                    ready.append((reminder, rendered))
        return ready

    async def _send(self, reminder: Reminder, due: Due, result: SweepResult) -> float | None:
        port = self.ports.get(due.platform)
        if port is None:
            # The adapter is not running in this process (yet): try again later, not failed.
            await self._retry(
                reminder,
                delay=self.lease_seconds,
                error=f"no {due.platform} adapter",
                result=result,
            )
            return None
        try:
            ref = await port.send(workspace_id=due.workspace_external_id, message=due.message)
        except DeliveryError as error:
            if error.kind == "rate_limited":
                wait = error.retry_after or 1.0
                await self._retry(reminder, delay=wait, error=str(error), result=result)
                return wait
            if not error.permanent:
                await self._backoff(reminder, error=str(error), result=result)
            else:
                async with self.store.transaction() as tx:
                    await tx.outbox.mark_failed(
                        reminder_id=reminder.id, worker=self.worker, error=error.kind
                    )
                    await tx.audit.record(
                        at=self.clock.now(),
                        actor_id=None,
                        action="reminder.failed",
                        subject=f"round:{reminder.round_id}:person:{reminder.recipient_id}",
                        detail=f"{reminder.kind}: {error}",
                    )
                log.warning("reminder %s failed permanently: %s", reminder.key, error)
                result.failed += 1
            return None
        except (TimeoutError, OSError) as error:
            await self._backoff(reminder, error=repr(error), result=result)
            return None
        async with self.store.transaction() as tx:
            if not await tx.outbox.mark_sent(
                reminder_id=reminder.id, worker=self.worker, at=self.clock.now()
            ):
                log.warning("reminder %s: claim lost before it was marked sent", reminder.key)
            if due.message.key and ref:
                # A keyed message (an invitation) can be updated later (`Message.replaces_key`).
                to = due.message.to
                await tx.sent_messages.record(
                    platform=due.platform,
                    workspace_id=due.workspace_external_id,
                    key=due.message.key,
                    ref=ref,
                    user_id=to.user_id if isinstance(to, ToPerson) else None,
                    at=self.clock.now(),
                )
        result.sent += 1
        return None

    async def _defer(self, rows: list[Reminder], *, wait: float, result: SweepResult) -> None:
        """Reschedule a rate-limited recipient's remaining rows after `wait`, in order."""
        if not rows:
            return
        start = self.clock.now() + timedelta(seconds=wait)
        async with self.store.transaction() as tx:
            for n, reminder in enumerate(rows, start=1):
                await tx.outbox.mark_retry(
                    reminder_id=reminder.id,
                    worker=self.worker,
                    due_at=start + timedelta(milliseconds=n),
                    error="waiting: the recipient's earlier message was rate limited",
                )
        self._soon(start)
        result.retried += len(rows)

    async def _backoff(self, reminder: Reminder, *, error: str, result: SweepResult) -> None:
        if reminder.attempts >= self.max_attempts:
            async with self.store.transaction() as tx:
                await tx.outbox.mark_failed(
                    reminder_id=reminder.id, worker=self.worker, error=f"gave up: {error}"
                )
            result.failed += 1
            return
        delay = self.base_backoff * (2 ** max(reminder.attempts - 1, 0))
        await self._retry(reminder, delay=delay, error=error, result=result)

    async def _retry(
        self, reminder: Reminder, *, delay: float, error: str, result: SweepResult
    ) -> None:
        due = self.clock.now() + timedelta(seconds=delay)
        async with self.store.transaction() as tx:
            await tx.outbox.mark_retry(
                reminder_id=reminder.id, worker=self.worker, due_at=due, error=error
            )
        self._soon(due)
        result.retried += 1

    def _soon(self, due: datetime) -> None:
        if self._wake is None or due < self._wake:
            self._wake = due


class _Memo:
    """A repository whose `get(...)` answers are remembered (for one batch's transaction)."""

    def __init__(self, repo: Any) -> None:
        self._repo = repo
        self._seen: dict[tuple[tuple[str, Any], ...], Any] = {}

    async def get(self, **kwargs: Any) -> Any:
        key = tuple(sorted(kwargs.items()))
        if key not in self._seen:
            self._seen[key] = await self._repo.get(**kwargs)
        return self._seen[key]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._repo, name)


class _BatchReads:
    """A transaction whose people, rounds, teams and workspaces are read once per batch."""

    def __init__(self, tx: Tx) -> None:
        self._tx = tx
        self.people = _Memo(tx.people)
        self.rounds = _Memo(tx.rounds)
        self.teams = _Memo(tx.teams)
        self.workspaces = _Memo(tx.workspaces)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tx, name)


async def forget_old_deliveries(*, store: Store, clock: Clock, keep_days: int = 7) -> int:
    """Platforms retry a delivery for minutes, not days: older delivery ids can go."""
    async with store.transaction() as tx:
        return await tx.events.forget_before(before=clock.now() - timedelta(days=keep_days))


async def advance_rounds(*, store: Store, clock: Clock) -> list[int]:
    """Rounds past their prep deadline move on to the conversations phase, by the round
    lifecycle's table (`conversations.round_clock`): found by the clock, not only when
    someone happens to open the round, so overviews and the committee's figures are current.
    Every replica runs it; a round is moved once (a conditional UPDATE), the others skip it."""
    try:
        moved = await sweep_prep_deadlines(store=store, now=clock.now())
    except Exception:  # the next run tries again; the scheduler must keep running
        log.warning("rounds: moving rounds past their prep deadline failed", exc_info=True)
        return []
    if moved:
        log.info(
            "rounds: %d round(s) past the prep deadline are in the conversations phase", len(moved)
        )
    return moved


def start_scheduler(
    *, sweeper: Sweeper, interval_seconds: float = 5.0, rounds_every_seconds: float = 60.0
) -> object:
    """APScheduler only triggers the sweep (and housekeeping); the rows are the truth.

    Often: an idle sweep is one indexed query, and a dead replica's rows (their lease no
    longer renewed) are taken over within lease + interval seconds. Rounds are moved past
    their prep deadline every `rounds_every_seconds` (a date changes once a day; a minute's
    delay is nothing, and the rounds table is small)."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    scheduler = AsyncIOScheduler()
    scheduler.add_job(
        sweeper.sweep,
        "interval",
        seconds=interval_seconds,
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(),
        id="outbox-sweep",
    )
    scheduler.add_job(
        advance_rounds,
        "interval",
        seconds=rounds_every_seconds,
        kwargs={"store": sweeper.store, "clock": sweeper.clock},
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(),
        id="round-deadlines",
    )
    scheduler.add_job(
        forget_old_deliveries,
        "interval",
        hours=6,
        kwargs={"store": sweeper.store, "clock": sweeper.clock},
        max_instances=1,
        coalesce=True,
        id="forget-old-deliveries",
    )
    scheduler.start()
    return scheduler
