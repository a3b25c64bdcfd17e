"""The response cache's byte budget: what a value weighs, and what gives way when the budget is full.

Most tests size string values with ``len`` so every figure is exact; the real sizer
(:func:`value_size`) has its own tests.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

from kiwoom.errors import InvalidInputError
from kiwoom.resilience import CacheHit, ResponseCache
from kiwoom.resilience.breaker import CircuitBreaker
from kiwoom.resilience.cache import value_size
from kiwoom.resilience.guard import Guard, GuardConfig
from kiwoom.state.memory import MemoryBreaker, MemoryResultStore
from tests.support.clock import FakeTime


def make_cache(max_bytes: int, maxsize: int = 100, stale: float = 0.0) -> tuple[ResponseCache[str], FakeTime]:
    t = FakeTime()
    cache = ResponseCache[str](maxsize, max_bytes=max_bytes, stale_window_s=stale, clock=t.clock, sizer=len)
    return cache, t


# --- the sizer ----------------------------------------------------------------------------


def test_value_size_sums_getsizeof_over_every_container_key_and_leaf() -> None:
    value: dict[str, Any] = {"bars": [{"close": 74300, "date": "2023-11-06"}], "source": "live", "ok": (True, None)}
    bar = value["bars"][0]
    expected = (
        sys.getsizeof(value)
        + sum(sys.getsizeof(k) for k in value)
        + sys.getsizeof(value["bars"])
        + sys.getsizeof(bar)
        + sum(sys.getsizeof(k) + sys.getsizeof(v) for k, v in bar.items())
        + sys.getsizeof("live")
        + sys.getsizeof(value["ok"])
        + sys.getsizeof(True)
        + sys.getsizeof(None)
    )
    assert value_size(value) == expected


def test_value_size_grows_with_the_number_of_rows() -> None:
    def rows(n: int) -> dict[str, Any]:
        return {"bars": [{"date": f"2023-11-{i:02d}", "close": 70000 + i} for i in range(n)]}

    assert value_size(rows(600)) > 10 * value_size(rows(50)) > 0


# --- accounting ---------------------------------------------------------------------------


def test_stored_bytes_follow_sets_overwrites_and_deletes() -> None:
    cache, _ = make_cache(max_bytes=100)
    cache.set("a", "x" * 10, 60.0)
    cache.set("b", "y" * 20, 60.0)
    assert cache.nbytes == 30
    cache.set("a", "z" * 5, 60.0)
    assert cache.nbytes == 25
    cache.delete("b")
    assert cache.nbytes == 5
    cache.clear()
    assert cache.nbytes == 0


def test_expired_entries_give_their_bytes_back() -> None:
    cache, t = make_cache(max_bytes=100)
    cache.set("a", "x" * 40, 1.0)
    t.advance(1.0)
    cache.set("b", "y" * 10, 60.0)
    assert cache.nbytes == 10
    assert cache.stats.byte_evictions == 0


# --- eviction -----------------------------------------------------------------------------


def test_over_the_byte_budget_least_recently_used_entries_go_until_it_fits() -> None:
    cache, _ = make_cache(max_bytes=100)
    cache.set("a", "a" * 40, 60.0)
    cache.set("b", "b" * 40, 60.0)
    cache.set("c", "c" * 10, 60.0)
    assert cache.get("a") is not None  # b is now the least recently used
    cache.set("d", "d" * 45, 60.0)  # 40 + 40 + 10 + 45 > 100: b goes, and that is enough
    assert cache.get("b") is None
    assert [k for k in "acd" if cache.get(k) is not None] == ["a", "c", "d"]
    assert cache.nbytes == 95
    assert (cache.stats.byte_evictions, cache.stats.evictions) == (1, 0)


def test_several_entries_give_way_to_one_large_value() -> None:
    cache, _ = make_cache(max_bytes=100)
    for key in "abcde":
        cache.set(key, key * 20, 60.0)
    cache.set("big", "B" * 70, 60.0)
    assert [k for k in "abcde" if cache.get(k) is not None] == ["e"]
    assert cache.nbytes == 90
    assert cache.stats.byte_evictions == 4


def test_a_value_over_the_whole_budget_is_not_cached() -> None:
    cache, _ = make_cache(max_bytes=100)
    cache.set("small", "s" * 10, 60.0)
    cache.set("huge", "h" * 101, 60.0)
    assert cache.get("huge") is None
    assert cache.get("small") == CacheHit("s" * 10, 0.0, True)
    assert (cache.nbytes, cache.stats.too_large, cache.stats.byte_evictions) == (10, 1, 0)


def test_a_value_over_the_budget_drops_the_older_value_of_its_key() -> None:
    """The older answer must not keep being served as fresh once a newer one has been seen."""
    cache, _ = make_cache(max_bytes=100)
    cache.set("k", "old", 60.0)
    cache.set("k", "n" * 101, 60.0)
    assert cache.get("k") is None
    assert cache.nbytes == 0


def test_the_entry_cap_still_applies_under_the_byte_budget() -> None:
    cache, _ = make_cache(max_bytes=1000, maxsize=2)
    for key in "abc":
        cache.set(key, key, 60.0)
    assert (len(cache), cache.get("a")) == (2, None)
    assert (cache.stats.evictions, cache.stats.byte_evictions) == (1, 0)


def test_without_a_byte_budget_only_the_entry_cap_evicts() -> None:
    t = FakeTime()
    cache = ResponseCache[str](2, stale_window_s=0.0, clock=t.clock, sizer=len)
    cache.set("a", "a" * 10_000_000, 60.0)
    cache.set("b", "b" * 10_000_000, 60.0)
    assert (len(cache), cache.nbytes, cache.stats.byte_evictions) == (2, 20_000_000, 0)


@pytest.mark.parametrize("max_bytes", [0, -1])
def test_constructor_rejects_a_byte_budget_below_one(max_bytes: int) -> None:
    with pytest.raises(InvalidInputError, match="max_bytes"):
        ResponseCache[str](8, max_bytes=max_bytes)


# --- construction from the guard's configuration --------------------------------------------


def test_the_guard_builds_its_cache_with_the_configured_byte_budget() -> None:
    t = FakeTime()
    guard = Guard(
        GuardConfig(cache_maxsize=10, cache_max_bytes=12345),
        results=MemoryResultStore(),
        breaker=MemoryBreaker(CircuitBreaker(5, 30.0, clock=t.clock)),
        monotonic=t.clock,
        sleep=t.sleep,
    )
    assert (guard.cache.maxsize, guard.cache.max_bytes) == (10, 12345)


def test_the_default_byte_budget_is_64_mib() -> None:
    assert GuardConfig().cache_max_bytes == 64 * 1024 * 1024
