"""The resilience chain around one client operation: cache → breaker → single-flight → retry → fallback.

For a call of ``operation`` with ``params``:

1. a fresh cached result answers at once (``source: "cache"``);
2. an open circuit breaker skips upstream entirely and goes to the fallback;
3. concurrent identical calls share one upstream load (single-flight), and across workers
   the :class:`~kiwoom.state.protocols.ResultStore`'s flight lock, a renewed lease
   (:mod:`kiwoom.resilience.flight`), lets one of them load while the others wait;
4. the load retries what can succeed on retry with exponential backoff, inside the call
   deadline, which started when the call did: waiting for another worker counts against it;
5. when it fails: a stale cached result within the stale-if-error window (``"stale"``),
   else the seed's sample data with its ``note`` (``"sample"``), as the fallback policy allows.

Errors that retrying cannot fix and that are the caller's to see (an unknown stock, an
auth failure) are raised, never papered over with sample data. The guard is given its
stores and its configuration; it never reads settings and never learns whether the
stores are in memory or in Redis.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

from kiwoom.errors import (
    BreakerOpenError,
    ConfigurationError,
    EmptyResponseError,
    InvalidInputError,
    KiwoomAPIError,
    KiwoomError,
    RateLimitError,
    RetriesExhausted,
)
from kiwoom.observe import ClientObserver
from kiwoom.operations.samples import NOTE_EMPTY, NOTE_FAILED, sample_for
from kiwoom.resilience.batch import SERVED_BY_BATCH
from kiwoom.resilience.cache import CacheHit, ResponseCache, SingleFlight, cache_key
from kiwoom.resilience.flight import WorkerFlight, deadline_passed
from kiwoom.resilience.retry import RetryEvent, RetryPolicy, call_with_retry, is_retryable
from kiwoom.state.protocols import BreakerStore, ResultStore, StoredResult
from kiwoom.transport.pacing import CALL_DEADLINE

logger = logging.getLogger("kiwoom.resilience")

Data = dict[str, Any]
Fallback = Literal["sample", "stale-only", "error"]


class GuardedRun(Protocol):
    """A run through the chain as the client offers it to its parts (it adds where the data came from)."""

    def __call__(
        self,
        operation: str,
        params: dict[str, Any],
        load: Callable[[], Awaitable[Data]],
        *,
        fallback: Fallback | None = None,
    ) -> Awaitable[Data]: ...


@dataclass(frozen=True, slots=True)
class GuardConfig:
    """What the chain needs to know, built once from the settings by :mod:`kiwoom.wiring`."""

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    cache_maxsize: int = 2048
    #: Bytes the in-process cache's values may weigh (see :func:`~kiwoom.resilience.cache.value_size`).
    cache_max_bytes: int = 64 * 1024 * 1024
    stale_window_s: float = 3600.0
    default_ttl_s: float = 300.0
    ttl_overrides: Mapping[str, float] = field(default_factory=dict)
    fallback: Fallback = "sample"
    #: After a 1700, wait at least this long (one pacing interval) before asking again.
    rate_limit_wait_s: float = 0.0
    #: The cross-worker flight lock is a lease this long, renewed by its holder while it loads,
    #: so a dead holder stalls the key's other callers for at most this, not a whole deadline.
    flight_lease_s: float = 3.0

    def ttl_for(self, operation: str) -> float:
        return self.ttl_overrides.get(operation, self.default_ttl_s)


@dataclass(frozen=True, slots=True)
class Loaded:
    """A live result and how many attempts it took."""

    data: Data
    attempts: int
    shared_age_s: float | None = None  # set when another worker loaded it (read from the result store)


class LoadFailed(Exception):  # noqa: N818 - internal carrier, never leaves the guard
    """The load of one key failed: the error, and how many requests the load had sent.

    It travels through the single-flight to every caller of the key, so each of them
    reports the same attempt count without anyone writing it onto a caught exception.
    """

    def __init__(self, error: KiwoomError, attempts: int) -> None:
        super().__init__(str(error))
        self.error = error
        self.attempts = attempts


def _callers_to_see(exc: KiwoomError) -> bool:
    """Errors that sample data must not hide: Kiwoom's own verdicts (unknown stock, auth) and bad settings.

    Envelopes that blame the server (1700, or a 5xx status such as 1999) are outages, not verdicts.
    """
    if isinstance(exc, RateLimitError) or (isinstance(exc, KiwoomAPIError) and exc.status_code >= 500):
        return False
    return isinstance(exc, KiwoomAPIError | ConfigurationError | InvalidInputError)


class Guard:
    """Owns the in-process cache and single-flight of one client, and runs operations through the chain."""

    def __init__(
        self,
        config: GuardConfig,
        *,
        results: ResultStore,
        breaker: BreakerStore,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]],
        observer: Callable[[], ClientObserver] = ClientObserver,
        rng: random.Random | None = None,
        meta: Callable[[], Data] = dict,
    ) -> None:
        self.config = config
        self.results = results
        self.breaker = breaker
        self._monotonic = monotonic
        self._sleep = sleep
        self._observer = observer
        self._rng = rng or random.Random()
        self.cache: ResponseCache[Data] = ResponseCache(
            config.cache_maxsize,
            max_bytes=config.cache_max_bytes,
            stale_window_s=config.stale_window_s,
            clock=monotonic,
        )
        self.flight: SingleFlight[Loaded] = SingleFlight()
        self._meta = meta  # environment and timestamp for results made here (sample data)
        self.owner = uuid.uuid4().hex
        self.flights = WorkerFlight(
            results, owner=self.owner, lease_s=config.flight_lease_s, monotonic=monotonic, sleep=sleep
        )
        self.stopping = asyncio.Event()  # set when the server shuts down: no new attempts, fall back now

    async def run(
        self,
        operation: str,
        params: dict[str, Any],
        load: Callable[[], Awaitable[Data]],
        *,
        fallback: Fallback | None = None,
    ) -> Data:
        """``load()`` through the chain; the result carries ``source``, ``attempts`` and ``latency_ms``.

        ``fallback`` overrides the configured policy for this call (a lookup nested in
        another operation wants stale data or an error, never sample data).
        """
        started = time.perf_counter()
        deadline_s = self.config.retry.deadline_s
        deadline_at = None if deadline_s is None else self._monotonic() + deadline_s  # every wait counts
        key = cache_key(operation, params)
        observer = self._observer()
        hit = self.cache.get_fresh(key)
        if hit is not None:
            observer.cache(operation, "hit")
            return _finish(hit.value, started, source="cache", attempts=0, cache_age_s=hit.age_s)
        observer.cache(operation, "miss")
        deadline_token = CALL_DEADLINE.set(deadline_at)  # the load's task inherits it: pacing lanes read it
        try:
            loaded, coalesced = await self.flight.do(key, lambda: self._resolve(operation, key, load, deadline_at))
        except LoadFailed as failed:
            if _callers_to_see(failed.error):
                raise failed.error from None
            policy = fallback or self.config.fallback
            return await self._fallback(operation, params, key, failed, started=started, policy=policy)
        finally:
            CALL_DEADLINE.reset(deadline_token)
        if coalesced:
            observer.cache(operation, "coalesced")
        if loaded.shared_age_s is not None:
            return _finish(loaded.data, started, source="cache", attempts=0, cache_age_s=loaded.shared_age_s)
        return _finish(loaded.data, started, source=loaded.data["source"], attempts=loaded.attempts)

    async def _resolve(
        self, operation: str, key: str, load: Callable[[], Awaitable[Data]], deadline_at: float | None
    ) -> Loaded:
        """What the one in-process caller of a key does: shared result, then breaker, then the load.

        Running these inside the single-flight means a burst of identical calls costs one
        store lookup and one breaker decision, not one per caller.
        """
        remote = await self.results.get(key)
        if remote is not None and remote.fresh:
            self._observer().cache(operation, "shared")  # another worker's answer, through the shared store
            self._keep(key, remote)
            return Loaded(remote.data, 0, shared_age_s=remote.age_s)
        if not await self.breaker.allow():
            raise LoadFailed(BreakerOpenError(), 0)
        deadline_s = self.config.retry.deadline_s
        try:
            entry = await self.flights.join(key, deadline_at, deadline_s=deadline_s)
        except BaseException as exc:
            await self.breaker.release_probe()  # gave up waiting (deadline, cancel): no verdict to record
            if isinstance(exc, RetriesExhausted):
                raise LoadFailed(exc, 0) from None
            raise
        if entry is not None:
            self._keep(key, entry)
            await self.breaker.release_probe()  # answered without asking upstream: no verdict to record
            return Loaded(entry.data, 0, shared_age_s=entry.age_s)
        async with self.flights.held(key):
            policy = self._policy_within(deadline_at)
            if policy is None:
                await self.breaker.release_probe()
                raise LoadFailed(deadline_passed(deadline_s), 0)
            return await self._load(operation, key, load, policy)

    def _keep(self, key: str, entry: StoredResult) -> None:
        self.cache.set(key, entry.data, max(entry.ttl_s - entry.age_s, 0.001))

    def _policy_within(self, deadline_at: float | None) -> RetryPolicy | None:
        """The retry policy bounded by what is left of the call deadline; None when nothing is."""
        if deadline_at is None:
            return self.config.retry
        left = deadline_at - self._monotonic()
        return replace(self.config.retry, deadline_s=left) if left > 0 else None

    async def _load(self, operation: str, key: str, load: Callable[[], Awaitable[Data]], policy: RetryPolicy) -> Loaded:
        """One upstream load with retries; records the verdict on the breaker and caches success.

        An attempt a shared batch answered (:data:`~kiwoom.resilience.batch.SERVED_BY_BATCH`)
        records no verdict: the batch's sender recorded its one request's, and the breaker
        judges requests, not the callers one request served.
        """
        sent = 0
        batched = False

        def on_retry(event: RetryEvent) -> None:
            self._observer().retry(operation, event.attempt, event.delay_s, event.cause)

        async def attempt() -> Data:
            nonlocal sent, batched
            sent += 1
            SERVED_BY_BATCH.set(False)
            try:
                return await load()
            except BreakerOpenError:
                sent -= 1  # stopped before sending: the breaker opened while this attempt waited
                raise
            except KiwoomError as exc:
                if SERVED_BY_BATCH.get():
                    raise
                # The breaker judges the failure rate of requests, not calls, so each failed attempt
                # is one outcome (and the load's success below another: a load ends at its first
                # success, recorded outside the attempt so the deadline cannot turn it into a
                # failure). A 1700 means "slow down" for one TR, not "Kiwoom is down": it is
                # retried after the pacing floor but is no outcome at all.
                if is_retryable(exc) and not isinstance(exc, RateLimitError):
                    await self.breaker.record_failure()
                raise
            finally:
                batched = SERVED_BY_BATCH.get()

        try:
            outcome = await call_with_retry(
                attempt,
                policy,
                clock=self._monotonic,
                sleep=self._sleep,
                rng=self._rng,
                min_delay_for=self._rate_limit_floor,
                on_retry=on_retry,
                logger=logger,
                stopping=self.stopping,
            )
        except RetriesExhausted as exc:
            if batched:
                await self.breaker.release_probe()
            elif isinstance(exc.__cause__, TimeoutError):
                await self.breaker.record_failure()  # the attempt the deadline cut short (a hang) failed too
            elif isinstance(exc.last_error, RateLimitError):
                # Only 1700s, which are no verdict: a half-open probe must be let go, or the
                # in-process breaker would stay half-open and refuse every call for good.
                await self.breaker.release_probe()
            raise LoadFailed(exc, sent) from exc
        except (KiwoomAPIError, EmptyResponseError) as exc:
            await (self.breaker.release_probe() if batched else self.breaker.record_success())  # upstream is up
            raise LoadFailed(exc, sent) from exc
        except KiwoomError as exc:
            await self.breaker.release_probe()
            raise LoadFailed(exc, sent) from exc
        except BaseException:
            await self.breaker.release_probe()
            raise
        await (self.breaker.release_probe() if batched else self.breaker.record_success())
        ttl = self.config.ttl_for(operation)
        self.cache.set(key, outcome.value, ttl)
        await self.results.set(key, outcome.value, ttl)
        return Loaded(outcome.value, outcome.attempts)

    async def give_up(
        self, operation: str, params: dict[str, Any], error: KiwoomError, *, attempts: int, started: float
    ) -> Data:
        """The fallback of a call composed of other guarded calls that all failed (stale, sample or ``error``).

        ``started`` is the call's ``time.perf_counter()`` start, for its ``latency_ms``.
        """
        failed = LoadFailed(error, attempts)
        key = cache_key(operation, params)
        return await self._fallback(operation, params, key, failed, started=started, policy=self.config.fallback)

    def _rate_limit_floor(self, exc: BaseException) -> float:
        return self.config.rate_limit_wait_s if isinstance(exc, RateLimitError) else 0.0

    async def _fallback(
        self, operation: str, params: dict[str, Any], key: str, failed: LoadFailed, *, started: float, policy: Fallback
    ) -> Data:
        """Stale cache, then sample data, as ``policy`` allows; else raise the load's error."""
        observer = self._observer()
        exc = failed.error
        reason = str(exc)
        if policy == "error":
            raise exc from None
        stale = self.cache.get_stale(key)
        if stale is None:
            remote = await self.results.get(key)  # another worker's copy, on the failure path only
            if remote is not None:
                stale = CacheHit(remote.data, remote.age_s, fresh=False)
        if stale is not None:
            observer.cache(operation, "stale")
            observer.fallback(operation, "stale", reason)
            logger.warning("API 호출 실패, %.0f초 전 캐시 데이터 반환 (%s): %s", stale.age_s, operation, reason)
            return _finish(
                stale.value,
                started,
                source="stale",
                attempts=failed.attempts,
                cache_age_s=stale.age_s,
                fallback_reason=reason,
            )
        if policy == "stale-only":
            raise exc from None
        note = NOTE_EMPTY if isinstance(exc, EmptyResponseError) else NOTE_FAILED
        observer.fallback(operation, "sample", reason)
        logger.warning("API 호출 실패, 샘플 데이터 반환 (%s): %s", operation, reason)
        sample = {**sample_for(operation, params), **self._meta(), "note": note}
        return _finish(sample, started, source="sample", attempts=failed.attempts, fallback_reason=reason)

    async def health(self) -> dict[str, Any]:
        stats = self.cache.stats
        return {
            "breaker": await self.breaker.snapshot(),
            "cache": {
                "entries": len(self.cache),
                "hits": stats.hits,
                "misses": stats.misses,
                "stale": stats.stale_hits,
                "bytes": self.cache.nbytes,
                "evictions": stats.evictions,
                "byte_evictions": stats.byte_evictions,
                "too_large": stats.too_large,
            },
            "in_flight": self.flight.in_flight,
        }


def _finish(
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
