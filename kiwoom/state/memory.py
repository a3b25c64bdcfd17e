"""The state seam for one process: nothing to share, so most of it is trivially local.

Within one process the guard's own cache and single-flight already give one load per key,
and the token manager already holds its token, so the result and token stores here only
answer "no other worker has it" and grant every lock. The rate budget and the breaker do
real work: they are the per-process token bucket and :class:`CircuitBreaker`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kiwoom.resilience.breaker import BreakerState, CircuitBreaker
from kiwoom.state.protocols import BatchOutcome, Data, StoredResult

_EPSILON = 1e-9
_MIN_WAIT_S = 0.001


class MemoryResultStore:
    """No other worker: nothing stored elsewhere, and every flight lock is this process's."""

    async def get(self, key: str) -> StoredResult | None:
        return None

    async def set(self, key: str, data: Data, ttl_s: float) -> None:
        return None

    async def try_lock(self, key: str, owner: str, ttl_s: float) -> bool:
        return True

    async def renew(self, key: str, owner: str, ttl_s: float) -> bool:
        return True

    async def unlock(self, key: str, owner: str) -> None:
        return None


class MemoryTokenStore:
    """The only user of its token: issue when needed, and revoke it on close."""

    async def load(self) -> tuple[str, float] | None:
        return None

    async def store(self, token: str, expires_at: float) -> None:
        return None

    async def discard(self, token: str) -> None:
        return None

    async def lock(self, owner: str, ttl_s: float) -> bool:
        return True

    async def unlock(self, owner: str) -> None:
        return None

    async def join(self) -> int:
        return 1

    async def renew(self) -> None:
        return None

    async def leave(self) -> int:
        return 0

    async def forget(self) -> None:
        return None


class DetachedTokenStore(MemoryTokenStore):
    """A worker cut off from the shared token (Redis down): issue alone, but never revoke.

    Other workers may still use the shared token, and this one cannot count them, so it
    neither joins the users nor, on close, revokes what it might share.
    """

    async def join(self) -> int:
        return 0

    async def leave(self) -> int:
        return 1


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class MemoryRateBudget:
    """Token bucket per api-id: ``burst`` back-to-back requests, then ``rate_per_s``."""

    def __init__(self, rate_per_s: float, burst: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._start_full = True

    def take_now(self, api_id: str) -> float:
        """Take a token for ``api_id`` if one is there (returns 0), else the seconds until one is due."""
        if self.rate_per_s <= 0:
            return 0.0
        now = self._clock()
        bucket = self._buckets.get(api_id)
        if bucket is None:
            bucket = self._buckets[api_id] = _Bucket(float(self.burst) if self._start_full else 0.0, now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate_per_s)
        bucket.updated = now
        if bucket.tokens >= 1.0 - _EPSILON:  # a sleep of exactly the computed wait must be enough
            bucket.tokens = max(bucket.tokens - 1.0, 0.0)
            return 0.0
        # At least a millisecond: on an epoch-scale clock a tinier sleep may not move time at all.
        return max((1.0 - bucket.tokens) / self.rate_per_s, _MIN_WAIT_S)

    async def try_take(self, api_id: str) -> float:
        return self.take_now(api_id)

    def drain(self) -> None:
        """Empty every bucket, new ones included: taking over from a shared bucket that may be spent."""
        self._buckets.clear()
        self._start_full = False

    async def refund(self, api_id: str) -> None:
        bucket = self._buckets.get(api_id)
        if bucket is not None and self.rate_per_s > 0:
            bucket.tokens = min(float(self.burst), bucket.tokens + 1.0)


class MemoryBreaker:
    """The in-process :class:`CircuitBreaker` behind the async :class:`BreakerStore` interface."""

    def __init__(self, breaker: CircuitBreaker) -> None:
        self.local = breaker

    async def allow(self) -> bool:
        return self.local.allow()

    async def is_open(self) -> bool:
        return self.local.state is BreakerState.OPEN

    async def record_success(self) -> None:
        self.local.record_success()

    async def record_failure(self) -> None:
        self.local.record_failure()

    async def release_probe(self) -> None:
        self.local.release_probe()

    async def snapshot(self) -> dict[str, Any]:
        return {**self.local.snapshot(), "shared": False}


class MemoryBatchQueue:
    """One worker's batch queue: codes in arrival order and the time the next window opens."""

    shared = False

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._queued: dict[str, int] = {}  # insertion-ordered: oldest first
        self._seq = 0
        self._window_ends = float("-inf")

    async def enqueue(self, code: str) -> int:
        if code not in self._queued:
            self._seq += 1
            self._queued[code] = self._seq
        return self._queued[code]

    async def claim(self, owner: str, window_s: float) -> float:
        if not self._queued:
            return -1.0
        now = self._clock()
        if now < self._window_ends:
            return max(self._window_ends - now, _MIN_WAIT_S)
        self._window_ends = now + window_s
        return 0.0

    async def take(self, limit: int) -> tuple[list[str], int]:
        codes = list(self._queued)[:limit]
        seqs = [self._queued.pop(code) for code in codes]
        return codes, max(seqs, default=0)

    async def publish(self, outcomes: dict[str, BatchOutcome]) -> None:
        return None  # nobody else to tell: the batcher answers its callers itself

    async def outcomes(self, codes: list[str]) -> dict[str, BatchOutcome]:
        return {}
