"""Client-side pacing per api-id, so that callers wait instead of provoking 1700.

Kiwoom limits each TR to about one request a second with a burst of about two (measured,
not published), counted when requests *arrive*. A token bucket per api-id, on an
injectable clock and sleep, lets a request go only when a token is there at the moment it
is sent: a caller that finds the bucket empty sleeps until the next token is due, then
checks again. Taking the token at send time (rather than reserving a slot in advance)
keeps the spacing right even when the event loop sends late, and lets every waiter look
at ``still_wanted`` each time it wakes, so callers queued behind the limit are released
at once when the circuit breaker opens.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from kiwoom.state.redis.budget import SharedBucket
from kiwoom.state.redis.link import RedisUnavailableError

_EPSILON = 1e-9
_MIN_WAIT_S = 0.001


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


async def _always() -> bool:
    return True


class PacingCancelledError(Exception):
    """``still_wanted`` said no while waiting: the caller no longer wants to send."""


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
        self.burst = burst
        self._shared = shared
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[str, _Bucket] = {}

    @property
    def enabled(self) -> bool:
        return self.rate_per_s > 0

    def try_take(self, api_id: str) -> float:
        """Take a token for ``api_id`` if one is there (returns 0), else the seconds until one is due."""
        if not self.enabled:
            return 0.0
        now = self._clock()
        bucket = self._buckets.get(api_id)
        if bucket is None:
            bucket = self._buckets[api_id] = _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate_per_s)
        bucket.updated = now
        if bucket.tokens >= 1.0 - _EPSILON:  # a sleep of exactly the computed wait must be enough
            bucket.tokens = max(bucket.tokens - 1.0, 0.0)
            return 0.0
        # At least a millisecond: on an epoch-scale clock a tinier sleep may not move time at all.
        return max((1.0 - bucket.tokens) / self.rate_per_s, _MIN_WAIT_S)

    async def _try_take(self, api_id: str) -> float:
        if self._shared is not None and self.enabled:
            try:
                return await self._shared.try_take(api_id)
            except RedisUnavailableError:
                pass  # this process's own bucket paces alone until Redis is back
        return self.try_take(api_id)

    async def acquire(self, api_id: str, still_wanted: Callable[[], Awaitable[bool]] = _always) -> float:
        """Wait until a request for ``api_id`` may be sent and take its token; returns the seconds waited.

        Raises :class:`PacingCancelledError` if ``still_wanted()`` turns False while waiting.
        """
        waited = 0.0
        while (wait := await self._try_take(api_id)) > 0:
            await self._sleep(wait)
            waited += wait
            if not await still_wanted():
                raise PacingCancelledError(api_id)
        return waited

    async def refund(self, api_id: str) -> None:
        """Give back a token that was taken but not used (the request was not sent after all)."""
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
