"""The guard on its own: a scripted load, memory stores and the tests' fake clock; no HTTP at all."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from kiwoom.errors import (
    BreakerOpenError,
    EmptyResponseError,
    KiwoomHTTPError,
    RateLimitError,
    RetriesExhausted,
    StockNotFoundError,
)
from kiwoom.resilience.breaker import CircuitBreaker
from kiwoom.resilience.guard import Guard, GuardConfig
from kiwoom.resilience.retry import RetryPolicy
from kiwoom.state.memory import MemoryBreaker, MemoryResultStore
from tests.support.clock import FakeTime
from tests.support.scripted import Script

pytestmark = pytest.mark.anyio

Data = dict[str, Any]


def make_guard(t: FakeTime, *, failures: int = 5, **config: Any) -> tuple[Guard, MemoryBreaker]:
    breaker = MemoryBreaker(CircuitBreaker(failures, 30.0, clock=t.clock))
    retry = config.pop("retry", RetryPolicy(max_attempts=3, base_delay_s=1.0, deadline_s=45.0))
    guard = Guard(
        GuardConfig(retry=retry, **config),
        results=MemoryResultStore(),
        breaker=breaker,
        monotonic=t.clock,
        sleep=t.sleep,
        meta=lambda: {"environment": "test"},
    )
    return guard, breaker


async def run(guard: Guard, load: Callable[[], Awaitable[Data]], **kwargs: Any) -> Data:
    return await guard.run("get_stock_price", {"stock_code": "005930"}, load, **kwargs)


def http_503() -> KiwoomHTTPError:
    return KiwoomHTTPError(503, "ka10001")


async def test_a_fresh_result_is_cached_and_answers_the_next_call_without_loading() -> None:
    t = FakeTime()
    guard, _ = make_guard(t)
    load = Script()
    first = await run(guard, load)
    t.advance(10)
    second = await run(guard, load)
    assert (first["source"], second["source"], load.calls) == ("live", "cache", 1)
    assert second["cache_age_s"] == 10.0


async def test_retries_back_off_one_then_two_seconds_and_report_the_attempts() -> None:
    t = FakeTime()
    guard, _ = make_guard(t)
    result = await run(guard, Script(http_503(), http_503()))
    assert (result["source"], result["attempts"], t.sleeps) == ("live", 3, [1.0, 2.0])


async def test_a_1700_waits_at_least_the_configured_pacing_interval() -> None:
    t = FakeTime()
    guard, _ = make_guard(t, retry=RetryPolicy(max_attempts=2, base_delay_s=0.1), rate_limit_wait_s=1.11)
    await run(guard, Script(RateLimitError("ka10001", 1, 1700, "limit", 429)))
    assert t.sleeps == [1.11]


async def test_exhausted_retries_fall_back_to_sample_data_with_the_attempt_count() -> None:
    t = FakeTime()
    guard, _ = make_guard(t)
    result = await run(guard, Script(http_503(), http_503(), http_503()))
    assert (result["source"], result["attempts"], result["placeholder"]) == ("sample", 3, True)
    assert result["note"] == "샘플 데이터 (API 호출 실패)"


async def test_an_expired_result_answers_a_failure_as_stale() -> None:
    t = FakeTime()
    guard, _ = make_guard(t)
    await run(guard, Script())
    t.advance(301)
    result = await run(guard, Script(http_503(), http_503(), http_503()))
    # 301 s old when the call began, plus the 1 s and 2 s backoff waits of the failed retries.
    assert (result["source"], result["price"], result["cache_age_s"]) == ("stale", 70000, 304.0)


async def test_policy_error_raises_the_load_error_instead_of_falling_back() -> None:
    t = FakeTime()
    guard, _ = make_guard(t, fallback="error")
    with pytest.raises(RetriesExhausted) as info:
        await run(guard, Script(http_503(), http_503(), http_503()))
    assert info.value.attempts == 3


async def test_a_per_call_fallback_overrides_the_configured_policy() -> None:
    t = FakeTime()
    guard, _ = make_guard(t)
    with pytest.raises(RetriesExhausted):
        await run(guard, Script(http_503(), http_503(), http_503()), fallback="stale-only")


async def test_an_unknown_stock_is_raised_never_hidden_behind_sample_data() -> None:
    t = FakeTime()
    guard, _ = make_guard(t)
    with pytest.raises(StockNotFoundError):
        await run(guard, Script(StockNotFoundError("ka10001", 1, 1902, "없음", 200)))


async def test_an_empty_answer_falls_back_with_the_empty_note_after_one_attempt() -> None:
    t = FakeTime()
    guard, _ = make_guard(t)
    result = await run(guard, Script(EmptyResponseError("ka10001", "빈 응답")))
    assert (result["source"], result["attempts"], result["note"]) == ("sample", 1, "샘플 데이터 (API 응답 없음)")


async def test_an_open_breaker_answers_without_calling_the_load() -> None:
    t = FakeTime()
    guard, breaker = make_guard(t, failures=1)
    await breaker.record_failure()
    load = Script()
    result = await run(guard, load)
    assert (result["source"], result["attempts"], load.calls) == ("sample", 0, 0)
    assert "서킷 브레이커" in result["fallback_reason"]


async def test_failed_requests_open_the_breaker_and_a_1700_does_not_count() -> None:
    t = FakeTime()
    guard, breaker = make_guard(t, failures=3)
    await run(guard, Script(*(RateLimitError("ka10001", 1, 1700, "limit", 429) for _ in range(3))))
    assert not await breaker.is_open()
    await run(guard, Script(http_503(), http_503(), http_503()))
    assert await breaker.is_open()


async def test_a_load_stopped_by_the_breaker_counts_only_the_requests_it_sent() -> None:
    t = FakeTime()
    guard, _ = make_guard(t)
    result = await run(guard, Script(http_503(), BreakerOpenError()))
    assert (result["source"], result["attempts"]) == ("sample", 1)


async def test_concurrent_identical_calls_share_one_load() -> None:
    t = FakeTime()
    guard, _ = make_guard(t)
    gate = asyncio.Event()
    calls = 0

    async def slow() -> Data:
        nonlocal calls
        calls += 1
        await gate.wait()
        return {"price": 1, "source": "live"}

    tasks = [asyncio.create_task(run(guard, slow)) for _ in range(5)]
    await asyncio.sleep(0)
    gate.set()
    results = await asyncio.gather(*tasks)
    assert calls == 1
    assert {r["price"] for r in results} == {1}


def rate_limited() -> RateLimitError:
    return RateLimitError("ka10001", 1, 1700, "limit", 429)


async def test_a_half_open_probe_that_only_meets_1700s_is_released_for_the_next_call() -> None:
    t = FakeTime()
    guard, breaker = make_guard(t, failures=1)
    await breaker.record_failure()  # open
    t.advance(31)  # past the cool-down: the next call is the half-open probe
    first = await run(guard, Script(rate_limited(), rate_limited(), rate_limited()))
    assert first["attempts"] == 3  # the probe went out, and only ever heard "slow down"
    second = await run(guard, Script())
    assert second["source"] == "live"  # a new probe was admitted and closed the breaker


async def test_retries_stop_with_a_shutdown_reason_once_the_server_is_stopping() -> None:
    t = FakeTime()
    guard, _ = make_guard(t)
    guard.stopping.set()
    result = await run(guard, Script(http_503(), http_503()))
    assert (result["source"], result["attempts"]) == ("sample", 1)
    assert "서버 종료 중" in result["fallback_reason"]
