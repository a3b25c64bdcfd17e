"""Client-side pacing per api-id, so that callers wait instead of provoking 1700.

Kiwoom limits each TR to about one request a second with a burst of about two (measured,
not published). A token bucket per api-id, on an injectable clock and sleep, spaces the
requests of every caller in this process; a reservation is taken before sleeping, so
concurrent callers queue in order rather than racing for the same slot.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from kiwoom.shared.link import RedisUnavailableError
from kiwoom.shared.ratelimit import SharedBucket


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RatePacer:
    """Token bucket per api-id: ``burst`` back-to-back requests, then ``rate_per_s``."""

    def __init__(
        self,
        rate_per_s: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        shared: SharedBucket | None = None,
    ) -> None:
        self.rate_per_s = rate_per_s
        self._shared = shared
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[str, _Bucket] = {}

    @property
    def enabled(self) -> bool:
        return self.rate_per_s > 0

    def reserve(self, api_id: str) -> float:
        """Take a slot for ``api_id`` now and return how long to wait before using it."""
        if not self.enabled:
            return 0.0
        now = self._clock()
        bucket = self._buckets.get(api_id)
        if bucket is None:
            bucket = self._buckets[api_id] = _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate_per_s)
        bucket.updated = now
        bucket.tokens -= 1.0
        return 0.0 if bucket.tokens >= 0 else -bucket.tokens / self.rate_per_s

    async def acquire(self, api_id: str) -> float:
        """Wait for a slot for ``api_id``; returns the seconds waited.

        With a shared bucket the slot comes from Redis, so every worker draws on one
        budget; while Redis is down this process's own bucket paces alone.
        """
        if self._shared is not None and self.enabled:
            try:
                wait = await self._shared.reserve(api_id)
            except RedisUnavailableError:
                wait = self.reserve(api_id)
        else:
            wait = self.reserve(api_id)
        if wait > 0:
            try:
                await self._sleep(wait)
            except asyncio.CancelledError:
                await self.refund(api_id)  # the call gave up (deadline): its slot goes back
                raise
        return wait

    async def refund(self, api_id: str) -> None:
        """Give back a slot that was reserved but not used, so abandoned calls leave no debt."""
        if not self.enabled:
            return
        if self._shared is not None:
            try:
                await self._shared.refund(api_id)
                return
            except RedisUnavailableError:
                pass
        bucket = self._buckets.get(api_id)
        if bucket is not None:
            bucket.tokens = min(float(self.burst), bucket.tokens + 1.0)
