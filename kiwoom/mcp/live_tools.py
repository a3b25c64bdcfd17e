"""The live tools, ``get_live_quote`` and ``get_live_orderbook``: the stream's latest tick, or REST and why.

A live answer is the tick the :class:`~kiwoom.realtime.hub.LiveHub` vouches for, named as
``get_stock_price`` and ``get_orderbook`` name their fields (``kiwoom.realtime.ticks``),
with ``source: "stream"``, its age and the stream's state. When the hub cannot vouch for
one (the stream is off, down, silent, or has no tick for the code), the REST chain
answers, keeping its own ``source`` (live, cache, stale, sample, simulated), and
``stream_fallback`` says why: an assistant can always tell which path answered.
Arguments are checked (and names resolved) exactly as ``get_stock_price`` checks them,
before anything is subscribed or asked upstream.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from fastmcp.tools import ToolResult

from kiwoom.client import KiwoomClient
from kiwoom.errors import KiwoomError, StockNotFoundError
from kiwoom.mcp.arguments import StockCode
from kiwoom.operations import names, validation
from kiwoom.operations.market_status import with_operation
from kiwoom.operations.validation import echo
from kiwoom.realtime.feed import FeedStatus, Pair
from kiwoom.realtime.hub import LiveHub
from kiwoom.realtime.ticks import ORDERBOOK, QUOTE, RealType, Tick, market_operation_of, orderbook_of, quote_of
from krx.calendar import KST

Invoke = Callable[[str, str, Callable[[], Awaitable[dict[str, Any]]]], Awaitable[ToolResult]]
Tool = Callable[..., Awaitable[ToolResult]]

#: Each live tool's real type and the subject of its message.
LIVE_TOOLS: dict[str, tuple[RealType, str]] = {
    "get_live_quote": (QUOTE, "실시간 시세 조회"),
    "get_live_orderbook": (ORDERBOOK, "실시간 호가 조회"),
}


def iso(epoch: float | None) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, KST).isoformat(timespec="milliseconds")


def stream_summary(status: FeedStatus | None, now: float) -> dict[str, Any] | None:
    """The feed's state as the tools show it (no URL, no token: nothing secret is in a status)."""
    if status is None:
        return None
    last = status.last_message_at
    return {
        "state": status.state,
        "role": status.role,
        "since": iso(status.since),
        "last_message_age_s": None if last is None else round(max(0.0, now - last), 3),
        "reconnects": status.reconnects,
        "subscribed": status.subscribed,
        "last_error": status.last_error,
    }


def tick_data(tick: Tick) -> dict[str, Any]:
    """A tick in the REST result's names; a quote's previous close follows from its price and change."""
    if tick.kind != QUOTE:
        return orderbook_of(tick)
    data = quote_of(tick)
    price, change = data.get("price"), data.get("change")
    if isinstance(price, int) and isinstance(change, int):
        data["previous_close"] = price - change
    return data


class LiveAnswers:
    """Builds the live tools' (and resources') data from the hub, or from the client's REST chain."""

    def __init__(self, client: KiwoomClient, hub: LiveHub) -> None:
        self.client = client
        self.hub = hub

    def _now(self) -> float:
        return float(self.client.wall_clock())

    async def answer(self, kind: RealType, code: str) -> dict[str, Any]:
        """``code``'s latest tick of ``kind`` (a checked code), or the REST answer with ``stream_fallback``."""
        pair: Pair = (kind, code)
        reading = await self.hub.read(pair)
        summary = stream_summary(reading.status, self._now())
        if reading.tick is not None:
            received = iso(reading.tick.received_at)
            # A backfill tick is a REST quote fetched after a reconnect: its source says REST, not stream.
            backfilled = reading.tick.origin == "backfill"
            rest_source = "simulated" if self.client.simulated else "live"
            return {
                **tick_data(reading.tick),
                "source": rest_source if backfilled else "stream",
                "simulated": self.client.simulated,
                "environment": self.client.mode.value,
                "timestamp": received,
                "received_at": received,
                "age_s": round(reading.age_s or 0.0, 3),
                "tick_origin": reading.tick.origin,
                "stream": summary,
            }
        try:
            rest = await (self.client.get_stock_price(code) if kind == QUOTE else self.client.get_orderbook(code))
        except StockNotFoundError:
            await self.hub.forget(pair)  # no such stock: stop asking the stream for it
            raise
        return {**rest, "stream_fallback": reading.reason, "stream": summary}

    async def checked(self, kind: RealType, stock_code: Any) -> dict[str, Any]:
        """:meth:`answer` for a tool argument: a code or a unique name, checked as ``get_stock_price`` checks it."""
        code, named = await self.client.resolve_names(stock_code, validation.stock_code)
        return names.tagged(await self.answer(kind, code), named)

    async def known(self, code: str) -> bool:
        """Whether Kiwoom knows ``code`` (a cached quote settles it); True when Kiwoom cannot say now."""
        try:
            await self.client.get_stock_price(code)
        except StockNotFoundError:
            return False
        except KiwoomError:
            return True  # an outage is no verdict: let the stream try
        return True

    def market_status(self, status: dict[str, Any]) -> dict[str, Any]:
        """``get_market_status``'s result with today's ``0s`` announcement while the stream vouches for it."""
        tick = self.hub.market_operation()
        if tick is None:
            return status
        return with_operation(status, market_operation_of(tick), simulated=self.client.simulated)


def label(tool: str, stock_code: Any) -> str:
    """The start of a live tool's message, as ``kiwoom.mcp.arguments.subject`` makes it for the others."""
    what = LIVE_TOOLS[tool][1]
    return f"{echo(stock_code)} {what}" if isinstance(stock_code, str) else what


def live_tools(answers: LiveAnswers, invoke: Invoke) -> tuple[Tool, ...]:
    """The tool functions, each named as its MCP tool."""

    async def get_live_quote(stock_code: StockCode) -> ToolResult:
        """Real-time price of one KRX stock from Kiwoom's WebSocket (0B 주식체결), with its age in seconds.

        Subscribes on first use (the first call may wait ~1.5 s for a tick); falls back to get_stock_price
        over REST when the stream is off, down, stale or silent (closed market), saying so in stream_fallback."""
        return await invoke(
            "get_live_quote", label("get_live_quote", stock_code), lambda: answers.checked(QUOTE, stock_code)
        )

    async def get_live_orderbook(stock_code: StockCode) -> ToolResult:
        """Real-time ten-level order book of one KRX stock from Kiwoom's WebSocket (0D 주식호가잔량), with its age.

        Falls back to get_orderbook over REST when the stream cannot answer, saying why in stream_fallback."""
        return await invoke(
            "get_live_orderbook",
            label("get_live_orderbook", stock_code),
            lambda: answers.checked(ORDERBOOK, stock_code),
        )

    return get_live_quote, get_live_orderbook
