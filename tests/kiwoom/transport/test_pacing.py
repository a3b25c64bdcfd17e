"""The per-api-id pacer spaces requests by the measured Kiwoom limit, without sleeping."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiwoom.state.memory import MemoryRateBudget
from kiwoom.transport.pacing import PacingCancelledError, RatePacer
from tests.support.clock import FakeTime

pytestmark = pytest.mark.anyio


async def test_burst_then_one_per_second() -> None:
    t = FakeTime()
    pacer = RatePacer(MemoryRateBudget(1.0, 2, clock=t.clock), sleep=t.sleep)
    waits = [await pacer.acquire("ka10001") for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.0, 1.0, 1.0, 1.0])


async def test_api_ids_are_independent() -> None:
    t = FakeTime()
    pacer = RatePacer(MemoryRateBudget(1.0, 1, clock=t.clock), sleep=t.sleep)
    assert await pacer.acquire("ka10001") == 0.0
    assert await pacer.acquire("ka10081") == 0.0


async def test_disabled_pacer_never_waits() -> None:
    pacer = RatePacer(MemoryRateBudget(0.0, 1))
    assert all([await pacer.acquire("ka10001") == 0.0 for _ in range(100)])


async def test_late_sends_do_not_shrink_the_spacing() -> None:
    """A token is taken when the request goes out, so a delayed sender cannot crowd the next one."""
    t = FakeTime()
    pacer = RatePacer(MemoryRateBudget(1.0, 1, clock=t.clock), sleep=t.sleep)
    await pacer.acquire("ka10001")
    t.advance(0.7)  # the event loop was busy: nothing was sent meanwhile
    await pacer.acquire("ka10001")
    sent_second = t.clock()
    await pacer.acquire("ka10001")
    assert t.clock() - sent_second >= 1.0


async def test_a_waiter_gives_up_when_no_longer_wanted() -> None:
    t = FakeTime()
    pacer = RatePacer(MemoryRateBudget(1.0, 1, clock=t.clock), sleep=t.sleep)
    await pacer.acquire("ka10001")

    async def breaker_opened() -> bool:
        return False

    with pytest.raises(PacingCancelledError):
        await pacer.acquire("ka10001", breaker_opened)
    assert t.sleeps == [pytest.approx(1.0)]


async def test_refund_returns_an_unused_token() -> None:
    t = FakeTime()
    pacer = RatePacer(MemoryRateBudget(1.0, 1, clock=t.clock), sleep=t.sleep)
    await pacer.acquire("ka10001")
    await pacer.refund("ka10001")
    assert await pacer.acquire("ka10001") == 0.0


@settings(max_examples=40, deadline=None)
@given(
    st.floats(min_value=0.2, max_value=10),
    st.integers(min_value=1, max_value=4),
    st.integers(min_value=1, max_value=25),
)
def test_concurrent_callers_never_exceed_the_bucket(rate: float, burst: int, callers: int) -> None:
    """Send times of many concurrent callers fit the bucket: at most burst + rate*(window) in any window."""

    async def scenario() -> list[float]:
        t = FakeTime(start=0.0)
        pacer = RatePacer(MemoryRateBudget(rate, burst, clock=t.clock), sleep=lambda s: _yield_and_advance(t, s))
        sent: list[float] = []

        async def caller() -> None:
            await pacer.acquire("ka10001")
            sent.append(t.clock())

        await asyncio.gather(*(caller() for _ in range(callers)))
        return sorted(sent)

    sent = asyncio.run(scenario())
    assert len(sent) == callers
    for i, start in enumerate(sent):
        for j in range(i, len(sent)):
            window = sent[j] - start
            assert j - i + 1 <= burst + rate * window + 1e-6


async def _yield_and_advance(t: FakeTime, seconds: float) -> None:
    """A sleep for many concurrent tasks on one fake clock: time moves to the earliest wake-up."""
    target = t.now + seconds
    await asyncio.sleep(0)
    t.now = max(t.now, target)
