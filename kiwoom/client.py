"""``KiwoomClient``: the seed's methods, composed from validation, transport and result shaping.

Data flows one way: method → validation → :class:`~kiwoom.transport.TRTransport` (token,
pacing, pages) → :mod:`kiwoom.transport.http` → upstream; the TR bodies come back through
:mod:`kiwoom.operations.results`. Every result says where its data came from (``source``,
``environment``) and when (``timestamp``, Korea time).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import httpx2

from kiwoom import wiring
from kiwoom.base import BaseMCPClient
from kiwoom.catalog_calls import CatalogCalls
from kiwoom.config import Mode, Settings
from kiwoom.errors import InvalidInputError, KiwoomError
from kiwoom.history import load_bars
from kiwoom.listing import load_listing
from kiwoom.observe import ClientObserver
from kiwoom.operations import names, results, validation
from kiwoom.operations.market_status import market_status
from kiwoom.operations.search import rank_matches
from kiwoom.quotes import QuoteBook, send_batch
from kiwoom.realtime.build import build_feed
from kiwoom.realtime.feed import TickFeed
from kiwoom.resilience.batch import QuoteBatcher
from kiwoom.resilience.guard import Fallback
from kiwoom.sandbox import sandbox_transport
from kiwoom.transport.protocol import TR_PATHS
from kiwoom.transport.tokens import TokenManager
from kiwoom.transport.tr import TRTransport
from krx.calendar import KST, KrxCalendar

logger = logging.getLogger("kiwoom.client")

MAX_SEARCH_RESULTS = 20
Checked = TypeVar("Checked")


class KiwoomClient(BaseMCPClient):
    """Async client of the Kiwoom REST API (real, mock, a custom URL, or the embedded sandbox)."""

    name = "kiwoom"

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        transport: httpx2.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        calendar: KrxCalendar | None = None,
        observer: ClientObserver | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings if settings is not None else Settings()
        self.mode = self.settings.mode()
        self.simulated = self.settings.simulated()
        self.timeout = self.settings.timeout
        self.calendar = calendar or KrxCalendar()
        self.observer = observer or ClientObserver()
        self.storage = self.settings.storage_backend()
        self._wiring = wiring.build(
            self.settings, wall=clock, monotonic=monotonic, sleep=sleep, observer=lambda: self.observer, meta=self._meta
        )
        self.guard = self._wiring.guard
        self.readiness = wiring.readiness(self.settings, monotonic=monotonic)
        self._injected_transport = transport
        self._clock = self.wall_clock = clock
        self.asgi_app: Any = None  # the in-process upstream (sandbox, or a test's ASGITransport): streams reach it too
        self._stack: contextlib.AsyncExitStack | None = None
        self._http: httpx2.AsyncClient | None = None
        self._tokens: TokenManager | None = None
        self._transport: TRTransport | None = None
        self._batcher: QuoteBatcher | None = None
        self.quotes = QuoteBook(self._guarded, self._quote_connection, self.guard, self._meta)
        self.catalog = CatalogCalls(self._guarded, self._tr)
        self._account_no = ""
        self._opening = asyncio.Lock()
        self.last_error: str | None = None

    # ------------------------------------------------------------------ lifecycle

    async def open(self) -> None:
        """Open the HTTP pool with the settings' keys, sending nothing: bad settings fail here, not at a call."""
        await self._tr()

    async def connect(self) -> bool:
        """Issue a token with the settings' keys, on the open connection if any: calls may be using it."""
        await self._tr()
        return await self._issue_token()

    async def connect_to_kiwoom(self, app_key: str, app_secret: str, account_no: str) -> bool:
        """Open a connection with these keys and issue an access token (au10001); False with ``last_error`` set."""
        async with self._opening:
            await self._open(app_key, app_secret, account_no)
        return await self._issue_token()

    async def _issue_token(self) -> bool:
        assert self._tokens is not None
        try:
            await self._tokens.get()
        except KiwoomError as exc:
            self.last_error, self._connected = str(exc), False
            logger.error("키움 API 연결 실패 [%s]: %s", self.settings.explain_mode(), exc)
            return False
        self.last_error, self._connected = None, True
        self.readiness.token_issued()
        data = "시뮬레이션 데이터" if self.simulated else "실제 데이터"
        logger.info("키움 API 연결 완료 (%s, %s)", self.mode.value, data)
        return True

    async def _open(self, app_key: str, app_secret: str, account_no: str) -> None:
        if self._stack is not None:
            await self._close_http()
        stack = contextlib.AsyncExitStack()
        transport = self._injected_transport
        if transport is None and self.mode is Mode.SANDBOX:
            transport = await stack.enter_async_context(sandbox_transport(self.settings.sandbox_seed))
        timeout = httpx2.Timeout(self.timeout, connect=self.settings.connect_timeout_s)  # a dead host fails fast
        limits = httpx2.Limits(max_connections=20, max_keepalive_connections=10)
        url = self.settings.upstream_url()
        http = httpx2.AsyncClient(base_url=url, timeout=timeout, transport=transport, limits=limits)
        self._http = await stack.enter_async_context(http)
        self.asgi_app = getattr(transport, "app", None) if isinstance(transport, httpx2.ASGITransport) else None
        self._stack = stack
        self._account_no = account_no
        self._tokens, self._transport = self._wiring.connection(self._http, app_key, app_secret, self.observer)
        if self.settings.batch_quotes:
            tr = self._transport
            self._batcher = self._wiring.quote_batcher(app_key, lambda codes: send_batch(tr, codes))

    async def close(self) -> bool:
        """Revoke the token (au10002) and close the HTTP pool; safe to call twice.

        The revoke is bounded by ``close_timeout_s`` so that a hanging Kiwoom cannot hold a
        shutting-down server; returns True when a token was revoked.
        """
        revoked = False
        if self._tokens is not None:
            try:
                async with asyncio.timeout(self.settings.close_timeout_s):
                    revoked = await self._tokens.revoke()
            except TimeoutError:
                logger.warning("접근토큰 폐기 시간 초과 (%.0f초): 폐기 생략", self.settings.close_timeout_s)
        await self._close_http()
        await self._wiring.storage.close()
        self._connected = False
        return revoked

    async def _close_http(self) -> None:
        stack, self._stack = self._stack, None
        batcher, self._batcher = self._batcher, None
        if batcher is not None:
            await batcher.close()
        if self._tokens is not None:
            await self._tokens.stop_heartbeat()  # a dropped manager must not renew its leases forever
        self._http = self._tokens = self._transport = None
        if stack is not None:
            await stack.aclose()

    async def health(self) -> dict[str, Any]:
        report = await super().health()
        report.update(
            mode=self.mode.value,
            mode_reason=self.settings.explain_mode(),
            simulated=self.simulated,
            token_valid=self._tokens.is_valid() if self._tokens else False,
            last_error=self.last_error,
            auth_error=self.readiness.auth_error,
            shutting_down=self.guard.stopping.is_set(),
            storage=await self._wiring.storage.report(),
            quote_batches=dataclasses.asdict(self._batcher.counts) if self._batcher else None,
            **(await self.guard.health()),
        )
        return report

    async def ensure_token(self, timeout_s: float = 2.0) -> bool:
        """Try, briefly and at most once per ``ready_token_interval_s``, to hold a token (:mod:`kiwoom.readiness`)."""
        valid, error = await self.readiness.ensure_token(self._tokens, self._open_tokens, timeout_s)
        if error is not None:
            self.last_error = error
        elif valid:
            self.last_error, self._connected = None, True
        return valid

    async def _open_tokens(self) -> TokenManager:
        await self._tr()
        assert self._tokens is not None
        return self._tokens

    def attach_observer(self, observer: ClientObserver) -> None:
        """Report to ``observer`` from now on (the MCP server attaches its metrics here)."""
        self.observer = observer
        if self._transport is not None:
            self._transport.observer = observer

    @property
    def tokens(self) -> TokenManager | None:
        return self._tokens

    async def query_tr(self, api_id: str, params: dict[str, Any] | None = None, *, pages: int = 1) -> dict[str, Any]:
        """Any catalog TR, checked, guarded and decoded (:mod:`kiwoom.catalog_calls`); ``params`` over its example."""
        return await self.catalog.query(api_id, params, pages=pages)

    async def tr_request(self, api_id: str, body: dict[str, str]) -> dict[str, Any]:
        """One raw TR page with no cache, retries or fallback: for learning, and for TRs without a method."""
        if api_id not in TR_PATHS:
            raise InvalidInputError("api_id", f"지원하는 TR 중 하나여야 합니다: {', '.join(sorted(TR_PATHS))}")
        reply = await self.readiness.track((await self._tr()).request(api_id, body))
        return reply.body

    async def query_transport(self) -> TRTransport:
        return await self._tr()

    def realtime_feed(self) -> TickFeed:
        """The real-time feed for this client's upstream (see :mod:`kiwoom.realtime`); not started."""
        return build_feed(self, self._wiring.storage)

    async def _quote_connection(self) -> tuple[TRTransport, QuoteBatcher | None]:
        return await self._tr(), self._batcher

    async def _tr(self) -> TRTransport:
        """The TR transport, connecting with the settings' keys on first use (once, however many calls ask)."""
        async with self._opening:
            if self._transport is None:
                await self._open(*self.settings.credentials())
        assert self._transport is not None
        return self._transport

    # ------------------------------------------------------------------ helpers

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), KST)

    def _meta(self) -> dict[str, Any]:
        """Where and when a fresh result came from; the guard adds attempts and latency."""
        return {
            "source": "simulated" if self.simulated else "live",
            "simulated": self.simulated,
            "environment": self.mode.value,
            "timestamp": self._now().isoformat(timespec="seconds"),
        }

    async def _guarded(
        self,
        operation: str,
        params: dict[str, Any],
        load: Callable[[], Awaitable[dict[str, Any]]],
        *,
        fallback: Fallback | None = None,
    ) -> dict[str, Any]:
        """Run ``load`` through the cache, breaker, retries and fallback (see :mod:`kiwoom.resilience.guard`)."""

        async def fresh() -> dict[str, Any]:
            return {**(await self.readiness.track(load())), **self._meta()}

        return await self.guard.run(operation, params, fresh, fallback=fallback)

    async def resolve_names(
        self, value: Any, check: Callable[[Any], Checked], field: str = "stock_code"
    ) -> tuple[Checked, dict[str, str]]:
        """``check(value)`` with stock names swapped for codes, and ``{code: name}`` (:mod:`kiwoom.operations.names`).

        Only a name costs I/O, the cached ka10099 listing: a stale one will do, sample data will not."""
        if not names.names_in(value, field):
            return check(value), {}
        try:
            entries = (await self._stock_listing(fallback="stale-only"))["entries"]
        except KiwoomError as exc:
            raise names.unavailable(field, str(exc)) from exc
        value, resolved = names.substitute(value, field, entries)
        return check(value), resolved

    # ------------------------------------------------------------------ the seed's methods

    async def get_stock_price(self, stock_code: str) -> dict[str, Any]:
        """Current price, change and volume of one stock; a unique stock name stands for its code.

        Alone it asks ka10001; overlapping other lookups it joins their ka10095 batch (:mod:`kiwoom.quotes`).
        """
        code, named = await self.resolve_names(stock_code, validation.stock_code)
        return names.tagged(await self.quotes.one(code), named)

    async def get_stock_prices(self, stock_codes: list[str]) -> dict[str, Any]:
        """Quotes of up to 100 stocks, batched into ka10095; unknown and unavailable codes are listed apart.

        Each code shares its cache entry and flight with :meth:`get_stock_price`. When no code
        is known the call raises :class:`StockNotFoundError`: a verdict, never sample data.
        """
        codes, named = await self.resolve_names(stock_codes, validation.stock_codes, "stock_codes")
        return names.tagged(await self.quotes.many(codes), named)

    async def get_stock_info(self, stock_code: str) -> dict[str, Any]:
        """Name, market, sector and fundamentals (ka10001, market and sector from ka10099)."""
        code, named = await self.resolve_names(stock_code, validation.stock_code)

        async def load() -> dict[str, Any]:
            reply = await (await self._tr()).request("ka10001", {"stk_cd": code})
            listing = await self._listing_entry(results.strip_venue(code))
            return results.stock_info(reply.body, code, listing)

        return names.tagged(await self._guarded("get_stock_info", {"stock_code": code}, load), named)

    async def get_stock_history(self, stock_code: str, days: int = 30, interval: str = "day") -> dict[str, Any]:
        """Daily (ka10081) or minute (ka10080) bars of the last ``days`` trading days, oldest first."""
        chosen = validation.interval(interval)
        wanted = validation.days(days, chosen)
        code, named = await self.resolve_names(stock_code, validation.stock_code)  # after the checks free of I/O

        async def load() -> dict[str, Any]:
            bars, pages = await load_bars(await self._tr(), code, chosen, wanted, self._now())
            return {
                "stock_code": code,
                "interval": chosen,
                "days": len({(bar.get("date") or bar["time"])[:10] for bar in bars}),  # may be fewer than asked
                "days_requested": wanted,
                "count": len(bars),
                "pages": pages,
                "bars": bars,
            }

        params = {"stock_code": code, "days": wanted, "interval": chosen}
        return names.tagged(await self._guarded("get_stock_history", params, load), named)

    async def get_orderbook(self, stock_code: str) -> dict[str, Any]:
        """Ten ask and ten bid levels with quantities (ka10004)."""
        code, named = await self.resolve_names(stock_code, validation.stock_code)

        async def load() -> dict[str, Any]:
            reply = await (await self._tr()).request("ka10004", {"stk_cd": code})
            return results.orderbook(reply.body, code, self._now().date().isoformat())

        return names.tagged(await self._guarded("get_orderbook", {"stock_code": code}, load), named)

    async def search_stock(self, query: str) -> dict[str, Any]:
        """Stocks whose code, Korean name or English name matches ``query``.

        The search runs over the cached ka10099 listing, so the result's ``source`` is the
        listing's: ``cache`` once it has been loaded, ``sample`` (no matches) if it never could be.
        """
        text = validation.search_query(query)

        listing = await self._stock_listing()
        matches = rank_matches(listing.pop("entries"), text)[:MAX_SEARCH_RESULTS]
        return {"query": text, "count": len(matches), "results": matches, **listing}

    async def get_account_info(self) -> dict[str, Any]:
        """Deposit (kt00001), evaluation and holdings (kt00018); the account number is masked."""
        await self._tr()  # connects first if needed, which sets the account number
        masked = validation.mask_account(self._account_no)

        async def load() -> dict[str, Any]:
            tr = await self._tr()
            deposit = await tr.request("kt00001", {"qry_tp": "3"})
            evaluation = await tr.request("kt00018", {"qry_tp": "1", "dmst_stex_tp": "KRX"})
            return results.account(deposit.body, evaluation.body, masked)

        return await self._guarded("get_account_info", {"account_no": masked}, load)

    async def get_market_status(self) -> dict[str, Any]:
        """The KRX session now (Korea time), why the market is closed, and when it next opens.

        No Kiwoom TR reports this, so it comes from the clock and the KRX calendar, never
        from upstream: it answers even when Kiwoom is down.
        """
        state = self.calendar.clock(self._now())
        return {**self._meta(), **market_status(state)}  # its own source: the calendar, not upstream

    # ------------------------------------------------------------------ listing (ka10099)

    async def _stock_listing(self, *, fallback: Fallback | None = None) -> dict[str, Any]:
        """The KOSPI, KOSDAQ, ETF and ETN listings (ka10099), cached like any operation for ``listing_ttl_s``."""

        async def load() -> dict[str, Any]:
            return await load_listing(await self._tr())

        return await self._guarded(wiring.LISTING_OPERATION, {}, load, fallback=fallback)

    async def _listing_entry(self, code: str) -> dict[str, Any] | None:
        """The listing row of ``code`` for :meth:`get_stock_info`; a stale listing will do, sample data will not."""
        try:
            listing = await self._stock_listing(fallback="stale-only")
        except KiwoomError as exc:
            logger.warning("종목 리스트 조회 실패, 시장/업종 없이 응답: %s", exc)
            return None
        entries: list[dict[str, Any]] = listing["entries"]
        return next((e for e in entries if e["stock_code"] == code), None)
