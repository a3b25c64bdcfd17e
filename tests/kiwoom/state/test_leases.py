"""Leases in Redis: a member that stops renewing drops out by itself."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from kiwoom.state.redis import RedisLink, RedisTokenStore, RedisWorkerRegistry
from tests.support.redis import namespace, shared_redis_url

pytestmark = [pytest.mark.anyio, pytest.mark.realtime]

LEASE_S = 0.9  # short, so that an expiry fits in a test


@contextlib.asynccontextmanager
async def shared_link() -> AsyncIterator[RedisLink]:
    url, ns = shared_redis_url(), namespace()
    link = RedisLink(url, namespace=ns)
    try:
        yield link
    finally:
        redis = aioredis.Redis.from_url(url)
        keys = [k async for k in redis.scan_iter(f"{ns}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
        await link.close()


async def test_a_token_user_that_stops_renewing_is_no_longer_counted() -> None:
    async with shared_link() as link:
        crashed = RedisTokenStore(link, "app-key", member="crashed", lease_s=LEASE_S)
        live = RedisTokenStore(link, "app-key", member="live", lease_s=LEASE_S)
        assert await crashed.join() == 1
        assert await live.join() == 2
        await asyncio.sleep(LEASE_S + 0.3)
        assert await live.leave() == 0


async def test_the_registry_lists_the_workers_whose_leases_are_renewed() -> None:
    async with shared_link() as link:
        gone = RedisWorkerRegistry(link, "app-key", "gone", LEASE_S)
        here = RedisWorkerRegistry(link, "app-key", "here", LEASE_S)
        await gone.renew()
        assert sorted(await here.renew()) == ["gone", "here"]
        await asyncio.sleep(LEASE_S + 0.3)
        assert await here.renew() == ["here"]
