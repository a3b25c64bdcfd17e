"""Response cache with a stale window, and single-flight loading.

The seed caches answers for five minutes under an MD5 of operation and sorted params. Two
additions make that cache useful when Kiwoom misbehaves: an entry stays readable as *stale*
for a while after its TTL (so a failed refresh can still answer, "stale-if-error"), and
concurrent misses for one key share one upstream request (:class:`SingleFlight`), so a burst
of identical tool calls costs one TR request instead of provoking 1700.

The cache is bounded twice: by entries, and by the bytes its values weigh. Entries alone
are no bound on memory: one ``get_stock_history`` answer of 750 daily bars weighs ~650 KB
as Python objects, a price quote ~2 KB, so 2,048 entries of a distinct-key flood held
~630 MB. Each value is weighed once, when it is stored (:func:`value_size`).

Only values are stored; there is no way to cache a failure, so an error is never replayed.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from cachetools import TLRUCache

from kiwoom.errors import InvalidInputError

V = TypeVar("V")


def cache_key(operation: str, params: Mapping[str, Any]) -> str:
    """The seed's ``_get_cache_key``: MD5 of ``operation:sorted(params.items())`` (a key, not a secret)."""
    key_data = f"{operation}:{sorted(params.items())!s}"
    return hashlib.md5(key_data.encode(), usedforsecurity=False).hexdigest()


_CONTAINERS = (dict, list, tuple)


def value_size(value: object) -> int:
    """Bytes ``value`` occupies as Python objects: ``sys.getsizeof`` over every container, key and leaf.

    Results are JSON-shaped (dicts, lists, strings, numbers), which this walks without
    recursion. A string used in many places (a dict key on every bar) is counted at each
    use, so the figure errs high, on the side of memory; the compact JSON length would err
    ~8x low (a 750-bar history: ~80 KB of JSON, ~650 KB of objects), and the budget is
    meant to bound memory.
    """
    getsizeof = sys.getsizeof
    size = 0
    stack = [value]
    while stack:
        item = stack.pop()
        size += getsizeof(item)
        children: Iterable[object]
        if type(item) is dict:
            size += sum(map(getsizeof, item))
            children = item.values()
        elif type(item) is list or type(item) is tuple:
            children = item
        else:
            continue
        for child in children:
            if type(child) in _CONTAINERS:
                stack.append(child)
            else:
                size += getsizeof(child)
    return size


@dataclass(frozen=True)
class CacheHit(Generic[V]):
    """A cached value with its age; ``fresh`` is False inside the stale window."""

    value: V
    age_s: float
    fresh: bool


@dataclass(frozen=True)
class CacheStats:
    """Counts of the two read paths (``get_fresh``: hits, misses; ``get_stale``: stale_hits) and of what gave way.

    ``evictions`` made room under the entry cap, ``byte_evictions`` under the byte budget;
    ``too_large`` counts values not cached because each alone outweighed the whole budget.
    """

    hits: int
    misses: int
    stale_hits: int
    evictions: int
    byte_evictions: int = 0
    too_large: int = 0


@dataclass(frozen=True, slots=True)
class _Entry(Generic[V]):
    value: V
    stored_at: float
    ttl_s: float
    size: int


class _EvictionCountingTLRU(TLRUCache[str, _Entry[V], float]):
    """A TLRUCache whose size is the entries' bytes; it counts the evictions made to fit the byte budget.

    TLRUCache calls ``popitem`` only to make room, after dropping expired items (which are
    not counted); :class:`ResponseCache` enforces the entry cap itself and says so through
    ``for_entries``, so each eviction is counted under its reason.
    """

    evictions = 0
    byte_evictions = 0
    for_entries = False

    def popitem(self) -> tuple[str, _Entry[V]]:
        item = super().popitem()
        if self.for_entries:
            self.evictions += 1
        else:
            self.byte_evictions += 1
        return item


def _entry_size(entry: _Entry[Any]) -> int:
    return entry.size


class ResponseCache(Generic[V]):
    """In-memory LRU of answers; each entry is fresh for its TTL, then stale for ``stale_window_s``, then gone.

    At most ``maxsize`` entries, and at most ``max_bytes`` of values (``None``: no byte
    budget) as weighed by ``sizer`` when stored; least recently used entries give way to
    either bound. Any read that finds an entry (fresh or stale) makes it the most recently
    used. ``len`` and ``nbytes`` count fresh and stale entries alike, since both occupy memory.
    """

    def __init__(
        self,
        maxsize: int = 1024,
        *,
        max_bytes: int | None = None,
        stale_window_s: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
        sizer: Callable[[V], int] = value_size,
    ) -> None:
        if maxsize < 1:
            raise InvalidInputError("maxsize", "1 이상이어야 합니다")
        if max_bytes is not None and max_bytes < 1:
            raise InvalidInputError("max_bytes", "1 이상이어야 합니다")
        if not stale_window_s >= 0:
            raise InvalidInputError("stale_window_s", "0 이상이어야 합니다")
        self.maxsize = maxsize
        self.max_bytes = max_bytes
        self.stale_window_s = stale_window_s
        self._clock = clock
        self._sizer = sizer
        self._data: _EvictionCountingTLRU[V] = _EvictionCountingTLRU(
            max_bytes if max_bytes is not None else sys.maxsize, self._drop_at, clock, _entry_size
        )
        self._hits = self._misses = self._stale_hits = self._too_large = 0

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
        """Store a successful answer for ``ttl_s`` seconds (plus the stale window).

        A value heavier than the whole byte budget is not stored, and the key's older value
        is dropped with it: a newer answer has been seen, so the old one must not pass as fresh.
        """
        if not (ttl_s > 0 and math.isfinite(ttl_s)):
            raise InvalidInputError("ttl_s", "0보다 큰 유한한 값이어야 합니다")
        entry = _Entry(value, self._clock(), ttl_s, self._sizer(value))
        if self.max_bytes is not None and entry.size > self.max_bytes:
            self._too_large += 1
            self._data.pop(key, None)
            return
        self._data[key] = entry
        self._data.for_entries = True
        try:
            while len(self._data) > self.maxsize:
                self._data.popitem()
        finally:
            self._data.for_entries = False

    def delete(self, key: str) -> None:
        self._data.pop(key, None)

    def clear(self) -> None:
        self._data.clear()

    def __len__(self) -> int:
        return len(self._data)

    @property
    def nbytes(self) -> int:
        """Bytes of the values held now, fresh or stale, as weighed when they were stored."""
        self._data.expire()
        return int(self._data.currsize)

    @property
    def stats(self) -> CacheStats:
        data = self._data
        return CacheStats(
            self._hits, self._misses, self._stale_hits, data.evictions, data.byte_evictions, self._too_large
        )


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
