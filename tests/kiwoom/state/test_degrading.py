"""Redis first, memory when it is unreachable: the degrading wrapper on its own."""

from __future__ import annotations

import pytest

from kiwoom.errors import RedisUnavailableError
from kiwoom.resilience.breaker import CircuitBreaker
from kiwoom.state.degrading import (
    DegradingBreaker,
    DegradingRateBudget,
    DegradingResultStore,
    DegradingTokenStore,
    StorageHealth,
)
from kiwoom.state.memory import DetachedTokenStore, MemoryBreaker, MemoryRateBudget, MemoryResultStore
from kiwoom.state.protocols import StoredResult
from kiwoom.state.redis import RedisLink, RedisResultStore, RedisTokenStore
from kiwoom_lab.loopback import free_port
from tests.support.clock import FakeTime

pytestmark = pytest.mark.anyio


class Switchable:
    """A result store that raises RedisUnavailableError while ``down`` (as a Redis store does)."""

    def __init__(self) -> None:
        self.down = False
        self.stored: dict[str, StoredResult] = {}

    def _check(self) -> None:
        if self.down:
            raise RedisUnavailableError("down")

    async def get(self, key: str) -> StoredResult | None:
        self._check()
        return self.stored.get(key)

    async def set(self, key: str, data: dict[str, object], ttl_s: float) -> None:
        self._check()
        self.stored[key] = StoredResult(data, 0.0, ttl_s)

    async def try_lock(self, key: str, owner: str, ttl_s: float) -> bool:
        self._check()
        return False

    async def renew(self, key: str, owner: str, ttl_s: float) -> bool:
        self._check()
        return False

    async def unlock(self, key: str, owner: str) -> None:
        self._check()


def unreachable_link() -> RedisLink:
    return RedisLink(f"redis://127.0.0.1:{free_port()}/0", timeout_s=0.5, retry_s=5.0)


async def test_an_unreachable_redis_is_answered_from_memory() -> None:
    link = unreachable_link()
    try:
        health = StorageHealth(link)
        store = DegradingResultStore(
            RedisResultStore(link, wall=FakeTime(), stale_window_s=0), MemoryResultStore(), health
        )
        assert await store.get("key") is None
        assert await store.try_lock("key", "me", 1.0) is True  # memory grants every lock
        assert health.report()["serving_from"] == "memory"
        assert health.report()["last_error"]
    finally:
        await link.close()


async def test_an_outage_and_the_recovery_are_each_reported_once() -> None:
    link = unreachable_link()
    changes: list[bool] = []
    primary = Switchable()
    store = DegradingResultStore(primary, MemoryResultStore(), StorageHealth(link, on_change=changes.append))
    try:
        primary.down = True
        for _ in range(3):
            await store.get("key")
        primary.down = False
        await store.set("key", {"price": 1}, 10.0)
        assert (await store.get("key")) is not None
        assert changes == [False, True]
    finally:
        await link.close()


async def test_a_detached_worker_issues_its_own_token_and_does_not_count_as_a_user() -> None:
    link = unreachable_link()
    try:
        tokens = DegradingTokenStore(RedisTokenStore(link, "app-key"), DetachedTokenStore(), StorageHealth(link))
        assert await tokens.load() is None
        assert await tokens.lock("me", 1.0) is True
        assert await tokens.join() == 0
        assert await tokens.leave() == 1  # others may still use the shared token: do not revoke it
    finally:
        await link.close()


async def test_the_rate_budget_paces_locally_while_redis_is_down() -> None:
    t = FakeTime()
    link = unreachable_link()
    try:

        class DeadBudget:
            async def try_take(self, api_id: str) -> float:
                raise RedisUnavailableError("down")

            async def refund(self, api_id: str) -> None:
                raise RedisUnavailableError("down")

        budget = DegradingRateBudget(DeadBudget(), MemoryRateBudget(1.0, 1, clock=t), StorageHealth(link))
        assert await budget.try_take("ka10001") == pytest.approx(1.0)  # from empty: the shared one may be spent
        t.advance(1.0)
        assert await budget.try_take("ka10001") == 0.0
        assert await budget.try_take("ka10001") == pytest.approx(1.0)
    finally:
        await link.close()


async def test_the_local_breaker_is_kept_warm_and_decides_while_redis_is_down() -> None:
    t = FakeTime()
    link = unreachable_link()
    try:
        local = CircuitBreaker(2, 30.0, clock=t)
        breaker = DegradingBreaker(
            MemoryBreaker(CircuitBreaker(99, 30.0, clock=t)), MemoryBreaker(local), StorageHealth(link)
        )
        await breaker.record_failure()
        await breaker.record_failure()
        assert local.state.value == "open"  # recorded in both, so the standby already knows
        assert await breaker.allow() is True  # the healthy primary decides
    finally:
        await link.close()
