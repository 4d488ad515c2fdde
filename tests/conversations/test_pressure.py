"""Admission by event-loop pressure (`conversations.pressure`): new core work waits while the
loop is saturated, first come first served, never longer than `MAX_WAIT`; an idle loop or one
waiting on the network admits at once."""

from __future__ import annotations

import asyncio
import time

import pytest

from conversations import pressure
from conversations.pressure import LoopPressure


async def test_an_idle_loop_admits_at_once() -> None:
    gate = LoopPressure()
    started = time.perf_counter()
    for _ in range(20):
        await gate.admit()
    assert time.perf_counter() - started < 0.5
    assert gate.admitted_after_wait == 0


async def test_work_waiting_on_the_network_is_not_held_back() -> None:
    gate = LoopPressure()

    async def io_bound() -> None:
        await gate.admit()
        await asyncio.sleep(0.2)  # a slow platform API call: the loop is free meanwhile

    started = time.perf_counter()
    await asyncio.gather(*(io_bound() for _ in range(50)))
    # All 50 ran side by side (one after another would take 10 s; a busy test machine may
    # make a few wait a tick or two).
    assert time.perf_counter() - started < 2.0


async def test_a_saturated_loop_holds_new_work_then_lets_it_in_in_order() -> None:
    gate = LoopPressure()
    await gate.admit()  # the ticker runs
    stop = asyncio.Event()

    async def hog() -> None:  # CPU work in 30 ms slices: each turn of the loop is late
        while not stop.is_set():
            end = time.perf_counter() + 0.03
            while time.perf_counter() < end:
                pass
            await asyncio.sleep(0)

    hogs = [asyncio.create_task(hog()) for _ in range(2)]
    await asyncio.sleep(0.1)
    assert gate.lag >= gate.busy_after
    order: list[int] = []

    async def arrive(n: int) -> None:
        await gate.admit()
        order.append(n)

    waiting = [asyncio.create_task(arrive(n)) for n in range(5)]
    await asyncio.sleep(0.2)
    assert order == []  # nothing let in while the loop is late
    stop.set()
    await asyncio.gather(*hogs)
    await asyncio.wait_for(asyncio.gather(*waiting), 2)
    assert order == [0, 1, 2, 3, 4]
    assert gate.admitted_after_wait == 5


async def test_the_window_grows_while_ticks_are_on_time_and_halves_on_a_late_one() -> None:
    """Additive increase, multiplicative decrease: on-time ticks let in 1, 2, 3, ... waiting
    events (one per tick would cap the server at 200 events a second); a late tick lets none
    in and halves the window."""
    gate = LoopPressure()
    loop = asyncio.get_running_loop()
    turns = [loop.create_future() for _ in range(40)]
    gate._waiters.extend(turns)

    def admitted() -> int:
        return sum(turn.done() for turn in turns)

    seen = []
    for _ in range(4):
        gate._on_tick(0.0)
        seen.append(admitted())
    assert seen == [1, 3, 6, 10]  # windows of 1, 2, 3, 4
    assert gate.window == 5
    gate._on_tick(gate.busy_after)  # late: nobody in, window halved
    assert admitted() == 10
    assert gate.window == 2
    gate._on_tick(0.0)
    assert admitted() == 12
    assert [turn.done() for turn in turns] == [True] * 12 + [False] * 28  # first come, first in
    for _ in range(20):
        gate._on_tick(0.0)
    assert admitted() == 40
    window = gate.window
    gate._on_tick(0.0)  # nobody waits: the window stays where it got to
    assert gate.window == window <= pressure.MAX_WINDOW


async def test_nobody_waits_longer_than_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pressure, "MAX_WAIT", 0.2)
    gate = LoopPressure()
    gate.lag = 1.0  # as if the loop were late, and the ticker never catches up
    gate._ensure_ticker = lambda: None  # type: ignore[method-assign]
    started = time.perf_counter()
    await gate.admit()
    assert 0.15 < time.perf_counter() - started < 1.0


async def test_the_ticker_stops_when_nothing_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pressure, "IDLE_TICKS", 5)
    gate = LoopPressure()
    await gate.admit()
    assert gate._ticker is not None
    await asyncio.wait_for(gate._ticker, 1)
    assert gate.lag == 0.0
