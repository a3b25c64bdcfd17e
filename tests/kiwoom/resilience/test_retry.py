"""Retry with backoff: the seed's schedule, what is retried, the deadline, on a fake clock (no real waits)."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiwoom.errors import (
    ConfigurationError,
    EmptyResponseError,
    InvalidInputError,
    KiwoomAPIError,
    KiwoomAuthError,
    KiwoomError,
    KiwoomHTTPError,
    KiwoomResponseError,
    KiwoomTimeoutError,
    KiwoomTransportError,
    RateLimitError,
    StockNotFoundError,
    TokenExpiredError,
)
from kiwoom.resilience import (
    RetriesExhausted,
    RetryEvent,
    RetryPolicy,
    backoff_delay,
    call_with_retry,
    is_retryable,
)
from tests.support.clock import FakeTime

API = "ka10001"
RATE_LIMIT_PACING_S = 1.5

ERRORS: dict[str, Callable[[], BaseException]] = {
    "transport": lambda: KiwoomTransportError("연결 실패"),
    "timeout": lambda: KiwoomTimeoutError("읽기 시간 초과"),
    "http503": lambda: KiwoomHTTPError(503, API),
    "rate_limit": lambda: RateLimitError(API, 5, 1700, "허용된 요청 개수를 초과하였습니다", 429),
    "malformed": lambda: KiwoomResponseError(API, "JSON 해석 실패"),
    "http404": lambda: KiwoomHTTPError(404, API),
    "not_found": lambda: StockNotFoundError(API, 1, 1902, "종목 없음", 200),
    "token": lambda: TokenExpiredError(API, 3, 8005, "토큰 만료", 200),
    "empty": lambda: EmptyResponseError(API, "stk_nm"),
    "invalid": lambda: InvalidInputError("stock_code", "6자리 숫자"),
    "value_error": lambda: ValueError("not ours"),
}
RETRYABLE = {"transport", "timeout", "http503", "rate_limit", "malformed"}
OUTCOMES = ["ok", *ERRORS]


def pacing_floor(exc: BaseException) -> float:
    return RATE_LIMIT_PACING_S if isinstance(exc, RateLimitError) else 0.0


@dataclass
class Script:
    """An upstream that plays a list of outcomes, each taking some (fake) time."""

    outcomes: list[str]
    durations: list[float]
    time: FakeTime
    calls: int = 0
    raised: list[BaseException] = field(default_factory=list)

    async def __call__(self) -> str:
        index = self.calls
        self.calls += 1
        self.time.advance(self.durations[index % len(self.durations)])
        outcome = self.outcomes[index] if index < len(self.outcomes) else "ok"
        if outcome == "ok":
            return f"value-{index}"
        exc = ERRORS[outcome]()
        self.raised.append(exc)
        raise exc


@dataclass
class Expected:
    kind: Literal["value", "raise", "exhausted"]
    attempts: int
    delays: list[float]
    deadline_hit: bool = False


def model(policy: RetryPolicy, outcomes: list[str], durations: list[float], seed: int) -> Expected:
    """What call_with_retry must do, written as the plain loop it replaces."""
    rng = random.Random(seed)
    elapsed, delays = 0.0, list[float]()
    for index in range(policy.max_attempts):
        elapsed += durations[index % len(durations)]
        outcome = outcomes[index] if index < len(outcomes) else "ok"
        if outcome == "ok":
            return Expected("value", index + 1, delays)
        if outcome not in RETRYABLE:
            return Expected("raise", index + 1, delays)
        if index + 1 == policy.max_attempts:
            break
        delay = max(backoff_delay(policy, index, rng), pacing_floor(ERRORS[outcome]()))
        if policy.deadline_s is not None and elapsed + delay >= policy.deadline_s:
            return Expected("exhausted", index + 1, delays, deadline_hit=True)
        delays.append(delay)
        elapsed += delay
    return Expected("exhausted", policy.max_attempts, delays)


policies = st.builds(
    RetryPolicy,
    max_attempts=st.integers(1, 6),
    base_delay_s=st.sampled_from([0.0, 0.5, 1.0, 2.0]),
    multiplier=st.sampled_from([1.0, 1.5, 2.0, 3.0]),
    max_delay_s=st.sampled_from([0.0, 3.0, 30.0]),
    jitter=st.sampled_from(["none", "full", "equal"]),
    deadline_s=st.none() | st.sampled_from([0.5, 2.0, 5.0, 20.0]),
)


# --- the schedule -------------------------------------------------------------------------


def test_seed_schedule_is_one_two_four_seconds() -> None:
    policy = RetryPolicy()
    assert [backoff_delay(policy, i, random.Random(0)) for i in range(3)] == [1.0, 2.0, 4.0]


@given(
    st.floats(0, 10),
    st.floats(1, 4),
    st.floats(0, 60),
    st.integers(0, 2000),
    st.integers(),
)
def test_backoff_without_jitter_is_base_times_multiplier_power_capped(
    base: float, multiplier: float, cap: float, index: int, seed: int
) -> None:
    policy = RetryPolicy(base_delay_s=base, multiplier=multiplier, max_delay_s=cap)
    try:
        expected = min(cap, base * multiplier**index)
    except OverflowError:
        expected = cap
    assert backoff_delay(policy, index, random.Random(seed)) == expected


@given(st.sampled_from(["full", "equal"]), st.floats(0, 10), st.integers(0, 12), st.integers())
def test_jittered_backoff_stays_within_its_band(
    jitter: Literal["full", "equal"], base: float, index: int, seed: int
) -> None:
    policy = RetryPolicy(base_delay_s=base, jitter=jitter)
    ceiling = backoff_delay(RetryPolicy(base_delay_s=base), index, random.Random(0))
    delay = backoff_delay(policy, index, random.Random(seed))
    floor = 0.0 if jitter == "full" else ceiling / 2
    assert floor <= delay <= ceiling


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("max_attempts", 0),
        ("base_delay_s", -1.0),
        ("multiplier", 0.5),
        ("max_delay_s", -0.1),
        ("jitter", "sometimes"),
        ("deadline_s", 0.0),
    ],
)
def test_policy_rejects_unworkable_values_naming_the_field(name: str, value: Any) -> None:
    with pytest.raises(InvalidInputError) as info:
        RetryPolicy(**{name: value})
    assert info.value.field == name


# --- what is retried ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "retryable"),
    [
        (KiwoomTransportError("reset"), True),
        (KiwoomTimeoutError("read"), True),
        (KiwoomHTTPError(500, API), True),
        (KiwoomHTTPError(503, API), True),
        (KiwoomHTTPError(404, API), False),
        (RateLimitError(API, 5, 1700, "too many", 429), True),
        (KiwoomResponseError(API, "cut short"), True),
        (EmptyResponseError(API, "stk_nm"), False),
        (InvalidInputError("stock_code", "6 digits"), False),
        (StockNotFoundError(API, 1, 1902, "없음", 200), False),
        (KiwoomAuthError(API, 3, 8001, "bad key", 200), False),
        (TokenExpiredError(API, 3, 8005, "expired", 200), False),
        (KiwoomAPIError(API, 1, 1504, "wrong path", 400), False),
        (KiwoomAPIError(API, 9, 1999, "unexpected", 500), True),
        (ConfigurationError("no keys"), False),
        (ValueError("not ours"), False),
        (TimeoutError(), False),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else str(v),
)
def test_is_retryable(exc: BaseException, retryable: bool) -> None:
    assert is_retryable(exc) is retryable


# --- call_with_retry as a whole -----------------------------------------------------------


@pytest.mark.anyio
@settings(max_examples=150, deadline=None)
@given(
    policies,
    st.lists(st.sampled_from(OUTCOMES), max_size=7),
    st.lists(st.sampled_from([0.0, 0.1, 1.0, 3.0]), min_size=1, max_size=7),
    st.integers(0, 2**32),
)
async def test_call_with_retry_matches_the_plain_loop(
    policy: RetryPolicy, outcomes: list[str], durations: list[float], seed: int
) -> None:
    t = FakeTime(start=0.0)  # elapsed time then adds up exactly as in the model
    start = t.clock()
    after_sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        await t.sleep(seconds)
        after_sleeps.append(t.clock() - start)

    events: list[RetryEvent] = []
    upstream = Script(outcomes, durations, t)
    expected = model(policy, outcomes, durations, seed)
    call = call_with_retry(
        upstream,
        policy,
        clock=t.clock,
        sleep=sleep,
        rng=random.Random(seed),
        min_delay_for=pacing_floor,
        on_retry=events.append,
    )

    if expected.kind == "value":
        outcome = await call
        assert outcome.value == f"value-{expected.attempts - 1}"
        assert outcome.attempts == expected.attempts
        assert outcome.waited_s == sum(expected.delays)
    elif expected.kind == "raise":
        with pytest.raises((KiwoomError, ValueError)) as info:
            await call
        assert info.value is upstream.raised[-1]
    else:
        with pytest.raises(RetriesExhausted) as exhausted:
            await call
        assert exhausted.value.attempts == expected.attempts
        assert exhausted.value.deadline_hit is expected.deadline_hit
        assert exhausted.value.last_error is upstream.raised[-1]
        assert exhausted.value.__cause__ is upstream.raised[-1]

    assert upstream.calls == expected.attempts <= policy.max_attempts
    assert t.sleeps == expected.delays
    assert [e.delay_s for e in events] == expected.delays
    assert [e.attempt for e in events] == list(range(1, len(expected.delays) + 1))
    if policy.deadline_s is not None:
        assert all(elapsed < policy.deadline_s for elapsed in after_sleeps)


@pytest.mark.anyio
async def test_seed_log_line_and_exhaustion_message(caplog: pytest.LogCaptureFixture) -> None:
    t = FakeTime()

    async def always_down() -> None:
        raise KiwoomHTTPError(503, API)

    with caplog.at_level(logging.WARNING, logger="kiwoom.resilience.retry"), pytest.raises(RetriesExhausted) as info:
        await call_with_retry(always_down, RetryPolicy(), clock=t.clock, sleep=t.sleep)

    assert [r.getMessage() for r in caplog.records] == [
        "재시도 1/3, 1.0초 후 재시도: KiwoomHTTPError: API 응답 오류: HTTP 503 (ka10001)",
        "재시도 2/3, 2.0초 후 재시도: KiwoomHTTPError: API 응답 오류: HTTP 503 (ka10001)",
    ]
    assert str(info.value) == "최대 재시도 횟수 초과: API 응답 오류: HTTP 503 (ka10001)"
    assert (info.value.attempts, info.value.deadline_hit) == (3, False)
    assert t.sleeps == [1.0, 2.0]


@pytest.mark.anyio
async def test_rate_limit_waits_at_least_the_pacing_interval() -> None:
    t = FakeTime()
    upstream = Script(["rate_limit"], [0.0], t)
    policy = RetryPolicy(base_delay_s=0.1)
    outcome = await call_with_retry(upstream, policy, clock=t.clock, sleep=t.sleep, min_delay_for=pacing_floor)
    assert (outcome.value, outcome.attempts, t.sleeps) == ("value-1", 2, [RATE_LIMIT_PACING_S])


@pytest.mark.anyio
async def test_deadline_stops_before_a_wait_that_would_pass_it() -> None:
    t = FakeTime()
    upstream = Script(["transport", "transport", "transport"], [0.5], t)
    with pytest.raises(RetriesExhausted) as info:
        await call_with_retry(upstream, RetryPolicy(deadline_s=3.0), clock=t.clock, sleep=t.sleep)
    # 0.5 s run + 1 s wait + 0.5 s run = 2 s elapsed; the next 2 s wait would pass the 3 s deadline.
    assert (upstream.calls, t.sleeps, info.value.deadline_hit) == (2, [1.0], True)
    assert str(info.value).startswith("호출 기한 초과: ")


@pytest.mark.anyio
async def test_a_wait_ending_exactly_at_the_deadline_is_not_taken() -> None:
    """It would leave no time for the attempt it waits for."""
    t = FakeTime()
    upstream = Script(["transport"], [0.0], t)
    with pytest.raises(RetriesExhausted) as info:
        await call_with_retry(upstream, RetryPolicy(deadline_s=1.0), clock=t.clock, sleep=t.sleep)
    assert (upstream.calls, t.sleeps, info.value.deadline_hit) == (1, [], True)


@pytest.mark.anyio
async def test_a_sleep_that_overshoots_the_deadline_ends_the_call_with_the_last_error() -> None:
    t = FakeTime()
    upstream = Script(["transport"], [0.0], t)

    async def oversleep(seconds: float) -> None:
        await t.sleep(seconds + 5.0)

    with pytest.raises(RetriesExhausted) as info:
        await call_with_retry(upstream, RetryPolicy(deadline_s=2.0), clock=t.clock, sleep=oversleep)
    assert (upstream.calls, info.value.attempts, info.value.deadline_hit) == (1, 1, True)
    assert info.value.last_error is upstream.raised[0]


@pytest.mark.anyio
async def test_attempt_still_running_at_the_deadline_is_cut_off() -> None:
    t = FakeTime()
    never = asyncio.Event()

    async def hangs() -> None:
        await never.wait()

    with pytest.raises(RetriesExhausted) as info:
        await call_with_retry(hangs, RetryPolicy(deadline_s=0.02), clock=t.clock, sleep=t.sleep)
    assert info.value.deadline_hit
    assert info.value.attempts == 1
    assert isinstance(info.value.last_error, KiwoomTimeoutError)


@pytest.mark.anyio
@pytest.mark.parametrize("deadline_s", [None, 10.0])
async def test_callers_own_timeout_error_propagates_unchanged(deadline_s: float | None) -> None:
    t = FakeTime()
    own = TimeoutError("the function's own")

    async def times_out() -> None:
        raise own

    with pytest.raises(TimeoutError) as info:
        await call_with_retry(times_out, RetryPolicy(deadline_s=deadline_s), clock=t.clock, sleep=t.sleep)
    assert info.value is own
    assert t.sleeps == []


@pytest.mark.anyio
async def test_custom_logger_receives_the_warnings(caplog: pytest.LogCaptureFixture) -> None:
    t = FakeTime()
    upstream = Script(["timeout"], [0.0], t)
    custom = logging.getLogger("kiwoom.client.test")
    with caplog.at_level(logging.WARNING):
        await call_with_retry(upstream, RetryPolicy(), clock=t.clock, sleep=t.sleep, logger=custom)
    assert [r.name for r in caplog.records] == ["kiwoom.client.test"]


def test_retries_exhausted_is_a_kiwoom_error() -> None:
    err = RetriesExhausted(KiwoomTransportError("reset"), 3)
    assert isinstance(err, KiwoomError)
    assert (str(err), err.attempts, err.deadline_hit) == ("최대 재시도 횟수 초과: reset", 3, False)
