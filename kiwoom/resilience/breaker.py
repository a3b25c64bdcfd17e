"""Circuit breaker: stop calling Kiwoom for a while after it failed several times in a row.

When the upstream is down, retrying every tool call only adds load and makes each caller
wait through the full backoff schedule. After ``failure_threshold`` consecutive failures the
breaker opens and calls fail fast (the client can answer from the stale cache instead);
after ``cooldown_s`` one probe is let through, and its verdict closes or reopens the breaker.

The clock is injectable so that tests move time instead of sleeping. ``state`` reports the
stored state: an open breaker whose cooldown has passed still reads ``open`` until
:meth:`CircuitBreaker.allow` admits the probe, so that reading the state never changes it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from enum import StrEnum

from kiwoom.errors import InvalidInputError

_logger = logging.getLogger("kiwoom.resilience.breaker")


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Consecutive-failure breaker with a single half-open probe."""

    def __init__(
        self,
        failure_threshold: int = 5,
        cooldown_s: float = 30.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        name: str = "kiwoom",
        on_change: Callable[[BreakerState, BreakerState], None] | None = None,
    ) -> None:
        if failure_threshold < 1:
            raise InvalidInputError("failure_threshold", "1 이상이어야 합니다")
        if not cooldown_s >= 0:
            raise InvalidInputError("cooldown_s", "0 이상이어야 합니다")
        self.failure_threshold = failure_threshold
        self.cooldown_s = cooldown_s
        self.name = name
        self._clock = clock
        self._on_change = on_change
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at: float | None = None
        self._probe_out = False

    @property
    def state(self) -> BreakerState:
        return self._state

    @property
    def consecutive_failures(self) -> int:
        return self._failures

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
        """The upstream answered: close and forget past failures."""
        self._failures = 0
        self._probe_out = False
        self._opened_at = None
        if self._state is not BreakerState.CLOSED:
            self._transition(BreakerState.CLOSED)

    def record_failure(self) -> None:
        """The upstream failed: count it; open at the threshold, or reopen if the probe failed."""
        self._failures += 1
        if self._state is BreakerState.HALF_OPEN or (
            self._state is BreakerState.CLOSED and self._failures >= self.failure_threshold
        ):
            self._probe_out = False
            self._opened_at = self._clock()
            self._transition(BreakerState.OPEN)

    def release_probe(self) -> None:
        """The probe ended without an upstream verdict (e.g. bad input): let the next call probe instead."""
        if self._state is BreakerState.HALF_OPEN:
            self._probe_out = False

    def snapshot(self) -> dict[str, object]:
        """State for a status tool or log: how long it has been open and when the next probe may go."""
        opened_for = None if self._opened_at is None else self._clock() - self._opened_at
        retry_in = None
        if self._state is BreakerState.OPEN and opened_for is not None:
            retry_in = max(0.0, self.cooldown_s - opened_for)
        elif self._state is BreakerState.HALF_OPEN:
            retry_in = 0.0
        return {
            "name": self.name,
            "state": str(self._state),
            "consecutive_failures": self._failures,
            "opened_for_s": opened_for,
            "retry_in_s": retry_in,
        }

    def _transition(self, new: BreakerState) -> None:
        old, self._state = self._state, new
        if new is BreakerState.OPEN:
            message = f"서킷 브레이커 열림 (연속 실패 {self._failures}회, {self.cooldown_s:g}초 후 재시도)"
        elif new is BreakerState.HALF_OPEN:
            message = "서킷 브레이커 반개방 (시험 요청 1회 허용)"
        else:
            message = "서킷 브레이커 닫힘 (정상 응답 확인)"
        _logger.warning("%s [%s]", message, self.name)
        if self._on_change is not None:
            self._on_change(old, new)
