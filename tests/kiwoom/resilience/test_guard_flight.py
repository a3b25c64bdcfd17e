"""The guard's cross-worker flight against the real Redis result store: leases, owners and the deadline.

Each ``Guard`` here is one worker: its own cache, single-flight and owner id, sharing only
the Redis namespace of the test. Waits are on the tests' fake clock where Redis's own
time is not involved; a lease lapsing is Redis's real time, so those tests are realtime.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from kiwoom.errors import KiwoomHTTPError
from kiwoom.resilience.breaker import CircuitBreaker
from kiwoom.resilience.cache import cache_key
from kiwoom.resilience.flight import FLIGHT_POLL_S
from kiwoom.resilience.guard import Guard, GuardConfig
from kiwoom.resilience.retry import RetryPolicy
from kiwoom.state.degrading import DegradingResultStore, StorageHealth
from kiwoom.state.memory import MemoryBreaker, MemoryResultStore
from kiwoom.state.protocols import Data, ResultStore, StoredResult
from kiwoom.state.redis import RedisLink, RedisResultStore
from tests.support.clock import FakeTime
from tests.support.redis import namespaced_link
from tests.support.scripted import Script

pytestmark = pytest.mark.anyio

OPERATION = "get_stock_price"
PARAMS = {"stock_code": "005930"}
KEY = cache_key(OPERATION, PARAMS)


class Gated:
    """A load that answers only once the test opens its gate (a slow upstream)."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.started = asyncio.Event()
        self.calls = 0

    async def __call__(self) -> Data:
        self.calls += 1
        self.started.set()
        await self.gate.wait()
        return {"price": 71000, "source": "live"}


class Vanished:
    """A worker's store after kill -9: the lock it took stays, but it never writes, renews or unlocks again."""

    def __init__(self, inner: ResultStore) -> None:
        self.inner = inner

    async def get(self, key: str) -> StoredResult | None:
        return await self.inner.get(key)

    async def set(self, key: str, data: Data, ttl_s: float) -> None:
        return None

    async def try_lock(self, key: str, owner: str, ttl_s: float) -> bool:
        return await self.inner.try_lock(key, owner, ttl_s)

    async def renew(self, key: str, owner: str, ttl_s: float) -> bool:
        return True

    async def unlock(self, key: str, owner: str) -> None:
        return None


@pytest.fixture
async def link() -> AsyncIterator[RedisLink]:
    async with namespaced_link() as shared:
        yield shared


def shared_store(link: RedisLink) -> RedisResultStore:
    return RedisResultStore(link, wall=time.time, stale_window_s=60.0)


def worker(
    link: RedisLink,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    deadline_s: float = 45.0,
    store: ResultStore | None = None,
    **config: Any,
) -> Guard:
    """One worker's guard on the shared namespace (degrading to memory, as wiring builds it)."""
    results = store or DegradingResultStore(shared_store(link), MemoryResultStore(), StorageHealth(link))
    return Guard(
        GuardConfig(retry=RetryPolicy(max_attempts=3, base_delay_s=1.0, deadline_s=deadline_s), **config),
        results=results,
        breaker=MemoryBreaker(CircuitBreaker(5, 30.0, clock=clock)),
        monotonic=clock,
        sleep=sleep,
        meta=lambda: {"environment": "test"},
    )


async def run(guard: Guard, load: Callable[[], Awaitable[Data]]) -> Data:
    return await guard.run(OPERATION, dict(PARAMS), load)


async def holding_the_flight(guard: Guard, load: Gated, store: RedisResultStore) -> asyncio.Task[Data]:
    """Start ``guard``'s call of the key and return once it holds the flight lock and is loading."""
    task = asyncio.create_task(run(guard, load))
    await load.started.wait()
    assert await store.locked(KEY)
    return task


async def test_a_worker_that_finds_its_own_owner_on_the_lock_loads_without_waiting(link: RedisLink) -> None:
    t = FakeTime()
    guard = worker(link, clock=t, sleep=t.sleep)
    assert await shared_store(link).try_lock(KEY, guard.owner, 30.0)  # left behind by an earlier load of ours
    load = Script()
    result = await run(guard, load)
    assert (result["source"], load.calls, t.sleeps) == ("live", 1, [])


async def test_the_lock_a_worker_left_behind_is_released_by_its_next_load(link: RedisLink) -> None:
    store = shared_store(link)
    t = FakeTime()
    guard = worker(link, clock=t, sleep=t.sleep)
    assert await store.try_lock(KEY, guard.owner, 30.0)
    await run(guard, Script())
    assert not await store.locked(KEY)


@pytest.mark.realtime
async def test_a_dead_holders_lock_is_taken_over_within_about_one_lease(link: RedisLink) -> None:
    store = shared_store(link)
    dead = worker(link, store=Vanished(store), flight_lease_s=0.5)
    stuck = Gated()
    holder = await holding_the_flight(dead, stuck, store)
    survivor = worker(link, deadline_s=10.0, flight_lease_s=0.5)
    load = Script()
    started = time.perf_counter()
    result = await run(survivor, load)
    waited = time.perf_counter() - started
    stuck.gate.set()
    await holder
    assert (result["source"], load.calls) == ("live", 1)
    assert waited < 0.5 + 1.5  # one lease and a generous margin; the lock used to outlive the 10 s deadline


@pytest.mark.realtime
async def test_a_live_holder_renews_its_lease_so_others_wait_for_its_value(link: RedisLink) -> None:
    store = shared_store(link)
    # Leases long enough that a busy 2-core CI machine renews them in time (0.3 s lapsed there once).
    holder = worker(link, flight_lease_s=0.8)
    slow = Gated()
    loading = await holding_the_flight(holder, slow, store)
    waiter = worker(link, deadline_s=8.0, flight_lease_s=0.8)
    load = Script()
    waiting = asyncio.create_task(run(waiter, load))
    await asyncio.sleep(2.5)  # three leases: a lock that were not renewed would have lapsed
    slow.gate.set()
    first, second = await loading, await waiting
    assert (first["source"], second["source"], load.calls) == ("live", "cache", 0)


async def test_waiting_for_another_workers_flight_counts_against_the_deadline(link: RedisLink) -> None:
    store = shared_store(link)
    holder = worker(link)
    slow = Gated()
    loading = await holding_the_flight(holder, slow, store)
    t = FakeTime()
    waiter = worker(link, clock=t, sleep=t.sleep, deadline_s=1.0)
    load = Script()
    started = t.now
    result = await run(waiter, load)
    slow.gate.set()
    await loading
    assert (result["source"], load.calls) == ("sample", 0)
    assert t.now - started <= 1.0 + FLIGHT_POLL_S
    assert "호출 기한" in result["fallback_reason"]


async def test_a_load_after_waiting_gets_only_what_is_left_of_the_deadline(link: RedisLink) -> None:
    store = shared_store(link)
    assert await store.try_lock(KEY, "another-worker", 30.0)
    t = FakeTime()
    started = t.now

    async def sleep(seconds: float) -> None:
        await t.sleep(seconds)
        if t.now - started >= 1.5:  # the other worker gives up its flight 1.5 s into our 2 s deadline
            await store.unlock(KEY, "another-worker")

    waiter = worker(link, clock=t, sleep=sleep, deadline_s=2.0)
    load = Script(KiwoomHTTPError(503, "ka10001"), KiwoomHTTPError(503, "ka10001"), KiwoomHTTPError(503, "ka10001"))
    result = await run(waiter, load)
    assert (result["source"], result["attempts"], load.calls) == ("sample", 1, 1)
    assert t.now - started <= 2.0
