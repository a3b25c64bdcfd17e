"""What the guard tells the breaker: the outcome of every request it sends, not one verdict per call.

The breaker judges a failure rate, so successes must be counted as faithfully as failures:
each attempt's answer is one outcome in the window, a 1700 ("slow down") is none.
"""

from __future__ import annotations

from typing import Any

import pytest

from kiwoom.errors import EmptyResponseError, KiwoomError, KiwoomHTTPError, RateLimitError
from kiwoom.resilience.breaker import CircuitBreaker
from kiwoom.resilience.guard import Guard, GuardConfig
from kiwoom.resilience.retry import RetryPolicy
from kiwoom.state.memory import MemoryBreaker, MemoryResultStore
from tests.support.clock import FakeTime

pytestmark = pytest.mark.anyio

Data = dict[str, Any]


class Script:
    """A load that fails with the scripted errors in turn, then answers."""

    def __init__(self, *failures: KiwoomError) -> None:
        self.failures = list(failures)

    async def __call__(self) -> Data:
        if self.failures:
            raise self.failures.pop(0)
        return {"price": 70000, "source": "live"}


async def window_after(*failures: KiwoomError) -> tuple[int, int]:
    """(requests, failures) in the breaker's window after one call whose attempts meet ``failures``, then success."""
    t = FakeTime()
    breaker = CircuitBreaker(5, 30.0, clock=t.clock)
    guard = Guard(
        GuardConfig(retry=RetryPolicy(max_attempts=3, base_delay_s=1.0, deadline_s=45.0)),
        results=MemoryResultStore(),
        breaker=MemoryBreaker(breaker),
        monotonic=t.clock,
        sleep=t.sleep,
        meta=lambda: {"environment": "test"},
    )
    await guard.run("get_stock_price", {"stock_code": "005930"}, Script(*failures))
    return breaker.window_counts


async def test_every_attempt_of_a_retried_call_is_one_outcome() -> None:
    assert await window_after(KiwoomHTTPError(503, "ka10001"), KiwoomHTTPError(503, "ka10001")) == (3, 2)


async def test_a_rate_limit_refusal_is_not_an_outcome() -> None:
    assert await window_after(RateLimitError("ka10001", 1, 1700, "limit", 429)) == (1, 0)


async def test_an_empty_answer_counts_as_a_success() -> None:
    """Blank fields are no data, but Kiwoom did answer: it is up."""
    assert await window_after(EmptyResponseError("ka10001", "빈 응답")) == (1, 0)
