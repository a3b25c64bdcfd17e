"""Response cache with a stale window, and single-flight loading.

The seed caches answers for five minutes under an MD5 of operation and sorted params. Two
additions make that cache useful when Kiwoom misbehaves: an entry stays readable as *stale*
for a while after its TTL (so a failed refresh can still answer, "stale-if-error"), and
concurrent misses for one key share one upstream request (:class:`SingleFlight`), so a burst
of identical tool calls costs one TR request instead of provoking 1700.

Only values are stored; there is no way to cache a failure, so an error is never replayed.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from cachetools import TLRUCache

from kiwoom.errors import InvalidInputError

V = TypeVar("V")


def cache_key(operation: str, params: Mapping[str, Any]) -> str:
    """The seed's ``_get_cache_key``: MD5 of ``operation:sorted(params.items())`` (a key, not a secret)."""
    key_data = f"{operation}:{sorted(params.items())!s}"
    return hashlib.md5(key_data.encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class CacheHit(Generic[V]):
    """A cached value with its age; ``fresh`` is False inside the stale window."""

    value: V
    age_s: float
    fresh: bool


@dataclass(frozen=True)
class CacheStats:
    """Counts of the two read paths: ``get_fresh`` (hits, misses) and ``get_stale`` (stale_hits)."""

    hits: int
    misses: int
    stale_hits: int
    evictions: int


@dataclass(frozen=True, slots=True)
class _Entry(Generic[V]):
    value: V
    stored_at: float
    ttl_s: float


class _EvictionCountingTLRU(TLRUCache[str, _Entry[V], float]):
    """TLRUCache calls ``popitem`` only to make room, after dropping expired items: count those calls."""

    evictions = 0

    def popitem(self) -> tuple[str, _Entry[V]]:
        item = super().popitem()
        self.evictions += 1
        return item


class ResponseCache(Generic[V]):
    """In-memory LRU of answers; each entry is fresh for its TTL, then stale for ``stale_window_s``, then gone.

    Any read that finds an entry (fresh or stale) makes it the most recently used. ``len``
    counts fresh and stale entries alike, since both occupy a slot.
    """

    def __init__(
        self,
        maxsize: int = 1024,
        *,
        stale_window_s: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if maxsize < 1:
            raise InvalidInputError("maxsize", "1 이상이어야 합니다")
        if not stale_window_s >= 0:
            raise InvalidInputError("stale_window_s", "0 이상이어야 합니다")
        self.maxsize = maxsize
        self.stale_window_s = stale_window_s
        self._clock = clock
        self._data: _EvictionCountingTLRU[V] = _EvictionCountingTLRU(maxsize, self._drop_at, clock)
        self._hits = self._misses = self._stale_hits = 0

    def _drop_at(self, _key: str, entry: _Entry[V], _now: float) -> float:
        return entry.stored_at + entry.ttl_s + self.stale_window_s

    def get(self, key: str) -> CacheHit[V] | None:
        """The entry, fresh or stale, without touching the statistics; ``fresh`` iff age < TTL."""
        now = self._clock()
        entry = self._data.get(key)
        if entry is None:
            return None
        age = now - entry.stored_at
        return CacheHit(entry.value, age, age < entry.ttl_s)

    def get_fresh(self, key: str) -> CacheHit[V] | None:
        """The normal read path: a fresh entry counts as a hit, anything else as a miss."""
        hit = self.get(key)
        if hit is None or not hit.fresh:
            self._misses += 1
            return None
        self._hits += 1
        return hit

    def get_stale(self, key: str) -> CacheHit[V] | None:
        """The stale-if-error path: any entry still held, counted as a stale hit when one is served."""
        hit = self.get(key)
        if hit is not None:
            self._stale_hits += 1
        return hit

    def set(self, key: str, value: V, ttl_s: float) -> None:
        """Store a successful answer for ``ttl_s`` seconds (plus the stale window)."""
        if not (ttl_s > 0 and math.isfinite(ttl_s)):
            raise InvalidInputError("ttl_s", "0보다 큰 유한한 값이어야 합니다")
        self._data[key] = _Entry(value, self._clock(), ttl_s)

    def delete(self, key: str) -> None:
        self._data.pop(key, None)

    def clear(self) -> None:
        self._data.clear()

    def __len__(self) -> int:
        return len(self._data)

    @property
    def stats(self) -> CacheStats:
        return CacheStats(self._hits, self._misses, self._stale_hits, self._data.evictions)


class SingleFlight(Generic[V]):
    """Concurrent loads of one key share one call of the loader.

    The loader runs in its own task and every caller awaits it through ``asyncio.shield``: a
    cancelled caller (even the first one) stops waiting, but the load goes on for the others,
    so no follower hangs on a load its leader abandoned. The key is released as soon as the
    load ends, success or failure, so a failure is shared by those already waiting and the
    next call loads again.
    """

    def __init__(self) -> None:
        self._loads: dict[str, asyncio.Task[V]] = {}

    @property
    def in_flight(self) -> int:
        return sum(1 for task in self._loads.values() if not task.done())

    async def do(self, key: str, loader: Callable[[], Awaitable[V]]) -> tuple[V, bool]:
        """Return ``(value, shared)``; ``shared`` is True when another caller's load supplied the value."""
        task = self._loads.get(key)
        if task is not None and not task.done():
            return await asyncio.shield(task), True

        async def load() -> V:
            return await loader()

        task = asyncio.create_task(load(), name=f"singleflight:{key}")
        self._loads[key] = task
        task.add_done_callback(lambda done: self._release(key, done))
        return await asyncio.shield(task), False

    def _release(self, key: str, task: asyncio.Task[V]) -> None:
        if self._loads.get(key) is task:
            del self._loads[key]
        if not task.cancelled():
            task.exception()  # retrieved here too, so an abandoned failure is not reported as "never retrieved"
