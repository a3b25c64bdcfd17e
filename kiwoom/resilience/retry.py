"""Retry with exponential backoff: the seed's 3 attempts, 1 s → 2 s → 4 s, made testable.

Not tenacity or stamina, because the client needs three things they do not give together:
the deadline check must read an injected clock (tenacity's ``stop_after_delay`` reads its
own ``time.monotonic``, so a fake clock cannot drive it), a per-exception *minimum* delay so
that a retry after 1700 waits at least the pacing interval, and the seed's exact log line.
The schedule itself is a pure function (:func:`backoff_delay`) and what to retry is a
predicate (:func:`is_retryable`), as stamina does.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from kiwoom.errors import (
    BatchFailedError,
    EmptyResponseError,
    InvalidInputError,
    KiwoomAPIError,
    KiwoomError,
    KiwoomHTTPError,
    KiwoomResponseError,
    KiwoomTimeoutError,
    KiwoomTransportError,
    RateLimitError,
    RetriesExhausted,
)

T = TypeVar("T")
_logger = logging.getLogger("kiwoom.resilience.retry")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry; the defaults are the seed's."""

    max_attempts: int = 3
    base_delay_s: float = 1.0
    multiplier: float = 2.0
    max_delay_s: float = 30.0
    jitter: Literal["none", "full", "equal"] = "none"
    #: Bound on the whole call, waits included; ``None`` means only ``max_attempts`` stops it.
    deadline_s: float | None = None

    def __post_init__(self) -> None:
        checks = [
            ("max_attempts", self.max_attempts >= 1, "1 이상이어야 합니다"),
            ("base_delay_s", self.base_delay_s >= 0, "0 이상이어야 합니다"),
            ("multiplier", self.multiplier >= 1, "1 이상이어야 합니다"),
            ("max_delay_s", self.max_delay_s >= 0, "0 이상이어야 합니다"),
            ("jitter", self.jitter in ("none", "full", "equal"), "none, full, equal 중 하나여야 합니다"),
            ("deadline_s", self.deadline_s is None or self.deadline_s > 0, "0보다 커야 합니다"),
        ]
        for field, ok, rule in checks:
            if not ok:
                raise InvalidInputError(field, rule)


def backoff_delay(policy: RetryPolicy, retry_index: int, rng: random.Random) -> float:
    """Seconds to wait before retry ``retry_index`` (0-based): ``base * multiplier**i``, capped."""
    try:
        delay = min(policy.max_delay_s, policy.base_delay_s * policy.multiplier**retry_index)
    except OverflowError:
        delay = policy.max_delay_s
    if policy.jitter == "full":
        return rng.uniform(0.0, delay)
    if policy.jitter == "equal":
        return delay / 2 + rng.uniform(0.0, delay / 2)
    return delay


UNEXPECTED_ERROR_CODE = 1999


def is_retryable(exc: BaseException) -> bool:
    """True for failures a second try may fix; auth errors are not, the transport re-issues the token itself."""
    if isinstance(exc, KiwoomTransportError | RateLimitError):
        return True
    if isinstance(exc, BatchFailedError):
        return exc.retryable
    if isinstance(exc, KiwoomHTTPError):
        return exc.status_code >= 500
    if isinstance(exc, KiwoomAPIError):
        # An envelope with a 5xx status (1999 "unexpected error") is the server's fault, not the request's.
        return exc.status_code >= 500 or exc.code == UNEXPECTED_ERROR_CODE
    return isinstance(exc, KiwoomResponseError) and not isinstance(exc, EmptyResponseError)


@dataclass(frozen=True)
class RetryEvent:
    """What :func:`call_with_retry` tells ``on_retry`` before it waits."""

    attempt: int
    max_attempts: int
    delay_s: float
    cause: str


@dataclass(frozen=True)
class RetryOutcome(Generic[T]):
    """A successful call's value and what it cost to get it."""

    value: T
    attempts: int
    waited_s: float


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _no_minimum(_: BaseException) -> float:
    return 0.0


async def _wait_unless(wait: Awaitable[None], stopping: asyncio.Event | None) -> bool:
    """Await ``wait``; False if ``stopping`` was set first (the wait is then abandoned)."""
    if stopping is None:
        await wait
        return True
    waiter, stopper = asyncio.ensure_future(wait), asyncio.ensure_future(stopping.wait())
    try:
        await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (waiter, stopper):
            task.cancel()
        await asyncio.gather(waiter, stopper, return_exceptions=True)
    return not stopping.is_set()


async def call_with_retry(
    fn: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    rng: random.Random | None = None,
    min_delay_for: Callable[[BaseException], float] = _no_minimum,
    on_retry: Callable[[RetryEvent], None] | None = None,
    logger: logging.Logger | None = None,
    stopping: asyncio.Event | None = None,
) -> RetryOutcome[T]:
    """Call ``fn`` until it succeeds, a non-retryable error occurs, attempts run out or the deadline would pass.

    Non-retryable errors (and non-Kiwoom exceptions) propagate unchanged after one call, so
    the caller still sees e.g. :class:`~kiwoom.errors.StockNotFoundError` as itself. Once
    ``stopping`` is set (the server is shutting down) no further attempt is made, and a
    backoff wait in progress ends at once, so the caller falls back within the grace.
    """
    rng = rng if rng is not None else random.Random()
    log = logger if logger is not None else _logger
    deadline = policy.deadline_s
    start = clock()
    waited = 0.0
    attempt = 0
    last: KiwoomError | None = None
    while True:
        attempt += 1
        remaining = None if deadline is None else deadline - (clock() - start)
        if remaining is not None and remaining <= 0 and last is not None:  # a real sleep overshot
            raise RetriesExhausted(last, attempt - 1, deadline_hit=True) from last
        try:
            async with asyncio.timeout(remaining) as scope:
                value = await fn()
        except TimeoutError as exc:
            if not scope.expired():
                raise
            cut = KiwoomTimeoutError(f"호출 기한 {deadline}초 안에 응답이 없어 시도를 중단했습니다")
            raise RetriesExhausted(cut, attempt, deadline_hit=True) from exc
        except KiwoomError as exc:
            if not is_retryable(exc):
                raise
            last = exc
            if attempt >= policy.max_attempts:
                raise RetriesExhausted(exc, attempt) from exc
            if stopping is not None and stopping.is_set():
                raise RetriesExhausted(exc, attempt, shutting_down=True) from exc
            delay = max(backoff_delay(policy, attempt - 1, rng), min_delay_for(exc))
            if deadline is not None and (clock() - start) + delay >= deadline:
                raise RetriesExhausted(exc, attempt, deadline_hit=True) from exc
            event = RetryEvent(attempt, policy.max_attempts, delay, _describe(exc))
            log.warning("재시도 %d/%d, %s초 후 재시도: %s", attempt, policy.max_attempts, round(delay, 3), event.cause)
            if on_retry is not None:
                on_retry(event)
            if not await _wait_unless(sleep(delay), stopping):
                raise RetriesExhausted(exc, attempt, shutting_down=True) from exc
            waited += delay
        else:
            return RetryOutcome(value, attempt, waited)
