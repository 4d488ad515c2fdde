"""The sweep that sends due reminders: claim, render, send, record.

Reminders are rows; this only moves them along. Each step is its own short transaction, and no
platform call happens inside one (SQLite holds its write lock for a whole transaction):

1. claim up to `batch` due rows for this worker, with a lease (PostgreSQL: SKIP LOCKED, so
   several processes never claim the same row);
2. render each from current data (a reminder that no longer applies is cancelled; one outside
   the recipient's working hours is moved to the next allowed moment);
3. send through the platform's port; then mark it sent. A 429 is retried after its
   Retry-After, a 5xx or network error with exponential back-off, a permanent error is
   recorded once as failed (the leader sees it in `/mus status`).

A process killed between 1 and 3 leaves rows "sending" until the lease expires; another sweep
then takes them. The only window for a duplicate is a kill between a platform accepting a
message and step 3 committing, which is milliseconds; the window for loss is none.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from conversations.domain import Reminder
from conversations.ports import Clock, DeliveryError, PlatformPort, Store
from conversations.reminders import Due, render
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
    lease_seconds: float = 300.0
    max_attempts: int = 8
    base_backoff: float = 30.0
    # Told each sweep's totals (the metrics); never raises into the sweep.
    on_result: Callable[[SweepResult], None] | None = None
    _in_flight: set[asyncio.Task[object]] = field(default_factory=set, init=False, repr=False)

    async def sweep(self) -> SweepResult:
        """Send everything due now, batch by batch, until nothing is due."""
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            total = SweepResult()
            while True:
                result = await self.sweep_once()
                for name in total.__dataclass_fields__:
                    setattr(total, name, getattr(total, name) + getattr(result, name))
                if result.claimed < self.batch:
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
        result = SweepResult()
        now = self.clock.now()
        async with self.store.transaction() as tx:
            claimed = await tx.outbox.claim_due(
                now=now, limit=self.batch, worker=self.worker, lease_seconds=self.lease_seconds
            )
        result.claimed = len(claimed)
        for reminder in claimed:
            await self._one(reminder, result)
        return result

    async def _one(self, reminder: Reminder, result: SweepResult) -> None:
        now = self.clock.now()
        async with self.store.transaction() as tx:
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
                return
            if isinstance(rendered, datetime):
                await tx.outbox.mark_retry(
                    reminder_id=reminder.id,
                    worker=self.worker,
                    due_at=rendered,
                    error="outside working hours",
                )
                result.moved += 1
                return
        await self._send(reminder, rendered, result)

    async def _send(self, reminder: Reminder, due: Due, result: SweepResult) -> None:
        port = self.ports.get(due.platform)
        if port is None:
            # The adapter is not running in this process (yet): try again later, not failed.
            await self._retry(
                reminder,
                delay=self.lease_seconds,
                error=f"no {due.platform} adapter",
                result=result,
            )
            return
        try:
            await port.send(workspace_id=due.workspace_external_id, message=due.message)
        except DeliveryError as error:
            if error.kind == "rate_limited":
                await self._retry(
                    reminder,
                    delay=error.retry_after or self.base_backoff,
                    error=str(error),
                    result=result,
                )
            elif not error.permanent:
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
            return
        except (TimeoutError, OSError) as error:
            await self._backoff(reminder, error=repr(error), result=result)
            return
        async with self.store.transaction() as tx:
            if not await tx.outbox.mark_sent(
                reminder_id=reminder.id, worker=self.worker, at=self.clock.now()
            ):
                log.warning("reminder %s: claim lost before it was marked sent", reminder.key)
        result.sent += 1

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
        async with self.store.transaction() as tx:
            await tx.outbox.mark_retry(
                reminder_id=reminder.id,
                worker=self.worker,
                due_at=self.clock.now() + timedelta(seconds=delay),
                error=error,
            )
        result.retried += 1


async def forget_old_deliveries(*, store: Store, clock: Clock, keep_days: int = 7) -> int:
    """Platforms retry a delivery for minutes, not days: older delivery ids can go."""
    async with store.transaction() as tx:
        return await tx.events.forget_before(before=clock.now() - timedelta(days=keep_days))


def start_scheduler(*, sweeper: Sweeper, interval_seconds: float = 30.0) -> object:
    """APScheduler only triggers the sweep (and housekeeping); the rows are the truth."""
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
