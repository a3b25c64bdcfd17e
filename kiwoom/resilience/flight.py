"""The single-flight across workers: one worker loads a key, the others wait for its value.

The in-process :class:`~kiwoom.resilience.cache.SingleFlight` already gives one load per
key inside a worker; this extends it across workers through the
:class:`~kiwoom.state.protocols.ResultStore`'s flight lock. Two things keep a lock from
stalling a key's callers:

* the lock is a short **lease** (``lease_s``, seconds) that its holder renews while it
  loads; a holder that dies, or whose Redis connection fails so that its value and its
  unlock never arrive, stops renewing, and its lock is taken over within one lease
  instead of blocking every caller for a whole call deadline;
* the owner id is this worker's: a lock that carries it was left behind by this worker
  and is simply taken again (re-entrant), so a worker never waits on itself.

Waiting counts against the caller's deadline: when it runs out, :meth:`WorkerFlight.join`
raises :class:`~kiwoom.errors.RetriesExhausted` and the caller falls back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from kiwoom.errors import KiwoomTimeoutError, RetriesExhausted
from kiwoom.periodic import Periodic
from kiwoom.state.protocols import ResultStore, StoredResult

logger = logging.getLogger("kiwoom.resilience")

FLIGHT_POLL_S = 0.02  # how often a waiting worker looks for the value another worker is loading


def deadline_passed(deadline_s: float | None) -> RetriesExhausted:
    """The error of a call whose deadline ran out before it could ask upstream."""
    cause = KiwoomTimeoutError(f"호출 기한 {deadline_s}초 안에 다른 워커의 조회가 끝나지 않았습니다")
    return RetriesExhausted(cause, 0, deadline_hit=True)


class WorkerFlight:
    """This worker's side of the flight locks: wait for another worker's value, or hold the lock and load."""

    def __init__(
        self,
        results: ResultStore,
        *,
        owner: str,
        lease_s: float,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.results = results
        self.owner = owner  # one per worker process (its guard): a lock carrying it is this worker's
        self.lease_s = lease_s
        self._monotonic = monotonic
        self._sleep = sleep

    async def join(
        self, key: str, deadline_at: float | None, *, deadline_s: float | None = None
    ) -> StoredResult | None:
        """The fresh value another worker stored for ``key``, or None once this worker holds its lock.

        After None the caller loads inside :meth:`held`. Raises :class:`RetriesExhausted`
        when ``deadline_at`` (on the injected monotonic clock) passes while waiting.
        """
        while not await self.results.try_lock(key, self.owner, self.lease_s):
            left = None if deadline_at is None else deadline_at - self._monotonic()
            if left is not None and left <= 0:
                raise deadline_passed(deadline_s)
            await self._sleep(FLIGHT_POLL_S if left is None else min(FLIGHT_POLL_S, left))
            entry = await self.results.get(key)
            if entry is not None and entry.fresh:
                return entry
        entry = await self.results.get(key)  # another worker may have finished just before we locked
        if entry is not None and entry.fresh:
            await self.results.unlock(key, self.owner)
            return entry
        return None

    @contextlib.asynccontextmanager
    async def held(self, key: str) -> AsyncIterator[None]:
        """Keep the lease of ``key`` renewed while the body loads, then give the lock back.

        The lease is renewed every third of it, in real time: Redis expires it in real time,
        not on our clock.
        """

        async def renew() -> bool:
            if await self.results.renew(key, self.owner, self.lease_s):
                return True
            logger.warning("조회 잠금이 만료되어 다른 워커가 넘겨받았습니다, 조회는 계속합니다 (%s)", key)
            return False

        renewal = Periodic(renew, self.lease_s / 3, name=f"flight-lease:{key}")
        try:
            yield
        finally:
            if (error := await renewal.stop()) is not None:
                logger.warning("조회 잠금 갱신 실패 (%s): %s", key, error)
            await self.results.unlock(key, self.owner)
