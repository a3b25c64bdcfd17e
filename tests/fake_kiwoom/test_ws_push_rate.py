"""The fake's push loop: one burst per period by default; spread pushes keep a fixed rate.

Spread pushes model trades arriving through the second, so their rate must not sag by the
time a push takes (computing the ticks, spreading its frames, a reader's backpressure): 991
items pushed once a second are 991 ticks a second only if each push starts one period after
the previous one started.
"""

from __future__ import annotations

import asyncio
from typing import cast

import pytest

from fake_kiwoom.state import FakeState
from fake_kiwoom.ws_faults import ConnectionFaults
from fake_kiwoom.ws_frames import Registrations
from fake_kiwoom.ws_push import Pusher

pytestmark = pytest.mark.anyio


class SteppedClock:
    """A clock that moves only when someone sleeps on it (or a push spends time)."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


class TimedPusher(Pusher):
    """Records when each push starts; each push costs ``cost_s`` of the clock."""

    def __init__(self, clock: SteppedClock, *, spread_s: float, costs: list[float], pushes: int) -> None:
        async def drop() -> None:
            return None

        async def send(_text: str) -> None:
            return None

        super().__init__(
            cast(FakeState, clock),
            cast(Registrations, None),
            cast(ConnectionFaults, None),
            10,
            send=send,
            event=lambda _api, _fault: None,
            drop=drop,
            spread_s=spread_s,
        )
        self.clock, self.costs, self.starts = clock, costs, list[float]()
        self.pushes, self.enough = pushes, asyncio.Event()

    async def push(self, now: float) -> None:
        self.starts.append(round(now, 6))
        self.clock.now += self.costs[min(len(self.starts), len(self.costs)) - 1]
        if len(self.starts) >= self.pushes:
            self.enough.set()


async def _starts(spread_s: float, costs: list[float], pushes: int) -> list[float]:
    pusher = TimedPusher(SteppedClock(), spread_s=spread_s, costs=costs, pushes=pushes)
    await pusher.run(lambda: 1.0, stalled=lambda: False, closed=pusher.enough)
    return pusher.starts


async def test_spread_pushes_start_one_period_apart_whatever_a_push_costs() -> None:
    starts = await _starts(0.9, [0.95], 4)
    assert starts == [0.1, 1.1, 2.1, 3.1]


async def test_a_spread_loop_far_behind_starts_afresh_instead_of_bursting() -> None:
    starts = await _starts(0.9, [2.5, 0.5], 4)
    assert starts[:2] == [0.1, 2.6]  # 1.5 s late: pushed at once
    assert starts[2] == 3.6  # then a period after that push started, not a run of catch-up pushes


async def test_one_burst_per_period_sleeps_a_period_after_each_push() -> None:
    starts = await _starts(0.0, [0.3], 3)
    assert starts == [1.0, 2.3, 3.6]
