"""The resilience chain around one client operation: cache → breaker → single-flight → retry → fallback.

For a call of ``operation`` with ``params``:

1. a fresh cached result answers at once (``source: "cache"``);
2. an open circuit breaker skips upstream entirely and goes to the fallback;
3. concurrent identical calls share one upstream load (single-flight);
4. the load retries what can succeed on retry with exponential backoff, inside a deadline;
5. when it fails: a stale cached result within the stale-if-error window (``"stale"``),
   else the seed's sample data with its ``note`` (``"sample"``), as the fallback policy allows.

Errors that retrying cannot fix and that are the caller's to see (an unknown stock, an
auth failure) are raised, never papered over with sample data.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from kiwoom.config import Settings
from kiwoom.errors import (
    BreakerOpenError,
    ConfigurationError,
    EmptyResponseError,
    InvalidInputError,
    KiwoomAPIError,
    KiwoomError,
    RateLimitError,
)
from kiwoom.observe import ClientObserver
from kiwoom.operations.samples import NOTE_EMPTY, NOTE_FAILED, sample_for
from kiwoom.resilience import (
    CacheHit,
    CircuitBreaker,
    ResponseCache,
    RetriesExhausted,
    RetryEvent,
    RetryPolicy,
    SingleFlight,
    cache_key,
    call_with_retry,
    is_retryable,
)
from kiwoom.state.redis.breaker import LocalBreaker
from kiwoom.state.redis.link import RedisUnavailableError
from kiwoom.state.redis.results import SharedCache, SharedEntry
from kiwoom.transport.tr import SEND_GATE

logger = logging.getLogger("kiwoom.resilience")

Data = dict[str, Any]
FLIGHT_POLL_S = 0.02  # how often a waiting worker looks for the value another worker is loading


@dataclass(frozen=True, slots=True)
class Loaded:
    """A live result and how many attempts it took."""

    data: Data
    attempts: int
    shared_age_s: float | None = None  # set when another worker loaded it (read from Redis)


def _callers_to_see(exc: KiwoomError) -> bool:
    """Errors that sample data must not hide: Kiwoom's own verdicts (unknown stock, auth) and bad settings.

    Envelopes that blame the server (1700, or a 5xx status such as 1999) are outages, not verdicts.
    A Redis error reaching here is a bug (every Redis call falls back to memory), so it is raised.
    """
    if isinstance(exc, RedisUnavailableError):
        return True
    if isinstance(exc, RateLimitError) or (isinstance(exc, KiwoomAPIError) and exc.status_code >= 500):
        return False
    return isinstance(exc, KiwoomAPIError | ConfigurationError | InvalidInputError)


class Guard:
    """Owns the cache, breaker and single-flight of one client, and runs operations through them."""

    def __init__(
        self,
        settings: Settings,
        *,
        monotonic: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
        observer: Callable[[], ClientObserver],
        rng: random.Random | None = None,
        shared: SharedCache | None = None,
        breaker: Callable[[CircuitBreaker], LocalBreaker] = LocalBreaker,
        meta: Callable[[], Data] = dict,
    ) -> None:
        self.settings = settings
        self._monotonic = monotonic
        self._sleep = sleep
        self._observer = observer
        self._rng = rng or random.Random()
        self.cache: ResponseCache[Data] = ResponseCache(
            settings.cache_maxsize, stale_window_s=settings.stale_if_error_s, clock=monotonic
        )
        self.flight: SingleFlight[Loaded] = SingleFlight()
        self.local_breaker = CircuitBreaker(
            settings.breaker_failures,
            settings.breaker_cooldown_s,
            clock=monotonic,
            on_change=lambda old, new: self._observer().breaker(old.value, new.value),
        )
        self.breaker = breaker(self.local_breaker)
        self.shared = shared
        self._meta = meta  # environment and timestamp for results made here (sample data)
        self.owner = uuid.uuid4().hex
        self.policy = RetryPolicy(
            max_attempts=settings.max_retries,
            base_delay_s=settings.retry_delay,
            jitter=settings.retry_jitter,
            deadline_s=settings.call_deadline_s,
        )

    def _pacing_floor(self, exc: BaseException) -> float:
        """After a 1700, wait at least one pacing interval before asking again."""
        rate = self.settings.rate_limit_per_s
        return 1.0 / rate if isinstance(exc, RateLimitError) and rate > 0 else 0.0

    async def run(self, operation: str, params: dict[str, Any], load: Callable[[], Awaitable[Data]]) -> Data:
        """``load()`` through the chain; the result carries ``source``, ``attempts`` and ``latency_ms``."""
        started = time.perf_counter()
        key = cache_key(operation, params)
        observer = self._observer()
        hit = self.cache.get_fresh(key)
        if hit is not None:
            observer.cache(operation, "hit")
            return self._finish(hit.value, started, source="cache", attempts=0, cache_age_s=hit.age_s)
        observer.cache(operation, "miss")
        try:
            loaded, coalesced = await self.flight.do(key, lambda: self._resolve(operation, key, load))
        except KiwoomError as exc:
            if _callers_to_see(exc):
                raise
            attempts = exc.sent if isinstance(exc, BreakerOpenError) else exc.attempts
            return await self._fallback(operation, params, key, exc, started, attempts=attempts)
        if coalesced:
            observer.cache(operation, "coalesced")
        if loaded.shared_age_s is not None:
            return self._finish(loaded.data, started, source="cache", attempts=0, cache_age_s=loaded.shared_age_s)
        return self._finish(loaded.data, started, source=loaded.data["source"], attempts=loaded.attempts)

    async def _resolve(self, operation: str, key: str, load: Callable[[], Awaitable[Data]]) -> Loaded:
        """What the one in-process caller of a key does: shared cache, then breaker, then the load.

        Running these inside the single-flight means a burst of identical calls costs one
        Redis lookup and one breaker decision, not one per caller.
        """
        remote = await self._shared_get(key)
        if remote is not None and remote.fresh:
            self.cache.set(key, remote.data, max(remote.ttl_s - remote.age_s, 0.001))
            return Loaded(remote.data, 0, shared_age_s=remote.age_s)
        if not await self.breaker.allow():
            raise BreakerOpenError()
        return await self._load_once(operation, key, load)

    async def _shared_get(self, key: str) -> SharedEntry | None:
        if self.shared is None:
            return None
        try:
            return await self.shared.get(key)
        except RedisUnavailableError:
            return None

    async def _load_once(self, operation: str, key: str, load: Callable[[], Awaitable[Data]]) -> Loaded:
        """Load ``key`` once across every worker: take the flight lock, or wait for its holder's value.

        Without Redis (or while it is down) this is a plain load; the in-process
        single-flight around it already coalesces this worker's callers. A Redis failure
        here never fails the call: it only costs the cross-worker coalescing.
        """
        if self.shared is None:
            return await self._load(operation, key, load)
        entry, held = await self._join_flight(key)
        if entry is not None:
            await self.breaker.release_probe()  # answered without asking upstream: no verdict to record
            return Loaded(entry.data, 0, shared_age_s=entry.age_s)
        try:
            return await self._load(operation, key, load)
        finally:
            if held:
                with contextlib.suppress(RedisUnavailableError):
                    await self.shared.unlock(key, self.owner)

    async def _join_flight(self, key: str) -> tuple[SharedEntry | None, bool]:
        """(the value another worker stored, or None; whether we now hold the flight lock).

        Waits at most the call deadline for a holder that died without releasing the lock
        (it expires by then anyway), then loads without it.
        """
        assert self.shared is not None
        lock_ttl = self.settings.call_deadline_s or 60.0
        give_up = self._monotonic() + lock_ttl
        try:
            while not await self.shared.try_lock(key, self.owner, lock_ttl):
                await self._sleep(FLIGHT_POLL_S)
                entry = await self.shared.get(key)
                if entry is not None and entry.fresh:
                    self.cache.set(key, entry.data, max(entry.ttl_s - entry.age_s, 0.001))
                    return entry, False
                if self._monotonic() > give_up:
                    return None, False
            entry = await self.shared.get(key)  # another worker may have finished just before we locked
        except RedisUnavailableError:
            return None, False
        if entry is not None and entry.fresh:
            with contextlib.suppress(RedisUnavailableError):
                await self.shared.unlock(key, self.owner)
            return entry, False
        return None, True

    async def _load(self, operation: str, key: str, load: Callable[[], Awaitable[Data]]) -> Loaded:
        """One upstream load with retries; records the verdict on the breaker and caches success."""

        def on_retry(event: RetryEvent) -> None:
            self._observer().retry(operation, event.attempt, event.delay_s, event.cause)

        async def attempt() -> Data:
            try:
                return await load()
            except KiwoomError as exc:
                # The breaker counts failed requests, not calls; a 1700 means "slow down" for one
                # TR, not "Kiwoom is down", so it is retried after the pacing floor but not counted.
                if is_retryable(exc) and not isinstance(exc, RateLimitError):
                    await self.breaker.record_failure()
                raise

        async def breaker_closed() -> bool:
            return not await self.breaker.is_open()

        gate = SEND_GATE.set(breaker_closed)
        try:
            outcome = await call_with_retry(
                attempt,
                self.policy,
                clock=self._monotonic,
                sleep=self._sleep,
                rng=self._rng,
                min_delay_for=self._pacing_floor,
                on_retry=on_retry,
                logger=logger,
            )
        except RetriesExhausted as exc:
            if isinstance(exc.__cause__, TimeoutError):
                await self.breaker.record_failure()  # the attempt the deadline cut short (a hang) failed too
            raise
        except (KiwoomAPIError, EmptyResponseError):
            await self.breaker.record_success()  # upstream answered: it is up, whatever it said
            raise
        except BaseException:
            await self.breaker.release_probe()
            raise
        finally:
            SEND_GATE.reset(gate)
        await self.breaker.record_success()
        ttl = self.settings.ttl_for(operation)
        self.cache.set(key, outcome.value, ttl)
        if self.shared is not None:
            with contextlib.suppress(RedisUnavailableError):
                await self.shared.set(key, outcome.value, ttl)
        return Loaded(outcome.value, outcome.attempts)

    async def _fallback(
        self,
        operation: str,
        params: dict[str, Any],
        key: str,
        exc: KiwoomError,
        started: float,
        *,
        attempts: int,
    ) -> Data:
        """Stale cache, then sample data, as ``settings.fallback`` allows; else raise ``exc``."""
        observer = self._observer()
        policy = self.settings.fallback
        reason = str(exc)
        if policy == "error":
            raise exc
        stale = self.cache.get_stale(key)
        if stale is None:
            remote = await self._shared_get(key)  # another worker's copy, on the failure path only
            if remote is not None:
                stale = CacheHit(remote.data, remote.age_s, fresh=False)
        if stale is not None:
            observer.cache(operation, "stale")
            observer.fallback(operation, "stale", reason)
            logger.warning("API 호출 실패, %.0f초 전 캐시 데이터 반환 (%s): %s", stale.age_s, operation, reason)
            return self._finish(
                stale.value, started, source="stale", attempts=attempts, cache_age_s=stale.age_s, fallback_reason=reason
            )
        if policy == "stale-only":
            raise exc
        note = NOTE_EMPTY if isinstance(exc, EmptyResponseError) else NOTE_FAILED
        observer.fallback(operation, "sample", reason)
        logger.warning("API 호출 실패, 샘플 데이터 반환 (%s): %s", operation, reason)
        sample = {**sample_for(operation, params), **self._meta(), "note": note}
        return self._finish(sample, started, source="sample", attempts=attempts, fallback_reason=reason)

    def _finish(
        self,
        data: Data,
        started: float,
        *,
        source: str,
        attempts: int,
        cache_age_s: float | None = None,
        fallback_reason: str | None = None,
    ) -> Data:
        result = {**data, "source": source, "attempts": attempts}
        result["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
        if cache_age_s is not None:
            result["cache_age_s"] = round(cache_age_s, 1)
        if fallback_reason is not None:
            result["fallback_reason"] = fallback_reason
        return result

    async def health(self) -> dict[str, Any]:
        stats = self.cache.stats
        return {
            "breaker": await self.breaker.snapshot(),
            "cache": {
                "entries": len(self.cache),
                "hits": stats.hits,
                "misses": stats.misses,
                "stale": stats.stale_hits,
            },
            "in_flight": self.flight.in_flight,
        }
