"""Circuit breaker: stop calling Kiwoom for a while when most recent requests have failed.

When the upstream is down, retrying every tool call only adds load and makes each caller
wait through the full backoff schedule, so the breaker opens and calls fail fast (the
client answers from the stale cache instead); after ``cooldown_s`` one probe is let
through, and its verdict closes or reopens the breaker.

It judges the *failure rate* over a sliding time window, the way resilience4j's
time-based sliding window (``failureRateThreshold``, ``minimumNumberOfCalls``) and
Polly's advanced breaker (``FailureRatio``, ``MinimumThroughput``, ``SamplingDuration``)
do, rather than counting consecutive failures. A consecutive count trips on an upstream
that is merely flaky: with many concurrent callers a 30 % error rate regularly puts five
failures side by side, although most requests succeed. So every request outcome goes
into the window, and a failure opens the breaker when the window holds at least
``min_requests`` outcomes of which at least ``failure_rate`` failed. A total outage still
opens it after ``min_requests`` failed requests (when no successes are in the window).
Only a failure is judged: a success never opens the breaker.

The window is ``WINDOW_BUCKETS`` buckets of ``window_s / WINDOW_BUCKETS`` seconds, so its
size stays bounded whatever the traffic, and the shared breaker in Redis keeps exactly
the same buckets: an outcome counts until its bucket is ten buckets old, that is for
between 0.9 and 1.0 times ``window_s``. Outcomes that arrive while the breaker is open
(requests already in flight when it opened) change nothing; the window starts empty
whenever the breaker opens or closes.

The clock is injectable so that tests move time instead of sleeping. ``state`` reports the
stored state: an open breaker whose cooldown has passed still reads ``open`` until
:meth:`CircuitBreaker.allow` admits the probe, so that reading the state never changes it.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from enum import StrEnum

from kiwoom.errors import InvalidInputError

_logger = logging.getLogger("kiwoom.resilience.breaker")

#: How many buckets the sliding window is cut into (the Redis breaker uses the same).
WINDOW_BUCKETS = 10


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Failure-rate breaker over a sliding time window, with a single half-open probe."""

    def __init__(
        self,
        min_requests: int = 5,
        cooldown_s: float = 30.0,
        *,
        failure_rate: float = 0.5,
        window_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        name: str = "kiwoom",
        on_change: Callable[[BreakerState, BreakerState], None] | None = None,
    ) -> None:
        if min_requests < 1:
            raise InvalidInputError("min_requests", "1 이상이어야 합니다")
        if not cooldown_s >= 0:
            raise InvalidInputError("cooldown_s", "0 이상이어야 합니다")
        if not 0 < failure_rate <= 1:
            raise InvalidInputError("failure_rate", "0보다 크고 1 이하여야 합니다")
        if not window_s > 0:
            raise InvalidInputError("window_s", "0보다 커야 합니다")
        self.min_requests = min_requests
        self.cooldown_s = cooldown_s
        self.failure_rate = failure_rate
        self.window_s = window_s
        self.name = name
        self._bucket_s = window_s / WINDOW_BUCKETS
        self._clock = clock
        self._on_change = on_change
        self._state = BreakerState.CLOSED
        self._buckets: dict[int, list[int]] = {}  # bucket number → [requests, failures]
        self._opened_at: float | None = None
        self._probe_out = False

    @property
    def state(self) -> BreakerState:
        return self._state

    @property
    def window_counts(self) -> tuple[int, int]:
        """(requests, failures) in the window now."""
        self._prune(self._bucket_now())
        requests = sum(counts[0] for counts in self._buckets.values())
        failures = sum(counts[1] for counts in self._buckets.values())
        return requests, failures

    @property
    def opened_at(self) -> float | None:
        """Clock reading when the breaker last opened; None while closed."""
        return self._opened_at

    def allow(self) -> bool:
        """May a call go upstream now? In half-open only one probe is out at a time."""
        if self._state is BreakerState.CLOSED:
            return True
        if self._state is BreakerState.OPEN:
            assert self._opened_at is not None
            if self._clock() - self._opened_at < self.cooldown_s:
                return False
            self._transition(BreakerState.HALF_OPEN)
        if self._probe_out:
            return False
        self._probe_out = True
        return True

    def record_success(self) -> None:
        """A request got an answer: one more success in the window, or, half-open, close."""
        if self._state is BreakerState.CLOSED:
            self._count(failed=False)
        elif self._state is BreakerState.HALF_OPEN:
            self._buckets.clear()
            self._probe_out = False
            self._opened_at = None
            self._transition(BreakerState.CLOSED)

    def record_failure(self) -> None:
        """A request failed: open if the window now fails too often, or reopen if it was the probe."""
        if self._state is BreakerState.OPEN:
            return  # in flight before it opened: the cool-down is not pushed back
        if self._state is BreakerState.HALF_OPEN:
            self._open("시험 요청 실패")
            return
        requests, failures = self._count(failed=True)
        if requests >= self.min_requests and failures >= self.failure_rate * requests:
            self._open(f"최근 {self.window_s:g}초 요청 {requests}건 중 {failures}건 실패")

    def release_probe(self) -> None:
        """The probe ended without an upstream verdict (e.g. bad input): let the next call probe instead."""
        if self._state is BreakerState.HALF_OPEN:
            self._probe_out = False

    def snapshot(self) -> dict[str, object]:
        """State for a status tool or log: the window, how long it has been open and when the next probe may go."""
        opened_for = None if self._opened_at is None else self._clock() - self._opened_at
        retry_in = None
        if self._state is BreakerState.OPEN and opened_for is not None:
            retry_in = max(0.0, self.cooldown_s - opened_for)
        elif self._state is BreakerState.HALF_OPEN:
            retry_in = 0.0
        requests, failures = self.window_counts
        return {
            "name": self.name,
            "state": str(self._state),
            "window_requests": requests,
            "window_failures": failures,
            "opened_for_s": opened_for,
            "retry_in_s": retry_in,
        }

    def _bucket_now(self) -> int:
        return math.floor(self._clock() / self._bucket_s)

    def _prune(self, current: int) -> None:
        for bucket in [b for b in self._buckets if b <= current - WINDOW_BUCKETS]:
            del self._buckets[bucket]

    def _count(self, *, failed: bool) -> tuple[int, int]:
        """Add one outcome to the current bucket; (requests, failures) in the window after it."""
        current = self._bucket_now()
        self._prune(current)
        counts = self._buckets.setdefault(current, [0, 0])
        counts[0] += 1
        counts[1] += int(failed)
        return self.window_counts

    def _open(self, reason: str) -> None:
        self._buckets.clear()
        self._probe_out = False
        self._opened_at = self._clock()
        self._transition(BreakerState.OPEN, reason)

    def _transition(self, new: BreakerState, reason: str = "") -> None:
        old, self._state = self._state, new
        if new is BreakerState.OPEN:
            message = f"서킷 브레이커 열림 ({reason}, {self.cooldown_s:g}초 후 재시도)"
        elif new is BreakerState.HALF_OPEN:
            message = "서킷 브레이커 반개방 (시험 요청 1회 허용)"
        else:
            message = "서킷 브레이커 닫힘 (정상 응답 확인)"
        _logger.warning("%s [%s]", message, self.name)
        if self._on_change is not None:
            self._on_change(old, new)
