"""The live tools' ``data``: a stream tick in the REST results' names, or the REST answer, with the stream's state.

A live answer is either a tick (``source: "stream"``, with ``age_s`` and ``received_at``)
or the REST answer it fell back to, which keeps its own source; ``stream_fallback`` says
why. So each model is the REST tool's model (:mod:`kiwoom.mcp.schemas`) plus the live
fields, and ``source`` gains ``stream`` (and never is ``calendar``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from kiwoom.mcp.envelope import output_schema
from kiwoom.mcp.schemas import ISO_KST, KRW, SOURCE_TEXT, Orderbook, Provenance, Schema, StockPrice
from kiwoom.realtime.hub import FallbackReason

LIVE_SOURCE_TEXT = (
    "stream: the latest tick of Kiwoom's real-time WebSocket (age_s says how old; in the sandbox simulated "
    "is true: a synthetic market, NOT real). Any other value: the stream could not answer (stream_fallback "
    "says why) and the REST answer is given with its own source. " + SOURCE_TEXT
)
#: A live tool's source: the stream, or the REST answer it fell back to (never calendar).
LiveSource = Literal["stream", "live", "cache", "stale", "sample", "simulated"]


class StreamSummary(Schema):
    """The real-time stream's state when the answer was made."""

    state: Literal["stopped", "connecting", "up", "down"] = Field(description="The upstream WebSocket's state")
    role: str | None = Field(None, description="local (this process's socket), leader or follower (shared via Redis)")
    since: str | None = Field(None, description=f"When the current connection logged in, {ISO_KST}")
    last_message_age_s: float | None = Field(
        None, description="Seconds since the stream's last frame of any kind (PING included)"
    )
    reconnects: int | None = Field(None, description="Reconnects since the stream started")
    subscribed: int | None = Field(None, description="Pairs (real type, code) registered upstream now")
    last_error: str | None = Field(None, description="Why the stream last went down, if it did")


class Live(Schema):
    """What a live tool adds: the tick's age, the stream's state, and why REST answered if it did."""

    source: LiveSource = Field(description=LIVE_SOURCE_TEXT)
    age_s: float | None = Field(None, description="Seconds since the tick was received (source stream only)")
    received_at: str | None = Field(None, description=f"When the tick was received, {ISO_KST} (source stream)")
    tick_origin: Literal["stream", "backfill"] | None = Field(
        None,
        description="stream: pushed by Kiwoom; backfill: a REST quote fetched after a reconnect to fill the gap",
    )
    stream: StreamSummary | None = Field(None, description="The stream's state (null when it is off or not started)")
    stream_fallback: FallbackReason | None = Field(
        None,
        description="Set when the stream could not answer and REST did: stream_disabled (KIWOOM_STREAM=false), "
        "stream_down (not connected), stream_stale (no frame for KIWOOM_STREAM_STALE_S), no_tick (connected, "
        "but no trade or order-book change arrived for this code, e.g. the market is closed)",
    )


class LiveQuote(Live, StockPrice):
    """get_live_quote: the latest 주식체결 (0B) tick, or get_stock_price's answer when the stream cannot give one."""

    source: LiveSource = Field(description=LIVE_SOURCE_TEXT)  # type: ignore[assignment]  # adds "stream"
    value_million_krw: int | None = Field(None, description="Traded value today, in millions of KRW (stream)")
    best_ask: int | None = Field(None, description=f"Best (lowest) ask price, {KRW} (stream)")
    best_bid: int | None = Field(None, description=f"Best (highest) bid price, {KRW} (stream)")
    last_trade_quantity: int | None = Field(None, description="Shares in the trade that made the tick (stream)")
    last_trade_side: Literal["buy", "sell"] | None = Field(
        None, description="buy: the trade lifted the ask; sell: it hit the bid (stream)"
    )
    execution_strength: float | None = Field(None, description="체결강도: buy over sell volume, in % (stream)")
    trade_time: str | None = Field(None, description=f"Time of the trade, {ISO_KST} (stream)")


class LiveOrderbook(Live, Orderbook):
    """get_live_orderbook: the latest 주식호가잔량 (0D) tick, or get_orderbook's answer when the stream cannot."""

    source: LiveSource = Field(description=LIVE_SOURCE_TEXT)  # type: ignore[assignment]  # adds "stream"


#: Each live tool's data model, by tool name.
LIVE_DATA_MODELS: dict[str, type[Provenance]] = {"get_live_quote": LiveQuote, "get_live_orderbook": LiveOrderbook}
#: Each live tool's published output schema.
LIVE_OUTPUT_SCHEMAS: dict[str, dict[str, Any]] = {tool: output_schema(m) for tool, m in LIVE_DATA_MODELS.items()}
