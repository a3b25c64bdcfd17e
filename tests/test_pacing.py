"""The per-api-id pacer spaces requests by the measured Kiwoom limit, without sleeping."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiwoom.pacing import RatePacer
from tests.timing import FakeTime


@pytest.mark.anyio
async def test_burst_then_one_per_second() -> None:
    t = FakeTime()
    pacer = RatePacer(1.0, 2, clock=t.clock, sleep=t.sleep)
    waits = [await pacer.acquire("ka10001") for _ in range(5)]
    assert waits == [0.0, 0.0, 1.0, 1.0, 1.0]


@pytest.mark.anyio
async def test_api_ids_are_independent() -> None:
    t = FakeTime()
    pacer = RatePacer(1.0, 1, clock=t.clock, sleep=t.sleep)
    assert await pacer.acquire("ka10001") == 0.0
    assert await pacer.acquire("ka10081") == 0.0


def test_disabled_pacer_never_waits() -> None:
    pacer = RatePacer(0.0, 1)
    assert all(pacer.reserve("ka10001") == 0.0 for _ in range(100))


@given(
    st.floats(min_value=0.1, max_value=10),
    st.integers(min_value=1, max_value=5),
    st.integers(min_value=1, max_value=60),
)
def test_reservations_never_exceed_the_rate(rate: float, burst: int, count: int) -> None:
    """Scheduled start times of N back-to-back reservations fit the bucket: at most burst + rate*t by time t."""
    pacer = RatePacer(rate, burst, clock=lambda: 0.0)
    starts = sorted(pacer.reserve("ka10001") for _ in range(count))
    for i, start in enumerate(starts):
        assert i + 1 <= burst + rate * start + 1e-9
