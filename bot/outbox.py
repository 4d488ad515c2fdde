"""The sweep that sends due reminders: claim, render, send, record.

Reminders are rows; this only moves them along. Each step is its own short transaction, and no
platform call happens inside one (SQLite holds its write lock for a whole transaction):

1. claim up to `batch` due rows for this worker, spread over recipients (`per_recipient` each,
   the longest queues first, none for a recipient another worker is sending to), with a short
   lease (PostgreSQL: SKIP LOCKED, so several processes never claim the same row) that a
   heartbeat renews while the rows are being sent;
2. render each from current data (a reminder that no longer applies is cancelled; one outside
   the recipient's working hours is moved to the next allowed moment);
3. send through the platform's port, several recipients at once (`concurrency`) and each
   recipient's messages one after the other, in order, each conversation paced at the rate
   its port states (`conversation_pace`, with `headroom`); then mark it sent, in its own
   transaction, at once.

A 429 is never slept out inside a send. Since every conversation is paced below its own limit,
a 429 is taken to be the workspace's (global) limit: everything this worker sends to that
workspace waits out its Retry-After once (answers to requests already in flight when the pause
began belong to the same pause), and the refused message is sent again after it. A Retry-After
longer than `max_hold` reschedules the row, and the recipient's later rows, for after it
instead, and the sweep goes on with other recipients (coming back for them if that is within
`linger` seconds). A 5xx or network error backs off exponentially; a permanent error is
recorded once as failed (the leader sees it in `/mus status`).

A process killed between 1 and 3 leaves rows "sending" until their lease runs out, seconds
later, since nobody renews it; another sweep then takes them. The only window for a
duplicate is a kill between a platform accepting a message and step 3 committing its mark
(one short transaction; at most one message per recipient being sent to at once, see
docs/reminders.md); the window for loss is none.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from conversations.domain import Reminder
from conversations.messages import ToPerson
from conversations.ports import Clock, DeliveryError, Pace, PlatformPort, Store, Tx
from conversations.round_clock import sweep_prep_deadlines
from conversations.schedule import WorkingHours

if TYPE_CHECKING:
    from conversations.reminders import Due

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
    rate_limited: int = 0
    """429s answered to this worker's sends."""
    paused: int = 0
    """Times a workspace's sends were paused for a 429's Retry-After (once per 429 episode)."""


@dataclass
class _Pause:
    began: float
    until: float


@dataclass
class _Bucket:
    """A conversation's pace: `rate` a second, up to `burst` at once (a token bucket)."""

    rate: float
    burst: float
    tokens: float
    at: float

    def delay(self, now: float) -> float:
        """Seconds until a message may go (0: now), without taking the slot."""
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


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
    per_recipient: int = 1
    """Rows per recipient in one batch: a batch is spread over recipients, so a queue of one
    person's messages is sent at the workspace's rate, not at that person's."""
    max_hold: float = 15.0
    """A 429's Retry-After up to this is waited out in memory (the rows stay claimed)..."""
    max_holds: int = 5
    """... this many times for one row; then it is rescheduled like a longer one."""
    headroom: float = 0.9
    """Conversations are paced at this share of the rate their port states, so the jitter
    between here and the platform's own clock earns no 429."""
    max_attempts: int = 8
    base_backoff: float = 30.0
    # Told each sweep's totals (the metrics); never raises into the sweep.
    on_result: Callable[[SweepResult], None] | None = None
    # Pauses and pacing run on these (not `clock`, which says what time it is for people).
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _in_flight: set[asyncio.Task[object]] = field(default_factory=set, init=False, repr=False)
    _wake: datetime | None = field(default=None, init=False, repr=False)
    _pauses: dict[tuple[str, str], _Pause] = field(default_factory=dict, init=False, repr=False)
    _leases: dict[int, tuple[set[int], asyncio.Task[None]]] = field(
        default_factory=dict, init=False, repr=False
    )
    _buckets: dict[tuple[str, str, str], _Bucket] = field(
        default_factory=dict, init=False, repr=False
    )

    async def sweep(self) -> SweepResult:
        """Send everything due now, batch by batch, until nothing is due (or due soon).

        The next batch is claimed and rendered while the last one is being sent (two
        transactions that would otherwise leave the platform idle between batches); its
        rows are sent once the last batch is done, so a recipient is never sent to from two
        batches at once (the claim leaves out recipients whose rows are in a worker's hands).
        """
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        results: list[SweepResult] = []
        sending: asyncio.Task[None] | None = None
        try:
            self._wake = None
            while True:
                result = SweepResult()
                results.append(result)
                ready = await self._claim(result)
                freed = sending is not None
                if sending is not None:
                    await sending
                    sending = None
                if result.claimed:
                    sending = asyncio.create_task(self._send_all(ready, result))
                    continue
                if freed:
                    continue  # the batch just sent may have freed recipients with more due
                if self._wake is None:
                    break
                wait = (self._wake - self.clock.now()).total_seconds()
                if wait > self.linger:
                    break
                self._wake = None
                await asyncio.sleep(max(wait, 0.02))
            total = SweepResult()
            for one in results:
                for name in total.__dataclass_fields__:
                    setattr(total, name, getattr(total, name) + getattr(one, name))
            if self.on_result is not None:
                self.on_result(total)
            return total
        finally:
            if sending is not None:
                sending.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sending
            for held, _ in list(self._leases.values()):  # a batch claimed ahead, left unsent
                await self._release(held)
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
        await self._send_all(await self._claim(result), result)
        return result

    async def _claim(self, result: SweepResult) -> list[tuple[Reminder, Due]]:
        """Claim a batch and render it; the rows ready to send."""
        now = self.clock.now()
        async with self.store.transaction() as tx:
            claimed = await tx.outbox.claim_due(
                now=now,
                limit=self.batch,
                worker=self.worker,
                lease_seconds=self.lease_seconds,
                per_recipient=self.per_recipient,
            )
        result.claimed = len(claimed)
        if not claimed:
            return []
        # Renewed from now on, not from when sending starts: a batch claimed ahead waits for
        # the one before it, and its lease must not run out meanwhile (another worker would
        # take its rows, and both would send them).
        held = {reminder.id for reminder in claimed}
        self._leases[id(held)] = (held, asyncio.create_task(self._heartbeat(held)))
        try:
            ready = await self._render_all(claimed, result)
        except BaseException:
            await self._release(held)
            raise
        held.intersection_update(reminder.id for reminder, _ in ready)
        if not ready:
            await self._release(held)
        return ready

    async def _release(self, held: set[int]) -> None:
        """Stop renewing a batch's leases."""
        _, heartbeat = self._leases.pop(id(held), (held, None))
        if heartbeat is not None:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    def _held_set(self, ready: list[tuple[Reminder, Due]]) -> set[int]:
        ids = {reminder.id for reminder, _ in ready}
        for held, _ in self._leases.values():
            if held == ids:
                return held
        return ids

    async def _send_all(self, ready: list[tuple[Reminder, Due]], result: SweepResult) -> None:
        """Send a rendered batch: recipients concurrently, each one's rows in order."""
        if not ready:
            return
        by_recipient: dict[int, list[tuple[Reminder, Due]]] = {}
        for reminder, due in ready:
            by_recipient.setdefault(reminder.recipient_id, []).append((reminder, due))
        held = self._held_set(ready)
        gate = asyncio.Semaphore(self.concurrency)

        async def one_recipient(rows: list[tuple[Reminder, Due]]) -> None:
            async with gate:
                for index, (reminder, due) in enumerate(rows):
                    try:
                        wait = await self._send_paced(reminder, due, result)
                    finally:
                        held.discard(reminder.id)
                    if wait is not None:
                        # Keep the recipient's order: the rest go after the one refused.
                        rest = [r for r, _ in rows[index + 1 :]]
                        await self._defer(rest, wait=wait, result=result)
                        held.difference_update(r.id for r in rest)
                        return

        try:
            await asyncio.gather(*(one_recipient(rows) for rows in by_recipient.values()))
        finally:
            await self._release(held)

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
        # Rendering needs the buttons, the policy and the texts (~1 MB of modules): imported
        # on the first claimed row, not by a server whose sweeps find nothing due (issue 17).
        from conversations.reminders import render

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

    async def _send_paced(self, reminder: Reminder, due: Due, result: SweepResult) -> float | None:
        """Send one row when its workspace is not paused and its conversation has room; a
        429 pauses the workspace and the row goes again after it (if within `max_hold`).
        Returns a wait when the row was rescheduled for a 429 (its recipient's rest follow)."""
        port = self.ports.get(due.platform)
        workspace = (due.platform, due.workspace_external_id)
        pace = getattr(port, "conversation_pace", None)
        conversation = (*workspace, repr(due.message.to))
        for tries in itertools.count():
            await self._ready(workspace, conversation, pace if isinstance(pace, Pace) else None)
            started = self.monotonic()
            # Refused again and again: leave it to a later sweep (the rows are not held forever).
            hold = self.max_hold if tries < self.max_holds else 0.0
            wait = await self._send(reminder, due, result, hold=hold)
            if wait is None or wait < 0:
                return None if wait is None else -wait
            # A 429 within `max_hold`: the row stays claimed, the workspace waits, then again.
            result.rate_limited += 1
            self._pause(workspace, wait=wait, started=started, result=result)
            bucket = self._buckets.get(conversation)
            if bucket is not None:
                bucket.tokens = 0.0  # had it been this conversation's own limit
        raise AssertionError("unreachable")

    async def _ready(
        self, workspace: tuple[str, str], conversation: tuple[str, str, str], pace: Pace | None
    ) -> None:
        """Wait out the workspace's pause, then for a slot in the conversation's pace."""
        while True:
            now = self.monotonic()
            pause = self._pauses.get(workspace)
            if pause is not None and pause.until > now:
                await self.sleep(pause.until - now)
                continue
            if pace is None:
                return
            bucket = self._buckets.get(conversation)
            if bucket is None:
                if len(self._buckets) >= 50_000:
                    self._buckets.clear()  # idle ones are full anyway: forgetting them is safe
                bucket = self._buckets[conversation] = _Bucket(
                    rate=pace.per_second * self.headroom,
                    burst=float(pace.burst),
                    tokens=float(pace.burst),
                    at=now,
                )
            delay = bucket.delay(now)
            if delay > 0:
                await self.sleep(delay)
                continue
            bucket.tokens -= 1
            return

    def _pause(
        self, workspace: tuple[str, str], *, wait: float, started: float, result: SweepResult
    ) -> None:
        """Pause the workspace's sends for `wait`, unless a pause began after this request was
        sent: its 429 is part of that one (every request in flight gets one), not another."""
        now = self.monotonic()
        current = self._pauses.get(workspace)
        if current is not None and current.began >= started:
            current.until = max(current.until, now + wait)
            return
        self._pauses[workspace] = _Pause(began=now, until=now + wait)
        result.paused += 1
        log.info("outbox: %s answered 429; its sends pause for %.1f s", workspace[0], wait)

    async def _send(
        self, reminder: Reminder, due: Due, result: SweepResult, *, hold: float = 0.0
    ) -> float | None:
        """Send and record the outcome. None when done with the row (sent, failed, backed
        off); a positive wait for a 429 to wait out in memory (Retry-After within `hold`); a
        negative one when the row was rescheduled for a longer 429."""
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
                if wait <= hold:
                    return wait
                result.rate_limited += 1
                await self._retry(
                    reminder, delay=wait, error=str(error), result=result, in_place=True
                )
                return -wait
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
        """Hold a rate-limited recipient's remaining rows for `wait` seconds; they keep their
        due times, so they go afterwards in their order (and after the held row itself)."""
        if not rows:
            return
        start = self.clock.now() + timedelta(seconds=wait)
        async with self.store.transaction() as tx:
            for reminder in rows:
                await tx.outbox.mark_held(
                    reminder_id=reminder.id,
                    worker=self.worker,
                    until=start,
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
        self,
        reminder: Reminder,
        *,
        delay: float,
        error: str,
        result: SweepResult,
        in_place: bool = False,
    ) -> None:
        """Try again after `delay`. A 429 (`in_place`) holds the row in its place and its
        recipient with it (`mark_held`: their order holds, nobody sends to them before the
        Retry-After); a back-off moves the row alone (`mark_retry`), so one failing message
        does not hold up the recipient's others for the hours a back-off can reach."""
        due = self.clock.now() + timedelta(seconds=delay)
        async with self.store.transaction() as tx:
            if in_place:
                await tx.outbox.mark_held(
                    reminder_id=reminder.id, worker=self.worker, until=due, error=error
                )
            else:
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
