"""The quote batcher (the DataLoader pattern): concurrent single-code lookups share one ka10095.

Kiwoom answers up to 100 codes in one ka10095 request, but allows each TR only about one
request a second. A hundred callers asking for a hundred different stocks would wait a
hundred seconds for ka10001; here they wait for one or two batch windows. The cache and
single-flight of :mod:`kiwoom.resilience.guard` stay per code, so a batch fills the
entries of every code in it, and a code already loading is never queued twice.

How a batch forms:

* a caller queues its code in the :class:`~kiwoom.state.protocols.BatchQueue` and waits;
* one driver task per worker claims the window, the right to send the next batch. A window
  lasts one pacing interval of the batch TR, so batches go at most once per interval, and
  with Redis the window is the workers' together, so all of them send one batch per window;
* the first batch after a quiet spell waits ``gather_s`` for more codes to join (unless 100
  are already queued), then takes up to 100 codes, oldest first, and sends them;
* each caller gets its code's row; a blank row (a code Kiwoom does not know) answers
  ``None``, which its caller turns into not-found; a failed request fails each of its
  callers, whose guard then retries or falls back as for any failed load.

The request's breaker verdict is recorded here, once: the guard skips its per-caller
verdict for attempts a batch answered (:data:`SERVED_BY_BATCH`), because the breaker
judges requests, not callers. A caller whose turn cannot come before its deadline is
refused at once with :class:`~kiwoom.errors.QueueRefusedError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from kiwoom.errors import (
    BatchFailedError,
    BreakerOpenError,
    EmptyResponseError,
    KiwoomAPIError,
    KiwoomError,
    KiwoomTransportError,
    QueueRefusedError,
    RateLimitError,
)
from kiwoom.resilience.retry import is_retryable
from kiwoom.state.protocols import BatchOutcome, BatchQueue, BreakerStore
from kiwoom.transport.pacing import CALL_DEADLINE

logger = logging.getLogger("kiwoom.resilience")

Row = dict[str, Any]
#: Sends one batch: the codes, oldest first → each code's row, or None for a blank row.
SendBatch = Callable[[list[str]], Awaitable[dict[str, Row | None]]]

#: True after a load attempt that a shared batch answered (set by :meth:`QuoteBatcher.load`).
SERVED_BY_BATCH: ContextVar[bool] = ContextVar("kiwoom_served_by_batch", default=False)


@dataclass(frozen=True, slots=True)
class BatchConfig:
    """How batches form, built from the settings by :mod:`kiwoom.wiring`."""

    #: At most one batch per window: the batch TR's pacing interval (0: no spacing).
    window_s: float
    #: How long the first batch after a quiet spell waits for more codes to join.
    gather_s: float = 0.02
    max_codes: int = 100
    #: Codes this worker may have waiting; one more is refused at once.
    max_waiting: int = 10_000
    #: How often a worker looks for outcomes another worker published (Redis only).
    poll_s: float = 0.02
    #: A code with no outcome after this long is queued again (its sender died, or Redis failed).
    requeue_s: float = 35.0


@dataclass(slots=True)
class _Waiter:
    future: asyncio.Future[Row | None]
    queued_at: float
    seq: int = 0


@dataclass(slots=True)
class BatchCounts:
    """What this worker's batches carried, for health reports and the lab."""

    batches: int = 0
    codes: int = 0
    largest: int = 0


class QuoteBatcher:
    """Queues codes, sends them in batches through ``send``, and answers each code's caller."""

    def __init__(
        self,
        queue: BatchQueue,
        send: SendBatch,
        breaker: BreakerStore,
        config: BatchConfig,
        *,
        owner: str,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._queue = queue
        self._send = send
        self._breaker = breaker
        self.config = config
        self._owner = owner
        self._monotonic = monotonic
        self._sleep = sleep
        self._waiting: dict[str, _Waiter] = {}
        self._active = 0
        self._driver: asyncio.Task[None] | None = None
        self.counts = BatchCounts()

    @contextlib.contextmanager
    def lookup(self) -> Iterator[bool]:
        """Count one quote lookup in progress; yields True when another one already was (then batch).

        The rule: a lookup alone keeps ka10001 (one request, no gather wait, every field);
        as soon as two overlap in this worker, the later ones batch.
        """
        busy = self._active > 0
        self._active += 1
        try:
            yield busy
        finally:
            self._active -= 1

    async def load(self, code: str) -> Row | None:
        """``code``'s row from the next batch that carries it, or None when Kiwoom does not know it."""
        SERVED_BY_BATCH.set(True)
        waiter = self._waiting.get(code)
        if waiter is None:
            self._admit(len(self._waiting))
            waiter = _Waiter(asyncio.get_running_loop().create_future(), self._monotonic())
            self._waiting[code] = waiter
            try:
                waiter.seq = await self._queue.enqueue(code)
            except BaseException as exc:
                self._settle(code, exc if isinstance(exc, KiwoomError) else KiwoomTransportError("배치 대기 취소"))
                raise
            self._ensure_driver()
        return await asyncio.shield(waiter.future)

    def _admit(self, waiting: int) -> None:
        """Refuse a code when too many wait, or when its batch is sure to go after the call's deadline."""
        config = self.config
        if waiting >= config.max_waiting:
            raise QueueRefusedError(
                "ka10095", f"배치 대기 종목 {waiting}개로 가득 찼습니다 (최대 {config.max_waiting}개)"
            )
        deadline = CALL_DEADLINE.get()
        if deadline is None or config.window_s <= 0:
            return
        windows_ahead = waiting // config.max_codes  # full batches that go before this code's
        soonest_s = windows_ahead * config.window_s
        left_s = deadline - self._monotonic()
        if soonest_s > left_s:
            raise QueueRefusedError(
                "ka10095",
                f"앞선 배치 {windows_ahead}개 때문에 빨라도 {math.ceil(soonest_s)}초 뒤에 보내져 "
                f"남은 호출 기한 {max(left_s, 0):.1f}초 안에 받을 수 없습니다",
            )

    def _ensure_driver(self) -> None:
        if self._driver is None or self._driver.done():
            self._driver = asyncio.create_task(self._drive(), name="quote-batcher")

    async def _drive(self) -> None:
        """Send batches while callers wait: claim the window, gather, take, send, answer."""
        CALL_DEADLINE.set(None)  # the driver serves every caller: no one caller's deadline bounds it
        try:
            while self._waiting:
                wait = await self._queue.claim(self._owner, self.config.window_s)
                if wait == 0:
                    await self._send_batch()
                    continue
                if self._queue.shared:
                    await self._collect()
                await self._requeue_overdue()
                await self._sleep(self.config.poll_s if wait < 0 or self._queue.shared else wait)
        except KiwoomError as exc:  # the queue itself failed: no batch will answer these callers
            logger.warning("배치 조회 중단: %s", exc)
            for code in list(self._waiting):
                self._settle(code, exc)

    async def _send_batch(self) -> None:
        if len(self._waiting) < self.config.max_codes and self.config.gather_s > 0:
            await self._sleep(self.config.gather_s)
        codes, seq = await self._queue.take(self.config.max_codes)
        if not codes:
            return
        self._count(len(codes))
        try:
            rows = await self._send(codes)
        except KiwoomError as exc:
            await self._record(exc)
            logger.warning("배치 조회 실패 (%d종목): %s", len(codes), exc)
            for code in codes:
                self._settle(code, exc)
            await self._queue.publish(
                {c: BatchOutcome(seq, error=str(exc), retryable=is_retryable(exc)) for c in codes}
            )
            return
        except BaseException as exc:
            for code in codes:
                self._settle(code, KiwoomTransportError("배치 조회가 중단되었습니다"))
            raise exc
        await self._breaker.record_success()
        for code in codes:
            self._settle(code, rows.get(code))
        await self._queue.publish({code: BatchOutcome(seq, row=rows.get(code)) for code in codes})

    async def _collect(self) -> None:
        """Answer this worker's callers from the outcomes other workers' batches published."""
        waiting = {code: waiter.seq for code, waiter in self._waiting.items() if waiter.seq}
        for code, outcome in (await self._queue.outcomes(list(waiting))).items():
            if outcome.seq < waiting[code] or code not in self._waiting:
                continue  # an older batch's answer: this caller's code was queued after it went
            if outcome.error is not None:
                self._settle(code, BatchFailedError(outcome.error, retryable=outcome.retryable))
            else:
                self._settle(code, outcome.row)

    async def _requeue_overdue(self) -> None:
        """Queue again the codes whose batch never answered (a sender that died, a Redis that failed)."""
        now = self._monotonic()
        for code, waiter in list(self._waiting.items()):
            if now - waiter.queued_at >= self.config.requeue_s:
                waiter.queued_at = now
                waiter.seq = await self._queue.enqueue(code)  # a code still queued keeps its place

    def _settle(self, code: str, answer: Row | BaseException | None) -> None:
        waiter = self._waiting.pop(code, None)
        if waiter is None or waiter.future.done():
            return
        if isinstance(answer, BaseException):
            waiter.future.set_exception(answer)
            waiter.future.exception()  # a caller that gave up must not leave it "never retrieved"
        else:
            waiter.future.set_result(answer)

    async def _record(self, exc: KiwoomError) -> None:
        """The breaker verdict of the batch's one request, as the guard records a request's."""
        if isinstance(exc, BreakerOpenError | RateLimitError | QueueRefusedError):
            return  # not sent, or "slow down": no verdict
        if isinstance(exc, KiwoomAPIError | EmptyResponseError) and not is_retryable(exc):
            await self._breaker.record_success()  # upstream answered: it is up, whatever it said
        elif is_retryable(exc):
            await self._breaker.record_failure()

    def _count(self, size: int) -> None:
        counts = self.counts
        counts.batches += 1
        counts.codes += size
        counts.largest = max(counts.largest, size)

    async def close(self) -> None:
        """Stop the driver; callers still waiting get an error (their guard falls back)."""
        driver, self._driver = self._driver, None
        if driver is not None and not driver.done():
            driver.cancel()
            await asyncio.gather(driver, return_exceptions=True)
        for code in list(self._waiting):
            self._settle(code, KiwoomTransportError("클라이언트가 닫혀 배치 조회를 취소했습니다"))
