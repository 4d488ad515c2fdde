"""Admission by event-loop pressure: new work waits while the loop is saturated.

One event loop serves the HTTP acks and the core's work. Under a burst every handler in flight
is ready to run at each turn of the loop, a turn takes tens of milliseconds, and an ack waits
several turns. Capping handlers at a fixed number would do, but would also cap work that only
waits on the network (Slack's or Teams' API, 100+ ms a call): the right number depends on where
the time goes. So the cap is the loop's own lag: a ticker measures how late a short sleep
wakes; while that is over `busy_after`, a new event waits (first come, first served). Each
tick that comes back on time lets a window of waiting events in, and the window grows by one
per on-time tick while events still wait and halves on a late one (additive increase,
multiplicative decrease, as TCP finds a link's rate): a fixed one per tick would cap the
server at 1/TICK = 200 events a second however fast it is. An idle or I/O-bound loop admits
at once.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time

BUSY_AFTER = 0.015
"""Seconds of loop lag from which new work waits."""

TICK = 0.005
"""How often the lag is measured while work waits or runs."""

MAX_WAIT = 2.0
"""No event waits longer than this for admission, whatever the lag says."""

MAX_WINDOW = 64
"""The most events let in on one on-time tick."""

IDLE_TICKS = 200
"""The ticker stops after this many ticks with nothing waiting and no pressure (1 s)."""


class LoopPressure:
    """`await admit()` before starting a unit of core work."""

    def __init__(self, *, busy_after: float = BUSY_AFTER, tick: float = TICK) -> None:
        self.busy_after = busy_after
        self.tick = tick
        self.lag = 0.0
        self.window = 1  # events let in per on-time tick (see the module's docstring)
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._ticker: asyncio.Task[None] | None = None
        self.admitted_after_wait = 0  # how often work had to wait (read by the tests)

    async def admit(self) -> None:
        """Return at once when the loop keeps time; else wait for a turn (FIFO)."""
        self._ensure_ticker()
        if self.lag < self.busy_after and not self._waiters:
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(turn)
        try:
            await asyncio.wait_for(asyncio.shield(turn), MAX_WAIT)
        except TimeoutError:
            pass
        finally:
            with contextlib.suppress(ValueError):
                self._waiters.remove(turn)
        self.admitted_after_wait += 1

    def _ensure_ticker(self) -> None:
        loop = asyncio.get_running_loop()
        if self._ticker is None or self._ticker.done() or self._ticker.get_loop() is not loop:
            self.lag = 0.0  # a ticker of another (closed) loop measured nothing of this one
            self.window = 1  # a busy spell after a quiet one starts small
            self._waiters.clear()
            self._ticker = loop.create_task(self._run())

    async def _run(self) -> None:
        quiet = 0
        while quiet < IDLE_TICKS:
            started = time.perf_counter()
            await asyncio.sleep(self.tick)
            self._on_tick(max(time.perf_counter() - started - self.tick, 0.0))
            quiet = quiet + 1 if not self._waiters and self.lag < self.busy_after else 0
        self.lag = 0.0

    def _on_tick(self, lag: float) -> None:
        """A tick came back `lag` seconds late: let the window in, and adapt it."""
        self.lag = lag
        if lag >= self.busy_after:
            self.window = max(1, self.window // 2)
            return
        released = 0
        while self._waiters and released < self.window:
            turn = self._waiters.popleft()
            if not turn.done():
                turn.set_result(None)
                released += 1
        if self._waiters:  # on time and still a queue: try a bigger window next tick
            self.window = min(self.window + 1, MAX_WINDOW)
