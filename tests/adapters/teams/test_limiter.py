"""The sliding-window limiter on simulated time."""

from __future__ import annotations

import asyncio

from adapters.teams.limiter import SlidingWindowLimiter, Window
from tests.adapters.teams.harness import FakeTime


async def test_never_more_than_count_in_any_window_and_first_come_first_served() -> None:
    time = FakeTime()
    limiter = SlidingWindowLimiter(
        windows=(Window(3, 1.0), Window(4, 2.0)), clock=time.clock, sleep=time.sleep
    )
    order: list[tuple[int, float]] = []

    async def call(n: int) -> None:
        await limiter.acquire("chat")
        order.append((n, time.now))

    await asyncio.gather(*(call(n) for n in range(12)))
    assert [n for n, _ in order] == list(range(12))
    times = [t for _, t in order]
    assert all(b - a >= 1.0 for a, b in zip(times, times[3:], strict=False))
    assert all(b - a >= 2.0 for a, b in zip(times, times[4:], strict=False))
    assert times[:3] == [times[0]] * 3  # a short burst is fine


async def test_keys_do_not_wait_for_each_other() -> None:
    time = FakeTime()
    limiter = SlidingWindowLimiter(windows=(Window(1, 1.0),), clock=time.clock, sleep=time.sleep)
    await limiter.acquire("a")
    await limiter.acquire("b")
    assert time.sleeps == []
    await limiter.acquire("a")
    assert time.sleeps == [1.0]
