"""The quote batcher alone: codes queued together go in one request; each caller gets its own answer."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from kiwoom.errors import KiwoomHTTPError, QueueRefusedError
from kiwoom.resilience.batch import SERVED_BY_BATCH, BatchConfig, QuoteBatcher
from kiwoom.resilience.breaker import CircuitBreaker
from kiwoom.state.memory import MemoryBatchQueue, MemoryBreaker
from kiwoom.transport.pacing import CALL_DEADLINE
from tests.support.clock import FakeTime

pytestmark = pytest.mark.anyio

Row = dict[str, Any]


class Upstream:
    """Records each batch and answers known codes with a row (``fail`` makes every batch fail)."""

    def __init__(self, known: set[str] | None = None) -> None:
        self.batches: list[list[str]] = []
        self.known = known
        self.fail: Exception | None = None

    async def send(self, codes: list[str]) -> dict[str, Row | None]:
        self.batches.append(codes)
        await asyncio.sleep(0)
        if self.fail is not None:
            raise self.fail
        return {c: ({"stk_cd": c, "cur_prc": "+100"} if self.known is None or c in self.known else None) for c in codes}


class YieldingTime(FakeTime):
    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.sleep(0)
        self.now += seconds


def make(upstream: Upstream, t: FakeTime, **config: Any) -> tuple[QuoteBatcher, CircuitBreaker]:
    breaker = CircuitBreaker(5, 30.0, clock=t.clock)
    values: dict[str, Any] = {"window_s": 1.0, "gather_s": 0.02, **config}
    batcher = QuoteBatcher(
        MemoryBatchQueue(clock=t.clock),
        upstream.send,
        MemoryBreaker(breaker),
        BatchConfig(**values),
        owner="me",
        monotonic=t.clock,
        sleep=t.sleep,
    )
    return batcher, breaker


@pytest.fixture
def time_() -> YieldingTime:
    return YieldingTime(start=0.0)


async def test_concurrent_codes_go_in_one_request(time_: YieldingTime) -> None:
    upstream = Upstream()
    batcher, _ = make(upstream, time_)
    codes = [f"{i:06d}" for i in range(40)]
    rows = await asyncio.gather(*(batcher.load(c) for c in codes))
    assert upstream.batches == [codes]
    assert [r["stk_cd"] for r in rows if r] == codes
    assert batcher.counts.batches == 1
    assert batcher.counts.largest == 40


async def test_more_than_a_hundred_codes_split_one_window_apart(time_: YieldingTime) -> None:
    upstream = Upstream()
    batcher, _ = make(upstream, time_)
    codes = [f"{i:06d}" for i in range(250)]
    await asyncio.gather(*(batcher.load(c) for c in codes))
    assert [len(b) for b in upstream.batches] == [100, 100, 50]
    assert [c for b in upstream.batches for c in b] == codes  # oldest first
    assert time_.clock() >= 2.0  # three batches, one per one-second window


async def test_an_unknown_code_answers_none_to_its_caller_only(time_: YieldingTime) -> None:
    batcher, _ = make(Upstream(known={"005930"}), time_)
    known, unknown = await asyncio.gather(batcher.load("005930"), batcher.load("999999"))
    assert known is not None
    assert unknown is None


async def test_a_failed_batch_fails_each_caller_and_is_one_failure_to_the_breaker(time_: YieldingTime) -> None:
    upstream = Upstream()
    upstream.fail = KiwoomHTTPError(503, "ka10095")
    batcher, breaker = make(upstream, time_)
    outcomes = await asyncio.gather(*(batcher.load(f"{i:06d}") for i in range(10)), return_exceptions=True)
    assert all(isinstance(o, KiwoomHTTPError) for o in outcomes)
    assert breaker.window_counts == (1, 1)


async def test_a_code_already_waiting_is_not_queued_twice(time_: YieldingTime) -> None:
    upstream = Upstream()
    batcher, _ = make(upstream, time_)
    await asyncio.gather(batcher.load("005930"), batcher.load("005930"), batcher.load("000660"))
    assert upstream.batches == [["005930", "000660"]]


async def test_a_load_marks_its_attempt_as_served_by_a_batch(time_: YieldingTime) -> None:
    batcher, _ = make(Upstream(), time_)
    SERVED_BY_BATCH.set(False)
    await batcher.load("005930")
    assert SERVED_BY_BATCH.get()


async def test_a_code_whose_batch_would_go_after_the_deadline_is_refused_at_once(time_: YieldingTime) -> None:
    upstream = Upstream()
    batcher, _ = make(upstream, time_, max_codes=10)
    waiting = [asyncio.create_task(batcher.load(f"{i:06d}")) for i in range(50)]  # five full batches ahead
    await asyncio.sleep(0)
    token = CALL_DEADLINE.set(time_.clock() + 2.0)
    try:
        with pytest.raises(QueueRefusedError) as info:
            await batcher.load("999990")
    finally:
        CALL_DEADLINE.reset(token)
    assert "호출 기한" in str(info.value)
    await asyncio.gather(*waiting)
    assert "999990" not in [c for b in upstream.batches for c in b]


async def test_lookup_says_busy_only_while_another_lookup_is_in_progress(time_: YieldingTime) -> None:
    batcher, _ = make(Upstream(), time_)
    with batcher.lookup() as first, batcher.lookup() as second:
        assert (first, second) == (False, True)
    with batcher.lookup() as again:
        assert again is False


async def test_close_fails_the_callers_still_waiting(time_: YieldingTime) -> None:
    upstream = Upstream()
    batcher, _ = make(upstream, time_, gather_s=10.0)
    waiting = asyncio.create_task(batcher.load("005930"))
    await asyncio.sleep(0)
    await batcher.close()
    with pytest.raises(Exception, match="배치"):
        await waiting
