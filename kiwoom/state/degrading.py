"""Redis first, this process's memory when Redis is unreachable: the one place that decides.

Every wrapper here sends each call to its Redis store and, when that raises
:class:`RedisUnavailableError`, answers from the memory store instead. This module is
the only code that catches that error, so "what happens when Redis is down" is written
once. :class:`StorageHealth` reports the outage once when it starts and once when Redis
answers again; the link's back-off keeps a dead Redis from costing a timeout per call.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from kiwoom.errors import RedisUnavailableError
from kiwoom.state.memory import MemoryBreaker, MemoryRateBudget
from kiwoom.state.protocols import (
    BatchOutcome,
    BatchQueue,
    BreakerStore,
    Data,
    RateBudget,
    ResultStore,
    StoredResult,
    TokenStore,
)
from kiwoom.state.redis.link import RedisLink
from kiwoom.state.redis.workers import RedisWorkerRegistry
from kiwoom.state.share import WorkerShare

logger = logging.getLogger("kiwoom.state")

T = TypeVar("T")


class StorageHealth:
    """Whether the workers' shared state is reachable; reports each change once."""

    def __init__(self, link: RedisLink, on_change: Callable[[bool], None] | None = None) -> None:
        self.link = link
        self.healthy = True
        self._on_change = on_change

    async def attempt(self, primary: Callable[[], Awaitable[T]], fallback: Callable[[], Awaitable[T]]) -> T:
        """``primary()`` against Redis; ``fallback()`` from memory when Redis is unreachable."""
        try:
            value = await primary()
        except RedisUnavailableError:
            self._set(healthy=False)
            return await fallback()
        self._set(healthy=True)
        return value

    def _set(self, *, healthy: bool) -> None:
        if healthy == self.healthy:
            return
        self.healthy = healthy
        if healthy:
            logger.warning("Redis 재연결 완료: 공유 상태 사용 재개")
        else:
            logger.warning("Redis 연결 실패, 메모리 백엔드로 계속합니다 (%s)", self.link.last_error)
        if self._on_change is not None:
            self._on_change(healthy)

    async def ping(self) -> bool:
        """Ask Redis now (bounded), so a health report shows the current state."""

        async def unreachable() -> bool:
            return False

        return await self.attempt(self.link.ping, unreachable)

    def report(self) -> dict[str, Any]:
        return {
            "backend": "redis",
            "namespace": self.link.namespace,
            "healthy": self.healthy,
            "serving_from": "redis" if self.healthy else "memory",
            "last_error": self.link.last_error,
        }


class DegradingResultStore:
    """Shared results; while Redis is down this worker caches and loads on its own."""

    def __init__(self, primary: ResultStore, fallback: ResultStore, health: StorageHealth) -> None:
        self._primary, self._fallback, self._health = primary, fallback, health

    async def get(self, key: str) -> StoredResult | None:
        return await self._health.attempt(lambda: self._primary.get(key), lambda: self._fallback.get(key))

    async def set(self, key: str, data: Data, ttl_s: float) -> None:
        await self._health.attempt(
            lambda: self._primary.set(key, data, ttl_s), lambda: self._fallback.set(key, data, ttl_s)
        )

    async def try_lock(self, key: str, owner: str, ttl_s: float) -> bool:
        return await self._health.attempt(
            lambda: self._primary.try_lock(key, owner, ttl_s), lambda: self._fallback.try_lock(key, owner, ttl_s)
        )

    async def renew(self, key: str, owner: str, ttl_s: float) -> bool:
        return await self._health.attempt(
            lambda: self._primary.renew(key, owner, ttl_s), lambda: self._fallback.renew(key, owner, ttl_s)
        )

    async def unlock(self, key: str, owner: str) -> None:
        await self._health.attempt(lambda: self._primary.unlock(key, owner), lambda: self._fallback.unlock(key, owner))


class DegradingTokenStore:
    """The shared token; while Redis is down this worker issues its own and never revokes it."""

    def __init__(self, primary: TokenStore, fallback: TokenStore, health: StorageHealth) -> None:
        self._primary, self._fallback, self._health = primary, fallback, health

    async def load(self) -> tuple[str, float] | None:
        return await self._health.attempt(self._primary.load, self._fallback.load)

    async def store(self, token: str, expires_at: float) -> None:
        await self._health.attempt(
            lambda: self._primary.store(token, expires_at), lambda: self._fallback.store(token, expires_at)
        )

    async def discard(self, token: str) -> None:
        await self._health.attempt(lambda: self._primary.discard(token), lambda: self._fallback.discard(token))

    async def lock(self, owner: str, ttl_s: float) -> bool:
        return await self._health.attempt(
            lambda: self._primary.lock(owner, ttl_s), lambda: self._fallback.lock(owner, ttl_s)
        )

    async def unlock(self, owner: str) -> None:
        await self._health.attempt(lambda: self._primary.unlock(owner), lambda: self._fallback.unlock(owner))

    async def join(self) -> int:
        return await self._health.attempt(self._primary.join, self._fallback.join)

    async def renew(self) -> None:
        await self._health.attempt(self._primary.renew, self._fallback.renew)

    async def leave(self) -> int:
        return await self._health.attempt(self._primary.leave, self._fallback.leave)

    async def forget(self) -> None:
        await self._health.attempt(self._primary.forget, self._fallback.forget)


class DegradingRateBudget:
    """The global per-TR budget; while Redis is down this worker paces on its own bucket.

    The fallback is this worker's share (:class:`~kiwoom.state.share.FairShareBudget`), and
    it is drained each time it takes over: the shared bucket may have just been spent, and
    Kiwoom's would then be empty too.
    """

    def __init__(self, primary: RateBudget, fallback: MemoryRateBudget, health: StorageHealth) -> None:
        self._primary, self._fallback, self._health = primary, fallback, health
        self._local = False

    async def try_take(self, api_id: str) -> float:
        return await self._health.attempt(lambda: self._take_shared(api_id), lambda: self._take_local(api_id))

    async def _take_shared(self, api_id: str) -> float:
        wait = await self._primary.try_take(api_id)
        self._local = False
        return wait

    async def _take_local(self, api_id: str) -> float:
        if not self._local:
            self._local = True
            self._fallback.drain()
        return await self._fallback.try_take(api_id)

    async def refund(self, api_id: str) -> None:
        await self._health.attempt(lambda: self._primary.refund(api_id), lambda: self._fallback.refund(api_id))


class DegradingPresence:
    """This worker's lease in the live-worker registry; what it last read is kept for the outage."""

    def __init__(self, primary: RedisWorkerRegistry, share: WorkerShare, health: StorageHealth) -> None:
        self._primary, self._share, self._health = primary, share, health

    async def renew(self) -> None:
        async def remembered() -> list[str]:
            return list(self._share.live)

        self._share.remember(await self._health.attempt(self._primary.renew, remembered))

    async def release(self) -> None:
        await self._health.attempt(self._primary.release, _nothing)


class DegradingBreaker:
    """The shared breaker, with this worker's own breaker kept warm to take over when Redis is down.

    Every verdict is recorded in both, so the local breaker already knows about a failing
    upstream when it has to decide alone. Transitions are reported by whichever breaker is
    deciding, never by both: the shared one reports its own, and the local one's are
    reported only while Redis is down (``report_local``).
    """

    def __init__(self, primary: BreakerStore, fallback: MemoryBreaker, health: StorageHealth) -> None:
        self._primary, self._fallback, self._health = primary, fallback, health

    def report_local(self) -> bool:
        """Whether the local breaker's transitions are the ones that matter now."""
        return not self._health.healthy

    async def allow(self) -> bool:
        return await self._health.attempt(self._primary.allow, self._fallback.allow)

    async def is_open(self) -> bool:
        return await self._health.attempt(self._primary.is_open, self._fallback.is_open)

    async def record_success(self) -> None:
        await self._fallback.record_success()
        await self._health.attempt(self._primary.record_success, _nothing)

    async def record_failure(self) -> None:
        await self._fallback.record_failure()
        await self._health.attempt(self._primary.record_failure, _nothing)

    async def release_probe(self) -> None:
        await self._fallback.release_probe()
        await self._health.attempt(self._primary.release_probe, _nothing)

    async def snapshot(self) -> dict[str, Any]:
        return await self._health.attempt(self._primary.snapshot, self._fallback.snapshot)


async def _nothing() -> None:
    return None


class DegradingBatchQueue:
    """The workers' batch queue; while Redis is down this worker batches its own codes.

    Codes queued in Redis before it failed are queued again by their waiters (see
    :mod:`kiwoom.resilience.batch`), so a Redis outage delays them instead of losing them.
    """

    def __init__(self, primary: BatchQueue, fallback: BatchQueue, health: StorageHealth) -> None:
        self._primary, self._fallback, self._health = primary, fallback, health

    @property
    def shared(self) -> bool:
        return self._health.healthy

    async def enqueue(self, code: str) -> int:
        return await self._health.attempt(lambda: self._primary.enqueue(code), lambda: self._fallback.enqueue(code))

    async def claim(self, owner: str, window_s: float) -> float:
        return await self._health.attempt(
            lambda: self._primary.claim(owner, window_s), lambda: self._fallback.claim(owner, window_s)
        )

    async def take(self, limit: int) -> tuple[list[str], int]:
        return await self._health.attempt(lambda: self._primary.take(limit), lambda: self._fallback.take(limit))

    async def publish(self, outcomes: dict[str, BatchOutcome]) -> None:
        await self._health.attempt(lambda: self._primary.publish(outcomes), lambda: self._fallback.publish(outcomes))

    async def outcomes(self, codes: list[str]) -> dict[str, BatchOutcome]:
        return await self._health.attempt(lambda: self._primary.outcomes(codes), lambda: self._fallback.outcomes(codes))
