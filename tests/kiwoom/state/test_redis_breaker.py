"""The breaker every worker shares through Redis, against a real Redis and the real clock.

Its cool-down is a Redis key expiry, so Redis's clock decides when it ends: a fake clock
cannot move it, and these tests wait (briefly) in real time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from kiwoom.state.redis import RedisBreaker, RedisLink
from tests.support.redis import namespace, shared_redis_url

pytestmark = pytest.mark.anyio


@contextlib.asynccontextmanager
async def redis_link() -> AsyncIterator[RedisLink]:
    """A link under a fresh namespace, which is wiped and closed afterwards."""
    link = RedisLink(shared_redis_url(), namespace=namespace())
    try:
        yield link
    finally:
        keys = [k async for k in link.redis.scan_iter(f"{link.namespace}:*")]
        if keys:
            await link.redis.delete(*keys)
        await link.close()


@pytest.mark.realtime
async def test_a_late_failure_does_not_extend_the_shared_cooldown() -> None:
    """A request already in flight when the breaker opened may fail late; that must not push the probe back."""
    async with redis_link() as link:
        breaker = RedisBreaker(link, failure_threshold=2, cooldown_s=1.0, on_change=lambda old, new: None)
        await breaker.record_failure()
        await breaker.record_failure()
        assert not await breaker.allow()
        await asyncio.sleep(0.7)
        await breaker.record_failure()
        await asyncio.sleep(0.45)
        assert await breaker.allow()  # half-open on time: one probe
