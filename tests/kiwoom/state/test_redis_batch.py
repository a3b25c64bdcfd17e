"""The batch queue in Redis: the workers' codes share one queue and one window, answers travel back."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from kiwoom.resilience.batch import BatchConfig, QuoteBatcher
from kiwoom.resilience.breaker import CircuitBreaker
from kiwoom.state.memory import MemoryBreaker
from kiwoom.state.protocols import BatchOutcome
from kiwoom.state.redis import RedisBatchQueue
from tests.support.redis import namespaced_link

pytestmark = pytest.mark.anyio


async def test_a_queued_code_keeps_its_place_and_number() -> None:
    async with namespaced_link() as link:
        queue = RedisBatchQueue(link, "app-key", "ka10095")
        first = await queue.enqueue("005930")
        assert await queue.enqueue("000660") == first + 1
        assert await queue.enqueue("005930") == first
        assert await queue.take(10) == (["005930", "000660"], first + 1)


async def test_one_window_holder_at_a_time_and_only_while_codes_wait() -> None:
    async with namespaced_link() as link:
        a, b = RedisBatchQueue(link, "app-key", "ka10095"), RedisBatchQueue(link, "app-key", "ka10095")
        assert await a.claim("worker-a", 5.0) == -1  # nothing queued: no window is spent
        await a.enqueue("005930")
        assert await a.claim("worker-a", 5.0) == 0
        wait = await b.claim("worker-b", 5.0)
        assert 4.0 < wait <= 5.0


async def test_outcomes_travel_between_workers() -> None:
    async with namespaced_link() as link:
        a, b = RedisBatchQueue(link, "app-key", "ka10095"), RedisBatchQueue(link, "app-key", "ka10095")
        await a.publish({"005930": BatchOutcome(7, row={"cur_prc": "+100"}), "999999": BatchOutcome(7)})
        assert await b.outcomes(["005930", "999999", "000660"]) == {
            "005930": BatchOutcome(7, row={"cur_prc": "+100"}),
            "999999": BatchOutcome(7),
        }


class Upstream:
    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    async def send(self, codes: list[str]) -> dict[str, dict[str, Any] | None]:
        self.batches.append(codes)
        await asyncio.sleep(0.01)
        return {c: {"stk_cd": c, "cur_prc": "+100"} for c in codes}


async def test_two_workers_codes_go_in_one_batch_and_each_caller_is_answered() -> None:
    upstream = Upstream()
    async with namespaced_link() as link:
        config = BatchConfig(window_s=1.0, gather_s=0.05, poll_s=0.01)

        def worker(owner: str) -> QuoteBatcher:
            breaker = MemoryBreaker(CircuitBreaker(5, 30.0, clock=time.monotonic))
            return QuoteBatcher(
                RedisBatchQueue(link, "app-key", "ka10095"), upstream.send, breaker, config, owner=owner
            )

        a, b = worker("a"), worker("b")
        codes_a = [f"1{i:05d}" for i in range(20)]
        codes_b = [f"2{i:05d}" for i in range(20)]
        rows = await asyncio.gather(*(a.load(c) for c in codes_a), *(b.load(c) for c in codes_b))
        assert [r["stk_cd"] for r in rows if r] == codes_a + codes_b
        assert len(upstream.batches) == 1
        assert sorted(upstream.batches[0]) == sorted(codes_a + codes_b)
        await a.close()
        await b.close()
