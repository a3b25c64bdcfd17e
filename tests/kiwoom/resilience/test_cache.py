"""Response cache (TTL, stale window, LRU) against a dict model, and single-flight loading."""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from kiwoom.errors import InvalidInputError, KiwoomHTTPError
from kiwoom.resilience import CacheHit, CacheStats, ResponseCache, SingleFlight, cache_key
from tests.support.clock import FakeTime

# --- keys ---------------------------------------------------------------------------------


def test_cache_key_is_the_seeds_md5_of_operation_and_sorted_params() -> None:
    params = {"stock_code": "005930", "period": "D"}
    seed = hashlib.md5(f"get_stock_history:{sorted(params.items())!s}".encode()).hexdigest()
    assert cache_key("get_stock_history", params) == seed


@given(st.dictionaries(st.text(max_size=5), st.integers(), max_size=6), st.randoms(use_true_random=False))
def test_cache_key_ignores_parameter_order(params: dict[str, int], rnd: random.Random) -> None:
    items = list(params.items())
    rnd.shuffle(items)
    assert cache_key("op", dict(items)) == cache_key("op", params)


def test_cache_key_separates_operations_and_values() -> None:
    keys = {cache_key("price", {"code": "005930"}), cache_key("info", {"code": "005930"})}
    keys.add(cache_key("price", {"code": "000660"}))
    assert len(keys) == 3


# --- TTL, stale window, LRU: examples ------------------------------------------------------


def make_cache(maxsize: int = 8, stale: float = 60.0) -> tuple[ResponseCache[str], FakeTime]:
    t = FakeTime()
    return ResponseCache[str](maxsize, stale_window_s=stale, clock=t.clock), t


def test_entry_is_fresh_until_exactly_its_ttl_then_stale_then_gone() -> None:
    cache, t = make_cache(stale=60.0)
    cache.set("k", "v", 300.0)
    t.advance(299.0)
    assert cache.get("k") == CacheHit("v", 299.0, True)
    t.advance(1.0)
    assert cache.get("k") == CacheHit("v", 300.0, False)
    assert cache.get_fresh("k") is None
    t.advance(59.0)
    assert cache.get_stale("k") == CacheHit("v", 359.0, False)
    t.advance(1.0)
    assert cache.get("k") is None
    assert len(cache) == 0


def test_zero_stale_window_drops_at_the_ttl() -> None:
    cache, t = make_cache(stale=0.0)
    cache.set("k", "v", 5.0)
    t.advance(5.0)
    assert cache.get_stale("k") is None


def test_overwrite_restarts_the_ttl() -> None:
    cache, t = make_cache()
    cache.set("k", "old", 10.0)
    t.advance(8.0)
    cache.set("k", "new", 10.0)
    t.advance(8.0)
    assert cache.get_fresh("k") == CacheHit("new", 8.0, True)


def test_least_recently_used_entry_is_evicted_and_counted() -> None:
    cache, _ = make_cache(maxsize=2)
    cache.set("a", "1", 100.0)
    cache.set("b", "2", 100.0)
    assert cache.get("a") is not None  # b is now the least recently used
    cache.set("c", "3", 100.0)
    assert (cache.get("a"), cache.get("b")) == (CacheHit("1", 0.0, True), None)
    assert len(cache) == 2
    assert cache.stats.evictions == 1


def test_expired_entries_make_room_without_counting_as_evictions() -> None:
    cache, t = make_cache(maxsize=2, stale=0.0)
    cache.set("a", "1", 1.0)
    cache.set("b", "2", 1.0)
    t.advance(1.0)
    cache.set("c", "3", 1.0)
    assert cache.stats.evictions == 0


def test_stats_count_the_fresh_and_stale_read_paths() -> None:
    cache, t = make_cache()
    cache.set("k", "v", 10.0)
    cache.get_fresh("k")
    cache.get_fresh("missing")
    t.advance(10.0)
    cache.get_fresh("k")  # stale: a miss on the fresh path
    cache.get_stale("k")
    cache.get_stale("missing")
    cache.get("k")  # peeking is not counted
    assert cache.stats == CacheStats(hits=1, misses=2, stale_hits=1, evictions=0)


def test_delete_and_clear() -> None:
    cache, _ = make_cache()
    cache.set("a", "1", 10.0)
    cache.set("b", "2", 10.0)
    cache.delete("a")
    cache.delete("never-there")
    assert (cache.get("a"), len(cache)) == (None, 1)
    cache.clear()
    assert len(cache) == 0


@pytest.mark.parametrize("ttl", [0.0, -1.0, float("inf"), float("nan")])
def test_set_rejects_a_ttl_that_cannot_expire_properly(ttl: float) -> None:
    cache, _ = make_cache()
    with pytest.raises(InvalidInputError, match="ttl_s"):
        cache.set("k", "v", ttl)


@pytest.mark.parametrize(("kwargs", "field"), [({"maxsize": 0}, "maxsize"), ({"stale_window_s": -1.0}, "stale")])
def test_constructor_rejects_unworkable_sizes(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(InvalidInputError, match=field):
        ResponseCache[str](**kwargs)  # type: ignore[arg-type]


# --- TTL, stale window, LRU: against a model -----------------------------------------------

KEYS = st.sampled_from("abcde")
MAXSIZE = 3
STALE = 5


@dataclass
class ModelEntry:
    value: int
    stored_at: float
    ttl: float


class CacheMachine(RuleBasedStateMachine):
    """Integer times keep the model's arithmetic identical to the cache's."""

    def __init__(self) -> None:
        super().__init__()
        self.time = FakeTime()
        self.cache = ResponseCache[int](MAXSIZE, stale_window_s=STALE, clock=self.time.clock)
        self.model: OrderedDict[str, ModelEntry] = OrderedDict()  # least recently used first
        self.evictions = 0

    def _purge(self) -> None:
        now = self.time.clock()
        for key in [k for k, e in self.model.items() if now >= e.stored_at + e.ttl + STALE]:
            del self.model[key]

    @rule(key=KEYS, value=st.integers(), ttl=st.integers(1, 10))
    def set(self, key: str, value: int, ttl: int) -> None:
        self._purge()
        if key not in self.model and len(self.model) == MAXSIZE:
            self.model.popitem(last=False)
            self.evictions += 1
        self.model[key] = ModelEntry(value, self.time.clock(), ttl)
        self.model.move_to_end(key)
        self.cache.set(key, value, ttl)

    @rule(key=KEYS)
    def get(self, key: str) -> None:
        self._purge()
        hit = self.cache.get(key)
        entry = self.model.get(key)
        if entry is None:
            assert hit is None
            return
        self.model.move_to_end(key)
        age = self.time.clock() - entry.stored_at
        assert hit == CacheHit(entry.value, age, age < entry.ttl)

    @rule(key=KEYS)
    def delete(self, key: str) -> None:
        self.model.pop(key, None)
        self.cache.delete(key)

    @rule(seconds=st.integers(0, 12))
    def advance(self, seconds: int) -> None:
        self.time.advance(seconds)

    @invariant()
    def same_size_never_above_maxsize(self) -> None:
        self._purge()
        assert len(self.cache) == len(self.model) <= MAXSIZE
        assert self.cache.stats.evictions == self.evictions


CacheMachine.TestCase.settings = settings(max_examples=50, stateful_step_count=30, deadline=None)
TestCacheAgainstModel = CacheMachine.TestCase


# --- single flight ------------------------------------------------------------------------


class Loaders:
    """Loaders that block on one gate, counting how often each key was loaded."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.calls: Counter[str] = Counter()

    def for_key(self, key: str, fail: bool = False) -> Callable[[], Awaitable[str]]:
        async def load() -> str:
            self.calls[key] += 1
            await self.gate.wait()
            if fail:
                raise KiwoomHTTPError(503, key)
            return f"value-{key}"

        return load


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(100):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never became true")


@pytest.mark.anyio
@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from("abcd"), min_size=1, max_size=20))
async def test_concurrent_callers_of_a_key_share_one_load(keys: list[str]) -> None:
    flight = SingleFlight[str]()
    loaders = Loaders()
    calls = [asyncio.create_task(flight.do(key, loaders.for_key(key))) for key in keys]
    await until(lambda: loaders.calls.total() == len(set(keys)))
    assert flight.in_flight == len(set(keys))
    loaders.gate.set()
    results = await asyncio.gather(*calls)

    assert loaders.calls == Counter(set(keys))
    assert [value for value, _ in results] == [f"value-{key}" for key in keys]
    leaders = Counter(key for key, (_, shared) in zip(keys, results, strict=True) if not shared)
    assert leaders == Counter(set(keys))
    assert flight.in_flight == 0


@pytest.mark.anyio
async def test_a_failure_reaches_every_waiter_and_the_next_call_loads_again() -> None:
    flight = SingleFlight[str]()
    loaders = Loaders()
    calls = [asyncio.create_task(flight.do("k", loaders.for_key("k", fail=True))) for _ in range(3)]
    await until(lambda: loaders.calls["k"] == 1)
    loaders.gate.set()
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    assert all(isinstance(o, KiwoomHTTPError) for o in outcomes)
    assert outcomes[0] is outcomes[1] is outcomes[2]
    assert flight.in_flight == 0

    assert await flight.do("k", loaders.for_key("k")) == ("value-k", False)
    assert loaders.calls["k"] == 2


@pytest.mark.anyio
async def test_cancelling_the_leader_does_not_strand_its_followers() -> None:
    flight = SingleFlight[str]()
    loaders = Loaders()
    leader = asyncio.create_task(flight.do("k", loaders.for_key("k")))
    await until(lambda: loaders.calls["k"] == 1)
    follower = asyncio.create_task(flight.do("k", loaders.for_key("k")))
    await asyncio.sleep(0)
    leader.cancel()
    await until(leader.done)
    assert leader.cancelled()
    loaders.gate.set()
    assert await asyncio.wait_for(follower, timeout=1.0) == ("value-k", True)
    assert loaders.calls["k"] == 1


@pytest.mark.anyio
async def test_an_abandoned_load_still_releases_its_key() -> None:
    flight = SingleFlight[str]()
    loaders = Loaders()
    leader = asyncio.create_task(flight.do("k", loaders.for_key("k", fail=True)))
    await until(lambda: loaders.calls["k"] == 1)
    leader.cancel()
    loaders.gate.set()
    await until(lambda: flight.in_flight == 0)
    assert leader.cancelled()
    assert await flight.do("k", loaders.for_key("k")) == ("value-k", False)


@pytest.mark.anyio
async def test_single_flight_with_cache_stores_only_successes() -> None:
    """The composition the client uses: a failed load leaves nothing behind to replay."""
    cache, _ = make_cache()
    flight = SingleFlight[str]()
    loaders = Loaders()
    loaders.gate.set()

    async def cached(load: Callable[[], Awaitable[str]]) -> str:
        hit = cache.get_fresh("k")
        if hit is not None:
            return hit.value
        value, _ = await flight.do("k", load)
        cache.set("k", value, 300.0)
        return value

    with pytest.raises(KiwoomHTTPError):
        await cached(loaders.for_key("k", fail=True))
    assert len(cache) == 0
    assert await cached(loaders.for_key("k")) == "value-k"
    assert await cached(loaders.for_key("k")) == "value-k"
    assert loaders.calls["k"] == 2
