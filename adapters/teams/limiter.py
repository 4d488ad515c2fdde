"""Outbound rate limiting for the Bot Framework connector, with an injectable clock.

Teams throttles a bot per conversation ("thread") and per tenant and answers HTTP 429 when
exceeded. Proactive fan-out (a kickoff DM to every member of a large team) would hit that at
once, so every call waits for a slot first:

* per conversation: 7 per second, 8 per 2 seconds, 60 per 30 seconds, 1800 per hour
  (the limits Microsoft documents for "send to conversation");
* per tenant: 28 requests per second (below the documented 50, leaving room for replies, and
  below a tenant limit of 30 with headroom, so timing jitter does not earn 429s).

A sliding-window log is used rather than a token bucket: a bucket of capacity *n* refilling at
*n*/s lets 2*n* through in one second (the full bucket plus the refill), a window log never lets
more than *n* through in any window. Waiters on one key are served in arrival order.

`Clock` and `Sleeper` are injected so tests run instantly and assert on the simulated times.
"""

from __future__ import annotations

import asyncio
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
TENANT_WINDOWS: tuple[Window, ...] = (Window(28, 1.0),)


class _Log:
    __slots__ = ("lock", "times")

    def __init__(self, keep: int) -> None:
        self.times: deque[float] = deque(maxlen=keep)
        self.lock = asyncio.Lock()


class SlidingWindowLimiter:
    """Per-key limiter: `acquire(key)` returns once a call for `key` fits every window."""

    def __init__(
        self,
        *,
        windows: Sequence[Window],
        clock: Clock = time.monotonic,
        sleep: Sleeper = asyncio.sleep,
        max_keys: int = 50_000,
    ) -> None:
        if not windows:
            raise ValueError("at least one window")
        self._windows = tuple(sorted(windows, key=lambda w: w.seconds))
        self._keep = max(w.count for w in self._windows)
        self._horizon = max(w.seconds for w in self._windows)
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
            while (delay := self._delay(log.times, self._clock())) > 0:
                await self._sleep(delay)
            yield
            log.times.append(self._clock())

    def _delay(self, times: deque[float], now: float) -> float:
        delay = 0.0
        for window in self._windows:
            if len(times) >= window.count:
                # The call `count` places back must have left the window.
                oldest_in_window = times[-window.count]
                delay = max(delay, oldest_in_window + window.seconds - now)
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
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self._conversations = SlidingWindowLimiter(
            windows=conversation_windows, clock=clock, sleep=sleep
        )
        self._tenants = SlidingWindowLimiter(windows=tenant_windows, clock=clock, sleep=sleep)

    async def acquire(self, *, tenant_id: str, conversation_id: str | None = None) -> None:
        """Wait until a request to `conversation_id` (if any) in `tenant_id` is allowed."""
        if conversation_id is None:
            await self._tenants.acquire(tenant_id)
            return
        async with self._conversations.hold(conversation_id), self._tenants.hold(tenant_id):
            pass
