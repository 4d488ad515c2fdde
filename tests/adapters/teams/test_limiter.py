"""The sliding-window limiter (and its rate) on simulated time."""

from __future__ import annotations

import asyncio

import pytest

from adapters.teams.limiter import Rate, SlidingWindowLimiter, TeamsLimiter, Window
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


def _count_within(times: list[float], start: float, length: float) -> int:
    return sum(1 for t in times if start <= t < start + length - 1e-9)


async def test_tenant_pace_is_a_steady_rate_after_a_burst_under_a_30_per_second_bucket() -> None:
    """The tenant's pace: 28 at once, then evenly at 28/s (not in steps of 28 a second),
    never more than 40 in any second, and always within a 30/s bucket with bursts of 30
    (the benchmark's stand-in) with room to spare for timing jitter."""
    time = FakeTime()
    limiter = TeamsLimiter(clock=time.clock, sleep=time.sleep)
    start = time.now
    times: list[float] = []

    async def send(n: int) -> None:
        await limiter.acquire(tenant_id="tenant", conversation_id=f"chat-{n % 60}")
        times.append(time.now - start)

    for n in range(600):  # one at a time: the simulated clock only moves in a sleep
        await send(n)
    assert times[:28] == [0.0] * 28
    assert times[28] == pytest.approx(1 / 28)
    assert times[-1] == pytest.approx((600 - 28) / 28)  # 20.4 s; steps of 28/s took 21 s
    assert all(_count_within(times, t, 1.0) <= 40 for t in times)
    tokens, at = 30.0, 0.0  # the stand-in's bucket, with 30 ms of jitter against us
    for t in times:
        tokens = min(30.0, tokens + (max(t - 0.03, at) - at) * 30.0)
        at = max(t - 0.03, at)
        assert tokens >= 1
        tokens -= 1


async def test_rate_without_windows_lets_a_burst_through_then_paces() -> None:
    time = FakeTime()
    limiter = SlidingWindowLimiter(
        windows=(), rate=Rate(per_second=4.0, burst=2), clock=time.clock, sleep=time.sleep
    )
    start = time.now
    times = []
    for _ in range(6):
        await limiter.acquire("t")
        times.append(time.now - start)
    assert times == pytest.approx([0.0, 0.0, 0.25, 0.5, 0.75, 1.0])
    time.now += 10  # a quiet spell refills the bucket, but never beyond its burst
    start = time.now
    await limiter.acquire("t")
    await limiter.acquire("t")
    await limiter.acquire("t")
    assert time.now - start == pytest.approx(0.25)
