"""End to end on the sandbox (no keys): the client's own RealtimeStream, in-process to the embedded fake.

The first live call opens the socket (LOGIN, REG) and answers from the first tick; the quote
agrees with the REST one on the previous close, and says it is simulated. The market phase
(0s) registered with it then sets get_market_status, in agreement with the calendar.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastmcp import Client

from fake_kiwoom.websocket import WsSettings
from kiwoom import KiwoomClient, Settings
from kiwoom.mcp import KiwoomMCPServer

pytestmark = pytest.mark.anyio

#: The fake pushes every 20 ms (1 s by default), so the first tick comes well within the first call's wait.
FAST_WS = WsSettings(ping_interval_s=0.5, push_interval_s=0.02)


async def call(mcp: Client[Any], tool: str, **arguments: Any) -> dict[str, Any]:
    result = await mcp.call_tool(tool, arguments, raise_on_error=False)
    assert isinstance(result.structured_content, dict)
    return result.structured_content


async def test_the_sandbox_stream_answers_a_live_quote() -> None:
    server = KiwoomMCPServer(KiwoomClient(Settings(_env_file=None, page_delay_s=0)))
    async with Client(server.fastmcp) as mcp:
        app = server.kiwoom_client.asgi_app
        assert app is not None  # the embedded fake, reached in-process
        app.state.ws_settings = FAST_WS
        assert server.live_hub.started is False  # no socket until someone asks for live data
        live = await call(mcp, "get_live_quote", stock_code="005930")
        book = await call(mcp, "get_live_orderbook", stock_code="005930")
        rest = await call(mcp, "get_stock_price", stock_code="005930")
        market = await call(mcp, "get_market_status")
        status = server.live_hub.status()
    assert live["success"] is True
    data = live["data"]
    assert data["source"] == "stream", data.get("stream_fallback")
    assert data["simulated"] is True
    assert data["environment"] == "sandbox"
    assert data["previous_close"] == rest["data"]["previous_close"]
    assert data["stream"]["state"] == "up"
    assert "시뮬레이션" in live["message"]
    assert "실제 시세가 아닙니다" in live["message"]
    assert book["data"]["source"] == "stream"
    assert len(book["data"]["asks"]) == 10
    assert status is not None
    assert status.subscribed == 3  # 0B and 0D of 005930, and 0s
    phase = market["data"]
    assert phase["source"] == "stream"
    assert phase["simulated"] is True
    assert phase["operation"]["operation_code"] is not None
    assert phase["session"] == phase["calendar_session"]  # the fake announces from the same KRX calendar
    assert server.live_hub.started is False  # the lifespan's end closed the socket
