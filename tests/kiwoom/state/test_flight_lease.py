"""The flight lock as a lease in Redis: re-entrant for its owner, renewable only by its owner."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from kiwoom.state.degrading import DegradingResultStore, StorageHealth
from kiwoom.state.memory import MemoryResultStore
from kiwoom.state.redis import RedisLink, RedisResultStore
from kiwoom_lab.loopback import free_port
from tests.support.redis import namespaced_link

pytestmark = pytest.mark.anyio


@pytest.fixture
async def link() -> AsyncIterator[RedisLink]:
    async with namespaced_link() as shared:
        yield shared


@pytest.fixture
def store(link: RedisLink) -> RedisResultStore:
    return RedisResultStore(link, wall=time.time, stale_window_s=0)


async def lease_left_ms(link: RedisLink, key: str) -> int:
    redis: aioredis.Redis = link.redis
    return int(await redis.pttl(link.key("flight", key)))


async def test_the_owner_of_a_flight_lock_takes_it_again(store: RedisResultStore) -> None:
    assert await store.try_lock("k", "worker-a", 30.0)
    assert await store.try_lock("k", "worker-a", 30.0)


async def test_another_owner_cannot_take_a_held_flight_lock(store: RedisResultStore) -> None:
    assert await store.try_lock("k", "worker-a", 30.0)
    assert not await store.try_lock("k", "worker-b", 30.0)


async def test_the_owner_renews_its_lease(link: RedisLink, store: RedisResultStore) -> None:
    assert await store.try_lock("k", "worker-a", 0.5)
    assert await store.renew("k", "worker-a", 30.0)
    assert await lease_left_ms(link, "k") > 20_000


async def test_another_owner_cannot_renew_a_lease(link: RedisLink, store: RedisResultStore) -> None:
    assert await store.try_lock("k", "worker-a", 0.5)
    assert not await store.renew("k", "worker-b", 30.0)
    assert await lease_left_ms(link, "k") <= 500


async def test_a_renewal_never_recreates_a_released_lock(store: RedisResultStore) -> None:
    assert await store.try_lock("k", "worker-a", 30.0)
    await store.unlock("k", "worker-a")
    assert not await store.renew("k", "worker-a", 30.0)
    assert not await store.locked("k")


async def test_a_renewal_while_redis_is_unreachable_is_granted_by_memory() -> None:
    link = RedisLink(f"redis://127.0.0.1:{free_port()}/0", timeout_s=0.5, retry_s=5.0)
    try:
        health = StorageHealth(link)
        degrading = DegradingResultStore(
            RedisResultStore(link, wall=time.time, stale_window_s=0), MemoryResultStore(), health
        )
        assert await degrading.renew("k", "worker-a", 3.0)
        assert health.report()["serving_from"] == "memory"
    finally:
        await link.close()
