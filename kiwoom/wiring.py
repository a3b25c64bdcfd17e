"""Build the client's collaborators from :class:`Settings`: the only reader of settings below the facade.

Each layer gets a small value object instead of the settings (the guard a
:class:`GuardConfig`, the pacer a :class:`PacingConfig`), so a setting is interpreted in
exactly one place: the rate margin, for instance, is applied once here, and the wait after
a 1700 is the same interval the pacer keeps. The state seam is chosen here too: memory
stores for one process, or Redis stores behind :mod:`kiwoom.state.degrading` for workers.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx2

from kiwoom.config import Settings
from kiwoom.observe import ClientObserver
from kiwoom.readiness import Readiness
from kiwoom.resilience.batch import BatchConfig, QuoteBatcher, SendBatch
from kiwoom.resilience.breaker import BreakerState, CircuitBreaker
from kiwoom.resilience.guard import Guard, GuardConfig
from kiwoom.resilience.retry import RetryPolicy
from kiwoom.state.degrading import (
    DegradingBatchQueue,
    DegradingBreaker,
    DegradingPresence,
    DegradingRateBudget,
    DegradingResultStore,
    DegradingTokenStore,
    StorageHealth,
)
from kiwoom.state.memory import (
    DetachedTokenStore,
    MemoryBatchQueue,
    MemoryBreaker,
    MemoryResultStore,
    MemoryTokenStore,
)
from kiwoom.state.protocols import BatchQueue, BreakerStore, Presence, RateBudget, ResultStore, TokenStore
from kiwoom.state.redis import (
    RedisBatchQueue,
    RedisBreaker,
    RedisLink,
    RedisRateBudget,
    RedisResultStore,
    RedisTokenStore,
    RedisWorkerRegistry,
)
from kiwoom.state.share import FairShareBudget, WorkerShare
from kiwoom.transport.pacing import PacingConfig, RatePacer
from kiwoom.transport.tokens import TokenManager
from kiwoom.transport.tr import TRTransport

#: The operation under which the ka10099 stock listing is cached (see ``KiwoomClient``).
LISTING_OPERATION = "stock_listing"
#: The TR that answers many codes' quotes in one request (see :mod:`kiwoom.resilience.batch`).
BATCH_TR = "ka10095"

ObserverRef = Callable[[], ClientObserver]


def readiness(settings: Settings, *, monotonic: Callable[[], float]) -> Readiness:
    """How readiness is judged: its own token attempts at most one per ``ready_token_interval_s``."""
    return Readiness(token_interval_s=settings.ready_token_interval_s, monotonic=monotonic)


def pacing_config(settings: Settings) -> PacingConfig:
    return PacingConfig(
        rate_per_s=settings.rate_limit_per_s * settings.rate_limit_margin,
        burst=settings.rate_limit_burst,
        page_delay_s=settings.page_delay_s,
        max_pages=settings.max_pages,
        queue_max=settings.queue_max,
    )


def batch_config(settings: Settings) -> BatchConfig:
    """One batch per pacing interval of the batch TR; a code unanswered after a whole request's time is queued again."""
    return BatchConfig(
        window_s=pacing_config(settings).interval_s,
        gather_s=settings.batch_gather_s,
        max_waiting=settings.queue_max * 100,
        requeue_s=settings.timeout + pacing_config(settings).interval_s + 1.0,
    )


def guard_config(settings: Settings) -> GuardConfig:
    retry = RetryPolicy(
        max_attempts=settings.max_retries,
        base_delay_s=settings.retry_delay,
        jitter=settings.retry_jitter,
        deadline_s=settings.call_deadline_s,
    )
    return GuardConfig(
        retry=retry,
        cache_maxsize=settings.cache_maxsize,
        cache_max_bytes=settings.cache_max_bytes,
        stale_window_s=settings.stale_if_error_s,
        default_ttl_s=settings.cache_ttl,
        ttl_overrides={LISTING_OPERATION: settings.listing_ttl_s, **settings.cache_ttl_overrides},
        fallback=settings.fallback_policy(),
        rate_limit_wait_s=pacing_config(settings).interval_s,
        flight_lease_s=settings.flight_lease_s,
    )


@dataclass(slots=True)
class Storage:
    """The four stores of the state seam, and how to report and close them."""

    results: ResultStore
    breaker: BreakerStore
    tokens_for: Callable[[str], TokenStore]
    budget_for: Callable[[str], RateBudget]
    health: StorageHealth | None = None
    presence_for: Callable[[str], Presence | None] = lambda _key: None
    batch_queue_for: Callable[[str], BatchQueue] = lambda _key: MemoryBatchQueue()
    heartbeat_s: float = 0.0  # renews the leases (worker registry, token users); 0: nothing to renew
    worker_id: str = ""  # this process among the workers sharing Redis (leases, the stream leader)

    async def report(self) -> dict[str, Any]:
        """Where shared state lives now, asking Redis (bounded) so the answer is current."""
        if self.health is None:
            return {"backend": "memory", "healthy": True, "serving_from": "memory"}
        await self.health.ping()
        return self.health.report()

    async def close(self) -> None:
        if self.health is not None:
            await self.health.link.close()


def _breaker_events(
    observer: ObserverRef, *, when: Callable[[], bool] = lambda: True
) -> Callable[[BreakerState, BreakerState], None]:
    """Report a local breaker's transitions to the observer, while ``when()`` says they are the deciding ones."""

    def report(old: BreakerState, new: BreakerState) -> None:
        if when():
            observer().breaker(old.value, new.value)

    return report


def local_breaker(
    settings: Settings, monotonic: Callable[[], float], on_change: Callable[[BreakerState, BreakerState], None]
) -> CircuitBreaker:
    """This process's breaker; ``KIWOOM_BREAKER_FAILURES`` is the requests its window needs before judging."""
    return CircuitBreaker(
        settings.breaker_failures,
        settings.breaker_cooldown_s,
        failure_rate=settings.breaker_failure_rate,
        window_s=settings.breaker_window_s,
        clock=monotonic,
        on_change=on_change,
    )


def build_storage(
    settings: Settings, *, wall: Callable[[], float], monotonic: Callable[[], float], observer: ObserverRef
) -> Storage:
    """Memory stores, or Redis stores that degrade to memory ones while Redis is unreachable."""
    pacing = pacing_config(settings)
    worker_id = uuid.uuid4().hex
    shares: dict[str, WorkerShare] = {}

    def share_of(app_key: str) -> WorkerShare:
        return shares.setdefault(app_key, WorkerShare(worker_id, settings.workers))

    def local_budget(app_key: str) -> FairShareBudget:
        """This worker's share of the budget (all of it with one worker), for when it paces alone."""
        return FairShareBudget(pacing.rate_per_s, pacing.burst, share_of(app_key), clock=monotonic, wall=wall)

    if settings.storage_backend() == "memory":
        breaker = local_breaker(settings, monotonic, _breaker_events(observer))
        return Storage(
            MemoryResultStore(),
            MemoryBreaker(breaker),
            lambda _key: MemoryTokenStore(),
            local_budget,
            batch_queue_for=lambda _key: MemoryBatchQueue(clock=monotonic),
        )
    assert settings.redis_url is not None
    link = RedisLink(
        settings.redis_url,
        namespace=settings.redis_namespace,
        timeout_s=settings.redis_timeout_s,
        retry_s=settings.redis_retry_s,
        monotonic=monotonic,
    )
    health = StorageHealth(link, on_change=lambda ok: observer().storage("redis", ok))
    mirror = local_breaker(settings, monotonic, _breaker_events(observer, when=lambda: not health.healthy))
    shared_breaker = RedisBreaker(
        link,
        min_requests=settings.breaker_failures,
        failure_rate=settings.breaker_failure_rate,
        window_s=settings.breaker_window_s,
        cooldown_s=settings.breaker_cooldown_s,
        on_change=lambda old, new: observer().breaker(old, new),
    )

    def tokens_for(app_key: str) -> TokenStore:
        shared = RedisTokenStore(link, app_key, member=worker_id, lease_s=settings.worker_lease_s)
        return DegradingTokenStore(shared, DetachedTokenStore(), health)

    def presence_for(app_key: str) -> Presence:
        registry = RedisWorkerRegistry(link, app_key, worker_id, settings.worker_lease_s)
        return DegradingPresence(registry, share_of(app_key), health)

    def budget_for(app_key: str) -> RateBudget:
        if pacing.rate_per_s <= 0:
            return local_budget(app_key)
        shared = RedisRateBudget(link, app_key, pacing.rate_per_s, pacing.burst)
        return DegradingRateBudget(shared, local_budget(app_key), health)

    def batch_queue_for(app_key: str) -> BatchQueue:
        local = MemoryBatchQueue(clock=monotonic)
        return DegradingBatchQueue(RedisBatchQueue(link, app_key, BATCH_TR), local, health)

    return Storage(
        results=DegradingResultStore(
            RedisResultStore(link, wall=wall, stale_window_s=settings.stale_if_error_s), MemoryResultStore(), health
        ),
        breaker=DegradingBreaker(shared_breaker, MemoryBreaker(mirror), health),
        tokens_for=tokens_for,
        budget_for=budget_for,
        health=health,
        presence_for=presence_for,
        heartbeat_s=settings.worker_lease_s / 3,
        batch_queue_for=batch_queue_for,
        worker_id=worker_id,
    )


@dataclass(slots=True)
class Wiring:
    """Everything a :class:`~kiwoom.client.KiwoomClient` is made of, built from one settings object."""

    settings: Settings
    storage: Storage
    guard: Guard
    pacing: PacingConfig
    wall: Callable[[], float]
    monotonic: Callable[[], float]
    sleep: Callable[[float], Awaitable[None]]

    def connection(
        self, http: httpx2.AsyncClient, app_key: str, secret_key: str, observer: ClientObserver
    ) -> tuple[TokenManager, TRTransport]:
        """The token manager and TR transport of one app key over ``http``."""
        tokens = TokenManager(
            http,
            app_key,
            secret_key,
            clock=self.wall,
            refresh_margin_s=self.settings.token_refresh_margin_s,
            store=self.storage.tokens_for(app_key),
            sleep=self.sleep,
            monotonic=self.monotonic,
            issue_timeout_s=self.settings.timeout,
            presence=self.storage.presence_for(app_key),
            heartbeat_s=self.storage.heartbeat_s,
            gate=self.storage.breaker,
        )
        pacer = RatePacer(
            self.storage.budget_for(app_key),
            sleep=self.sleep,
            config=self.pacing,
            monotonic=self.monotonic,
            # The transport's observer, looked up at each wait: attach_observer swaps it.
            on_wait=lambda api_id, wait_s, declined: transport.observer.paced(api_id, wait_s, declined=declined),
        )
        transport = TRTransport(
            http,
            tokens,
            pacer,
            gate=self.storage.breaker,
            page_delay_s=self.pacing.page_delay_s,
            max_pages=self.pacing.max_pages,
            sleep=self.sleep,
            observer=observer,
        )
        return tokens, transport

    def quote_batcher(self, app_key: str, send: SendBatch) -> QuoteBatcher:
        """The batcher of one app key's quote lookups, sending through ``send`` (see :mod:`kiwoom.resilience.batch`)."""
        return QuoteBatcher(
            self.storage.batch_queue_for(app_key),
            send,
            self.storage.breaker,
            batch_config(self.settings),
            owner=self.guard.owner,
            monotonic=self.monotonic,
            sleep=self.sleep,
        )


def build(
    settings: Settings,
    *,
    wall: Callable[[], float],
    monotonic: Callable[[], float],
    sleep: Callable[[float], Awaitable[None]],
    observer: ObserverRef,
    meta: Callable[[], dict[str, Any]],
) -> Wiring:
    storage = build_storage(settings, wall=wall, monotonic=monotonic, observer=observer)
    guard = Guard(
        guard_config(settings),
        results=storage.results,
        breaker=storage.breaker,
        monotonic=monotonic,
        sleep=sleep,
        observer=observer,
        meta=meta,
    )
    return Wiring(settings, storage, guard, pacing_config(settings), wall, monotonic, sleep)
