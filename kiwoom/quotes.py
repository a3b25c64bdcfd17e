"""Quotes with one cache entry and one flight per code, shared by ``get_stock_price`` and ``get_stock_prices``.

Both tools want the same thing for each code, so both run each code through the guard
under ``get_stock_price``'s key: a watchlist never loads a code a single call is loading
(or has cached), nor the other way round. Which request answers a code:

* a lookup alone in this worker, when ka10001's budget has a request to spare right now,
  uses **ka10001** (one request, no gather wait, every field);
* a lookup that overlaps another one (a burst of callers, or any watchlist), or that would
  have to wait for ka10001's budget, joins the **ka10095** batch of
  :class:`~kiwoom.resilience.batch.QuoteBatcher`, up to 100 codes a request, so a hundred
  callers wait for one or two batch windows instead of a hundred seconds of ka10001's
  one-a-second limit.

A code Kiwoom does not know fails its own caller with the not-found error, whichever TR
asked; a failed batch fails each of its callers, whose guard retries or falls back.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

from kiwoom.errors import ConfigurationError, KiwoomAuthError
from kiwoom.operations import results, watchlist
from kiwoom.resilience.batch import QuoteBatcher
from kiwoom.resilience.guard import Fallback, Guard, GuardedRun
from kiwoom.transport.pacing import WouldWaitError
from kiwoom.transport.tr import TRTransport

#: The operation (cache key) of one code's quote, whichever tool asked for it.
QUOTE_OPERATION = "get_stock_price"
WATCHLIST_OPERATION = "get_stock_prices"

Data = dict[str, Any]


Connection = Callable[[], Awaitable[tuple[TRTransport, QuoteBatcher | None]]]


class QuoteBook:
    """Per-code quote lookups through the guard, on ka10001 or in a ka10095 batch."""

    def __init__(self, guarded: GuardedRun, connection: Connection, guard: Guard, meta: Callable[[], Data]) -> None:
        self._guarded = guarded
        self._connection = connection
        self._guard = guard
        self._meta = meta  # where requests go (environment, simulated): the same for every entry

    async def one(self, code: str, *, batch: bool = False, fallback: Fallback | None = None) -> Data:
        """``code``'s quote through the guard; ``batch`` sends it in a ka10095 batch even when alone."""

        async def load() -> Data:
            tr, batcher = await self._connection()
            if batcher is None:
                return await _single(tr, code)
            with batcher.lookup() as busy:
                if not (busy or batch):
                    with contextlib.suppress(WouldWaitError):  # ka10001's budget is spent: batch instead
                        return await _single(tr, code, wait=False)
                row = await batcher.load(code)
            if row is None:
                raise watchlist.not_found([code])
            return results.quote(row, code)

        return await self._guarded(QUOTE_OPERATION, {"stock_code": code}, load, fallback=fallback)

    async def many(self, codes: list[str]) -> Data:
        """The quotes of ``codes`` (one guarded lookup each, batched), unknown and unavailable codes apart.

        Each code may fall back to its stale quote; when no code has any quote and some
        failed, the whole call falls back under the configured policy (sample data or an
        error), and when every code is unknown it raises :class:`StockNotFoundError`.
        """
        started = time.perf_counter()
        lookups = [self.one(code, batch=True, fallback="stale-only") for code in codes]
        outcomes: list[Data | BaseException] = list(await asyncio.gather(*lookups, return_exceptions=True))
        result, failures = watchlist.assemble(codes, outcomes)
        verdicts = [f for f in failures if isinstance(f, KiwoomAuthError | ConfigurationError)]
        if verdicts:
            raise verdicts[0]  # Kiwoom refused us, not the codes: every code would fail alike
        if result["prices"]:
            where = {key: value for key, value in self._meta().items() if key in ("simulated", "environment")}
            return {**where, **result, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}
        if failures:
            return await self._guard.give_up(
                WATCHLIST_OPERATION, {"stock_codes": codes}, failures[0], attempts=0, started=started
            )
        raise watchlist.not_found(result["not_found"])


async def _single(tr: TRTransport, code: str, *, wait: bool = True) -> Data:
    reply = await tr.request("ka10001", {"stk_cd": code}, wait=wait)
    return results.quote(reply.body, code)


async def send_batch(tr: TRTransport, codes: list[str]) -> dict[str, dict[str, Any] | None]:
    """One ka10095 request for ``codes`` (at most 100): each code's row, None for an unknown code."""
    reply = await tr.request(watchlist.API_ID, {"stk_cd": "|".join(codes)})
    return watchlist.batch_rows(reply.body, codes)
