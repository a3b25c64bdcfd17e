"""The pacer's lanes: first come first served per api-id, bounded, and honest about deadlines."""

from __future__ import annotations

import asyncio

import pytest

from kiwoom.errors import QueueRefusedError
from kiwoom.state.memory import MemoryRateBudget
from kiwoom.transport.pacing import CALL_DEADLINE, PacingConfig, RatePacer, WouldWaitError
from tests.support.clock import FakeTime

pytestmark = pytest.mark.anyio


class SteppedTime(FakeTime):
    """Sleeps that yield to the loop, so queued callers really wait behind each other."""

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        for _ in range(5):  # long enough for a caller started meanwhile to join the lane
            await asyncio.sleep(0)
        self.now += seconds


def pacer_on(t: FakeTime, *, rate: float = 1.0, burst: int = 1, queue_max: int = 100) -> RatePacer:
    config = PacingConfig(rate_per_s=rate, burst=burst, queue_max=queue_max)
    return RatePacer(MemoryRateBudget(rate, burst, clock=t.clock), sleep=t.sleep, config=config, monotonic=t.clock)


async def test_queued_callers_are_served_in_arrival_order() -> None:
    t = SteppedTime(start=0.0)
    pacer = pacer_on(t)
    served: list[int] = []

    async def caller(i: int) -> None:
        await pacer.acquire("ka10081")
        served.append(i)

    tasks = []
    for i in range(8):
        tasks.append(asyncio.create_task(caller(i)))
        await asyncio.sleep(0)  # caller i arrives before caller i + 1
    await asyncio.gather(*tasks)
    assert served == list(range(8))


async def test_a_long_pager_goes_to_the_back_of_the_lane_for_each_page() -> None:
    """One caller's ten pages do not hold the lane: another caller's single request goes after one page."""
    t = SteppedTime(start=0.0)
    pacer = pacer_on(t)
    order: list[str] = []
    first_page = asyncio.Event()

    async def pager() -> None:
        for page in range(10):
            await pacer.acquire("ka10081")
            order.append(f"page{page}")
            first_page.set()

    async def single() -> None:
        await pacer.acquire("ka10081")
        order.append("other")

    paging = asyncio.create_task(pager())
    await first_page.wait()  # the pager has its first page and waits for the token of its second
    other = asyncio.create_task(single())
    await asyncio.gather(paging, other)
    assert order[:3] == ["page0", "page1", "other"]  # the next turn was the pager's, the one after it ours


async def test_a_full_lane_refuses_at_once() -> None:
    t = SteppedTime(start=0.0)
    pacer = pacer_on(t, queue_max=3)
    waiting = [asyncio.create_task(pacer.acquire("ka10001")) for _ in range(4)]
    await asyncio.sleep(0)
    with pytest.raises(QueueRefusedError) as info:
        await pacer.acquire("ka10001")
    assert info.value.api_id == "ka10001"
    assert "최대 3건" in str(info.value)
    await asyncio.gather(*waiting)


async def test_a_turn_after_the_deadline_is_refused_without_waiting() -> None:
    t = SteppedTime(start=0.0)
    pacer = pacer_on(t)
    ahead = [asyncio.create_task(pacer.acquire("ka10001")) for _ in range(10)]
    await asyncio.sleep(0)
    token = CALL_DEADLINE.set(t.clock() + 5.0)  # ten ahead at one a second: the turn is ≥ 9 s away
    try:
        slept_before = len(t.sleeps)
        with pytest.raises(QueueRefusedError) as info:
            await pacer.acquire("ka10001")
        assert "호출 기한" in str(info.value)
        assert len(t.sleeps) == slept_before  # refused at once: it never slept
    finally:
        CALL_DEADLINE.reset(token)
    await asyncio.gather(*ahead)


async def test_a_turn_within_the_deadline_waits_its_turn() -> None:
    t = SteppedTime(start=0.0)
    pacer = pacer_on(t)
    ahead = [asyncio.create_task(pacer.acquire("ka10001")) for _ in range(3)]
    await asyncio.sleep(0)
    token = CALL_DEADLINE.set(t.clock() + 30.0)
    try:
        await pacer.acquire("ka10001")
    finally:
        CALL_DEADLINE.reset(token)
    await asyncio.gather(*ahead)
    assert t.clock() >= 3.0


async def test_a_caller_that_will_not_wait_takes_a_spare_token_or_steps_aside() -> None:
    t = SteppedTime(start=0.0)
    pacer = pacer_on(t, burst=2)
    assert await pacer.acquire("ka10001", wait=False) == 0.0
    assert await pacer.acquire("ka10001", wait=False) == 0.0
    with pytest.raises(WouldWaitError):
        await pacer.acquire("ka10001", wait=False)  # the burst is spent
    assert t.sleeps == []
    t.advance(1.0)
    assert await pacer.acquire("ka10001", wait=False) == 0.0
