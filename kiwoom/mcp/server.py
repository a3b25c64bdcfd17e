"""``KiwoomMCPServer``: read-only Kiwoom tools on FastMCP, with the seed's result envelopes.

The server owns a ``FastMCP`` instance (no inheritance, as in the seed), registers its
tools in :meth:`KiwoomMCPServer._register_tools`, and opens the client in the FastMCP
lifespan so that the token is issued at start (in the background: the server answers at
once) and revoked at shutdown, on either transport. The live tools and resources
(:mod:`kiwoom.mcp.live_tools`, :mod:`kiwoom.mcp.live_resources`) read a
:class:`~kiwoom.realtime.hub.LiveHub` the server owns.
No tool places orders and no tool takes credentials.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from importlib import metadata
from typing import Any

import uvicorn
from fastmcp import FastMCP
from fastmcp.tools import ToolResult
from mcp.server.subscriptions import InMemorySubscriptionBus
from mcp.types import (
    SubscribeRequestParams,
    SubscriptionsListenRequestParams,
    TextContent,
    ToolAnnotations,
    UnsubscribeRequestParams,
)

from kiwoom.client import KiwoomClient
from kiwoom.errors import InvalidInputError, KiwoomError
from kiwoom.mcp import envelope
from kiwoom.mcp.arguments import ArgumentErrors, Days, Interval, Query, StockCode, StockCodes, subject
from kiwoom.mcp.catalog_tools import Tool, catalog_tools
from kiwoom.mcp.http_app import build_http_app, uvicorn_config
from kiwoom.mcp.listen import bind_listener
from kiwoom.mcp.live_listen import LiveListen
from kiwoom.mcp.live_resources import LegacySubscriptions, UpdateFanOut, register_resources
from kiwoom.mcp.live_schemas import LIVE_OUTPUT_SCHEMAS
from kiwoom.mcp.live_tools import LiveAnswers, live_tools
from kiwoom.mcp.metrics import Metrics
from kiwoom.mcp.schemas import OUTPUT_SCHEMAS
from kiwoom.mcp.settings import ServerSettings
from kiwoom.observe import FanOut
from kiwoom.operations.toolsets import TOOLSET_OF
from kiwoom.realtime.feed import TickFeed
from kiwoom.realtime.hub import FeedFactory, LiveHub

logger = logging.getLogger("kiwoom.server")

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True)

INSTRUCTIONS = """\
Read-only access to Korean stock market data from Kiwoom Securities (KRX: KOSPI, KOSDAQ, ETFs).
Stock codes are 6 characters, e.g. 005930 (Samsung Electronics). A stock name is accepted where a code is
expected when exactly one listing matches it (the result says resolved_from); otherwise use search_stock.
Every result has data.source: live, cache, stale (upstream failed, older data; cache_age_s says how old),
sample (upstream failed: placeholder: true, no figures, NOT a real quote), simulated (sandbox market, NOT
real), calendar (get_market_status: computed from the KRX calendar and the clock, not from Kiwoom) or stream
(get_live_quote/get_live_orderbook: the latest real-time tick, age_s old; with simulated true it is NOT real).
Tell the user when data is not live. A failed call has success false and says what failed: never fill in
a number yourself. Prices are in KRW; previous_close is the previous day's close. No tool can place orders."""

#: Sources that mean upstream failed and the call answered anyway: logged and counted as ``fallback``.
FALLBACK_SOURCES = frozenset({"stale", "sample"})


def project_version() -> str:
    """The installed kiwoom-mcp version, for ``serverInfo`` (FastMCP would report its own)."""
    try:
        return metadata.version("kiwoom-mcp")
    except metadata.PackageNotFoundError:  # a source checkout that was never installed
        return "0+unknown"


class KiwoomMCPServer:
    """FastMCP server exposing :class:`KiwoomClient` as read-only tools (port 8030 by default)."""

    def __init__(
        self, client: KiwoomClient | None = None, *, metrics: Metrics | None = None, feed: TickFeed | None = None
    ) -> None:
        """``feed``: the real-time feed to use instead of the client's own (tests inject a scripted one)."""
        self.kiwoom_client = client or KiwoomClient()
        self.metrics = metrics or Metrics(storage_backend=self.kiwoom_client.storage)
        # Keep whatever the client already reports to (a lesson's timeline, say) beside the metrics.
        self.kiwoom_client.attach_observer(FanOut(self.kiwoom_client.observer, self.metrics))
        self.logger = logger
        self.fastmcp: FastMCP[Any] = FastMCP(
            "kiwoom", instructions=INSTRUCTIONS, version=project_version(), lifespan=self._lifespan
        )
        settings = self.kiwoom_client.settings
        self._feed = feed
        self.live_hub = LiveHub(
            stale_s=settings.stream_stale_s,
            unused_s=settings.stream_unused_s,
            first_tick_wait_s=settings.stream_first_tick_wait_s,
            clock=self.kiwoom_client.wall_clock,
            market_operation=True,  # 0s with the first live use: get_market_status then follows the exchange
        )
        self.live = LiveAnswers(self.kiwoom_client, self.live_hub)
        self.fanout = UpdateFanOut(self.live_hub, InMemorySubscriptionBus(), known=self.live.known)
        self.legacy_subscriptions = LegacySubscriptions(self.fanout)
        self.listen = LiveListen(self.fanout.bus, self.fanout)
        self._register_tools()
        self._register_live_resources()

    @asynccontextmanager
    async def _lifespan(self, _server: FastMCP[Any]) -> AsyncIterator[dict[str, Any]]:
        """Open the client, then issue the token in the background: the server answers at once.

        Claude Desktop gives up on a slow stdio ``initialize`` and an orchestrator on a closed
        port, so neither may wait for Kiwoom (a hanging one held both for ~30 s). A call that
        comes first waits for the same token (one issue however many ask); ``/readyz`` says
        when it is there. Opening sends nothing but still checks the keys, so bad settings
        fail the start as before. The real-time feed is attached here but opened only by the
        first live call or subscription. At shutdown the connect is cancelled, listen
        streams end, subscriptions release their codes and the socket closes, all before
        the revoke.
        """
        client = self.kiwoom_client
        await client.open()

        async def connect() -> None:
            try:
                connected = await client.connect()
            except Exception:
                self.logger.exception("키움 API 연결 중 예상치 못한 에러")
                return
            if connected:
                label = "시뮬레이션 데이터 (내장 샌드박스)" if client.simulated else "실제 데이터"
                self.logger.info("키움 MCP 서버 준비 완료: %s 모드, %s", client.mode.value, label)
            else:
                self.logger.error("키움 API 연결 실패 (도구 호출 시 다시 시도합니다): %s", client.last_error)

        connecting = asyncio.create_task(connect(), name="kiwoom-connect")
        # Built on first live use, after open(): the sandbox's stream reaches the app open() starts.
        self.live_hub.attach(self._feed_factory() if client.settings.stream else None)
        try:
            yield {}
        finally:
            connecting.cancel()
            await asyncio.wait([connecting])  # never re-raises: a cancelled shutdown stays cancelled
            self.listen.close()
            await self.legacy_subscriptions.close()
            await self.fanout.close()
            await self.live_hub.close()  # the socket closes before the token it logged in with is revoked
            revoked = await client.close()
            self.logger.info("키움 MCP 서버 종료%s", ": 접근토큰 폐기" if revoked else "")

    def _feed_factory(self) -> FeedFactory:
        """The injected feed, or the client's own (``KiwoomClient.realtime_feed``: one socket per process)."""
        injected = self._feed
        if injected is not None:
            return lambda: injected
        return self.kiwoom_client.realtime_feed

    def _register_live_resources(self) -> None:
        """``kiwoom://quote/{code}`` and ``kiwoom://orderbook/{code}``, and subscriptions in both protocol eras.

        Registered only with the live tools' toolset: with it off, nothing can subscribe upstream.
        The handlers go on the SDK server FastMCP wraps, which derives the ``resources.subscribe``
        capability from them (``resources/subscribe`` before 2026-07-28, ``subscriptions/listen`` after).
        """
        toolset = TOOLSET_OF["get_live_quote"]
        if toolset not in self.kiwoom_client.settings.toolset_names():
            return
        register_resources(self.fastmcp, self.live, toolset)
        low = self.fastmcp._mcp_server
        low.add_request_handler("resources/subscribe", SubscribeRequestParams, self.legacy_subscriptions.subscribe)
        low.add_request_handler(
            "resources/unsubscribe", UnsubscribeRequestParams, self.legacy_subscriptions.unsubscribe
        )
        low.add_request_handler("subscriptions/listen", SubscriptionsListenRequestParams, self.listen)

    async def _invoke(self, tool: str, label: str, call: Callable[[], Awaitable[dict[str, Any]]]) -> ToolResult:
        """Run one tool call and wrap it in the envelope; failures also set ``isError``."""
        started = time.perf_counter()
        source: str | None = None
        try:
            data = await call()
            source = str(data.get("source"))
            result = envelope.success(data, label)
            outcome = "fallback" if source in FALLBACK_SOURCES else "success"
        except InvalidInputError as exc:
            result = envelope.failure(str(exc), f"{label} 실패: 잘못된 입력 ({exc.field})")
            outcome = "invalid_input"
        except KiwoomError as exc:
            result = envelope.failure(str(exc), f"{label} 실패")
            outcome = "upstream_error"
        except Exception as exc:
            self.logger.exception("예상치 못한 에러 (%s)", tool)
            result = envelope.failure(f"내부 오류: {type(exc).__name__}", "시스템 오류가 발생했습니다")
            outcome = "internal_error"
        elapsed = time.perf_counter() - started
        self.metrics.tool_call(tool, outcome, source, elapsed)
        self.logger.info("tool=%s outcome=%s source=%s latency_ms=%.1f", tool, outcome, source, elapsed * 1000)
        payload = result.model_dump(mode="json")
        return ToolResult(
            content=[TextContent(type="text", text=json.dumps(payload, ensure_ascii=False))],
            structured_content=payload,
            is_error=not result.success,
        )

    async def _reject(self, tool: str, arguments: Mapping[str, Any], error: InvalidInputError) -> ToolResult:
        """The envelope of a call FastMCP refused for its argument names (see :mod:`kiwoom.mcp.arguments`)."""

        async def refused() -> dict[str, Any]:
            raise error

        return await self._invoke(tool, subject(tool, arguments), refused)

    def _register_tools(self) -> None:
        """Register the read-only tools on ``self.fastmcp``.

        Arguments arrive as ``Any`` and are checked by the client's validation, so a wrong
        type gets the envelope like any other bad input (see :mod:`kiwoom.mcp.arguments`).
        """
        client = self.kiwoom_client

        async def get_stock_price(stock_code: StockCode) -> ToolResult:
            """Current price, change, change rate and volume of one KRX stock (Kiwoom ka10001)."""
            label = subject("get_stock_price", {"stock_code": stock_code})
            return await self._invoke("get_stock_price", label, lambda: client.get_stock_price(stock_code))

        async def get_stock_prices(stock_codes: StockCodes) -> ToolResult:
            """Prices of up to 100 stocks in one upstream request (Kiwoom ka10095); unknown codes are listed."""
            label = subject("get_stock_prices", {"stock_codes": stock_codes})
            return await self._invoke("get_stock_prices", label, lambda: client.get_stock_prices(stock_codes))

        async def get_stock_info(stock_code: StockCode) -> ToolResult:
            """Name, market, sector and fundamentals (PER, PBR, EPS, market cap, 250-day range) of a stock."""
            label = subject("get_stock_info", {"stock_code": stock_code})
            return await self._invoke("get_stock_info", label, lambda: client.get_stock_info(stock_code))

        async def get_stock_history(stock_code: StockCode, days: Days = 30, interval: Interval = "day") -> ToolResult:
            """OHLCV bars, oldest first: daily (ka10081) or minute (ka10080), following continuation pages."""
            label = subject("get_stock_history", {"stock_code": stock_code})
            return await self._invoke(
                "get_stock_history", label, lambda: client.get_stock_history(stock_code, days, interval)
            )

        async def get_orderbook(stock_code: StockCode) -> ToolResult:
            """Ten ask and ten bid price levels with quantities (Kiwoom ka10004)."""
            label = subject("get_orderbook", {"stock_code": stock_code})
            return await self._invoke("get_orderbook", label, lambda: client.get_orderbook(stock_code))

        async def search_stock(query: Query) -> ToolResult:
            """Find KRX stocks and ETFs by Korean or English name or by code."""
            label = subject("search_stock", {"query": query})
            return await self._invoke("search_stock", label, lambda: client.search_stock(query))

        async def get_account_info() -> ToolResult:
            """Cash balance, total value, profit/loss and holdings of the configured account (number masked)."""
            return await self._invoke("get_account_info", subject("get_account_info", {}), client.get_account_info)

        async def get_market_status() -> ToolResult:
            """Whether KRX is trading now, which session is on (or why closed), and when it next opens."""

            async def status() -> dict[str, Any]:
                return self.live.market_status(await client.get_market_status())

            return await self._invoke("get_market_status", subject("get_market_status", {}), status)

        tools: tuple[Tool, ...] = (
            get_stock_price,
            get_stock_prices,
            get_stock_info,
            get_stock_history,
            get_orderbook,
            search_stock,
            get_account_info,
            get_market_status,
            *live_tools(self.live, self._invoke),
            *catalog_tools(client, self._invoke),
        )
        schemas = {**OUTPUT_SCHEMAS, **LIVE_OUTPUT_SCHEMAS}
        for fn in tools:
            toolset = TOOLSET_OF[fn.__name__]
            self.fastmcp.tool(fn, annotations=READ_ONLY, output_schema=schemas[fn.__name__], tags={toolset})
        # Only the toolsets KIWOOM_TOOLSETS names are listed and callable: a short list for assistants.
        self.fastmcp.enable(tags=set(client.settings.toolset_names()), only=True)
        parameters = {fn.__name__: list(inspect.signature(fn).parameters) for fn in tools}
        self.fastmcp.add_middleware(ArgumentErrors(self._reject, parameters))

    async def run(
        self,
        transport: str = "http",
        host: str = "127.0.0.1",
        port: int = 8030,
        *,
        settings: ServerSettings | None = None,
    ) -> None:
        """Serve until stopped: HTTP at ``http://host:port/mcp``, or stdio for desktop assistants.

        On SIGTERM uvicorn stops accepting, gives in-flight calls ``shutdown_timeout_s`` to
        finish, cancels what is left (open MCP streams would otherwise hold the process),
        then runs the lifespan shutdown, which revokes the Kiwoom token. A port that cannot be
        bound raises :class:`~kiwoom.errors.ConfigurationError` before the lifespan starts
        (:mod:`kiwoom.mcp.listen`).
        """
        base = settings or ServerSettings()
        settings = base.model_copy(update={"transport": transport, "host": host, "port": port})
        settings.check_exposure()
        if settings.transport == "stdio":
            await self.fastmcp.run_async(transport="stdio", show_banner=False)
            return
        # uvicorn binds only after the lifespan has connected: bind first, so a busy port fails before any token.
        listener = bind_listener(host, port)
        try:
            app = build_http_app(self, settings)
            client = self.kiwoom_client
            data = "시뮬레이션 데이터 (내장 샌드박스)" if client.simulated else "실제 데이터"
            logger.info(
                "키움 MCP 서버 시작: http://%s:%d%s (%s 모드, %s)", host, port, settings.path, client.mode.value, data
            )
            await uvicorn.Server(uvicorn_config(app, settings)).serve(sockets=[listener])
        finally:
            listener.close()
