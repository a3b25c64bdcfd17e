"""Per-(app key, api-id) token buckets on the injected clock.

Developers measured about one request per second per TR with a burst of about two, each
TR limited independently; every continuation page counts. The bucket is the simplest
model that reproduces both numbers and lets a test refill it by moving the clock.
"""

from __future__ import annotations


class RateLimiter:
    """A token bucket per key: ``burst`` capacity, ``per_s`` refill; ``per_s <= 0`` never limits."""

    def __init__(self, per_s: float, burst: int) -> None:
        self.per_s = per_s
        self.burst = max(1, burst)
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}  # key -> (tokens, last)

    def allow(self, key: tuple[str, str], now: float) -> bool:
        """Take one token from ``key``'s bucket if it has one."""
        if self.per_s <= 0:
            return True
        tokens, last = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + max(0.0, now - last) * self.per_s)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            return True
        self._buckets[key] = (tokens, now)
        return False

    def clear(self) -> None:
        self._buckets.clear()
