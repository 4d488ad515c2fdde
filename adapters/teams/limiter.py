"""Outbound rate limiting for the Bot Framework connector, with an injectable clock.

Teams throttles a bot per conversation ("thread") and per tenant and answers HTTP 429 when
exceeded. Proactive fan-out (a kickoff DM to every member of a large team) would hit that at
once, so every call waits for a slot first:

* per conversation: 7 per second, 8 per 2 seconds, 60 per 30 seconds, 1800 per hour (the
  limits Microsoft documents per bot per thread for "send to conversation"), as sliding
  windows: they are documented as windows, and a window log never lets more than *n* through
  in any window (a token bucket of capacity *n* refilling at *n*/s lets 2*n* through in one
  second: the full bucket plus the refill);
* per tenant: a steady 28 requests a second, at most 28 at once after a quiet spell (a token
  bucket), and never more than 40 in any one second (a window). Microsoft documents 50
  requests a second per app per tenant, without saying how it is counted: 40 in any second
  stays under 50 counted either way and leaves 10 a second for what is not paced here; a
  steady 28/s with bursts of 28 also stays under a stricter 30/s with bursts of 30 (the
  benchmark's stand-in), with 2/s of headroom so timing jitter earns no 429s.

  Why a bucket here and not a window of 28 a second: a window log sends in steps (28 at once,
  then nothing until the first of them is a second old), so 600 messages take 21 s; the
  bucket sends them evenly after the first burst, in 20.4 s, at the same steady rate.

Waiters on one key are served in arrival order. `Clock` and `Sleeper` are injected so tests
run instantly and assert on the simulated times.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

Clock = Callable[[], float]
Sleeper = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Window:
    """At most `count` acquisitions in any `seconds`-long window."""

    count: int
    seconds: float


CONVERSATION_WINDOWS: tuple[Window, ...] = (
    Window(7, 1.0),
    Window(8, 2.0),
    Window(60, 30.0),
    Window(1800, 3600.0),
)
TENANT_WINDOWS: tuple[Window, ...] = (Window(40, 1.0),)


@dataclass(frozen=True, slots=True)
class Rate:
    """A steady `per_second`, up to `burst` at once after a quiet spell (a token bucket)."""

    per_second: float
    burst: int


TENANT_RATE = Rate(per_second=28.0, burst=28)


_ROUNDING = 1e-9
"""Seconds of float rounding (sums of 1/rate) that are no reason to wait."""


class _Log:
    __slots__ = ("due", "lock", "times")

    def __init__(self, keep: int) -> None:
        self.times: deque[float] = deque(maxlen=keep)
        self.lock = asyncio.Lock()
        self.due = -math.inf
        """The rate's theoretical arrival time (GCRA): when the bucket is empty again."""


class SlidingWindowLimiter:
    """Per-key limiter: `acquire(key)` returns once a call for `key` fits every window (and
    the `rate`, if one is given)."""

    def __init__(
        self,
        *,
        windows: Sequence[Window],
        rate: Rate | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleeper = asyncio.sleep,
        max_keys: int = 50_000,
    ) -> None:
        if not windows and rate is None:
            raise ValueError("at least one window or a rate")
        if rate is not None and (rate.per_second <= 0 or rate.burst < 1):
            raise ValueError("a rate needs a positive rate and a burst of at least 1")
        self._windows = tuple(sorted(windows, key=lambda w: w.seconds))
        self._keep = max((w.count for w in self._windows), default=1)
        self._rate = rate
        # A key idle this long is back where it started (its bucket full, its windows empty).
        self._horizon = max(
            [w.seconds for w in self._windows]
            + ([rate.burst / rate.per_second] if rate is not None else [])
        )
        self._clock = clock
        self._sleep = sleep
        self._logs: dict[str, _Log] = {}
        self._max_keys = max_keys

    async def acquire(self, key: str) -> None:
        """Wait for a slot for `key` and take it."""
        async with self.hold(key):
            pass

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Wait until a call for `key` fits, keep others for `key` waiting, take the slot on exit.

        Nesting two holds (conversation, then tenant) stamps both logs at the same instant,
        after both waits, so neither log holds a time earlier than the call really happened.
        """
        log = self._logs.get(key)
        if log is None:
            self._prune()
            log = self._logs[key] = _Log(self._keep)
        async with log.lock:
            while (delay := self._delay(log, self._clock())) > _ROUNDING:
                await self._sleep(delay)
            yield
            now = self._clock()
            log.times.append(now)
            if self._rate is not None:
                log.due = max(log.due, now) + 1.0 / self._rate.per_second

    def _delay(self, log: _Log, now: float) -> float:
        delay = 0.0
        times = log.times
        for window in self._windows:
            if len(times) >= window.count:
                # The call `count` places back must have left the window.
                oldest_in_window = times[-window.count]
                delay = max(delay, oldest_in_window + window.seconds - now)
        if self._rate is not None:
            # GCRA: a call may go once the bucket would hold a token, i.e. no more than
            # `burst - 1` intervals before the theoretical arrival time.
            interval = 1.0 / self._rate.per_second
            delay = max(delay, log.due - (self._rate.burst - 1) * interval - now)
        return delay

    def _prune(self) -> None:
        """Forget idle keys so a long-running bot does not keep one log per chat ever seen."""
        if len(self._logs) < self._max_keys:
            return
        now = self._clock()
        for key in [
            k
            for k, log in self._logs.items()
            if not log.lock.locked() and (not log.times or log.times[-1] + self._horizon < now)
        ]:
            del self._logs[key]


class TeamsLimiter:
    """The two limits a Teams call must pass: its conversation's and its tenant's."""

    def __init__(
        self,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleeper = asyncio.sleep,
        conversation_windows: Sequence[Window] = CONVERSATION_WINDOWS,
        tenant_windows: Sequence[Window] = TENANT_WINDOWS,
        tenant_rate: Rate | None = TENANT_RATE,
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self._conversations = SlidingWindowLimiter(
            windows=conversation_windows, clock=clock, sleep=sleep
        )
        self._tenants = SlidingWindowLimiter(
            windows=tenant_windows, rate=tenant_rate, clock=clock, sleep=sleep
        )

    async def acquire(self, *, tenant_id: str, conversation_id: str | None = None) -> None:
        """Wait until a request to `conversation_id` (if any) in `tenant_id` is allowed."""
        if conversation_id is None:
            await self._tenants.acquire(tenant_id)
            return
        async with self._conversations.hold(conversation_id), self._tenants.hold(tenant_id):
            pass
