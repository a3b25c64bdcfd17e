"""Reference servers for the load runs: what the same load costs with none of our code.

Throughput on a shared 2-core machine moves from run to run, so the runner measures two
floors under the same load, in the same run, and reports our figures as ratios of theirs:

* ``fastmcp``: a bare ``FastMCP("floor")`` whose tools return a constant envelope, served
  like ours (streamable HTTP at ``/mcp`` with the Host/Origin guard on, uvicorn, no
  access log). Our server can only be as fast as this: the gap is what our layers cost.
* ``starlette``: a bare Starlette route speaking just enough JSON-RPC at ``/mcp``
  (initialize with a session header, ``notifications/initialized`` → 202, ``tools/call`` →
  the constant envelope as JSON). The floor of any Python HTTP server on this machine:
  the gap to ``fastmcp`` is what the MCP SDK costs.

Both answer every tool the locust mix calls with the same envelope shape and about the
same payload as ours (``{"success", "data", "error", "message"}`` as structured content),
so response sizes match. ``python -m bench.floors fastmcp --port P``.
"""

from __future__ import annotations

import argparse
import json
import uuid
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bench.mcp_wire import PROTOCOL_VERSION, SESSION_HEADER

_QUOTE: dict[str, Any] = {
    "stock_code": "005930",
    "name": "삼성전자",
    "price": 73200,
    "change": -3300,
    "change_rate": -4.31,
    "sign": "down",
    "volume": 18973906,
    "open": 76000,
    "high": 76000,
    "low": 73100,
    "previous_close": 76500,
    "upper_limit": 99400,
    "lower_limit": 53600,
}
_META: dict[str, Any] = {
    "source": "simulated",
    "simulated": True,
    "environment": "floor",
    "timestamp": "2026-01-02T10:00:00+09:00",
    "attempts": 1,
    "latency_ms": 0.0,
}
_BAR: dict[str, Any] = {"date": "2026-01-02", "open": 73000, "high": 74000, "low": 72500, "close": 73200, "volume": 1}

#: tool -> the constant ``data`` it answers with (same fields and about the same size as ours).
FLOOR_DATA: dict[str, dict[str, Any]] = {
    "get_stock_price": {**_QUOTE, **_META},
    "get_stock_prices": {"quotes": [_QUOTE] * 10, "unknown_codes": [], "count": 10, **_META},
    "get_stock_info": {**_QUOTE, "market": "KOSPI", "sector": "전기전자", "per": 28.6, "pbr": 0.86, **_META},
    "get_stock_history": {"stock_code": "005930", "interval": "day", "bars": [_BAR] * 30, "count": 30, **_META},
    "get_market_status": {"market_open": False, "status": "CLOSED", "reason": "floor", **_META},
}


def floor_envelope(tool: str) -> dict[str, Any]:
    """The constant success envelope of ``tool`` (what our server would wrap around live data)."""
    return {"success": True, "data": FLOOR_DATA[tool], "error": None, "message": f"{tool} 완료 (floor)"}


async def _readyz(_request: Request) -> Response:
    return JSONResponse({"ready": True})


def fastmcp_app(*, stateless: bool = False) -> Starlette:
    """A bare FastMCP server with the tool names of ours, each returning its constant envelope.

    ``stateless`` serves stateless streamable HTTP, as ``kiwoom-mcp --workers N`` does (no
    ``mcp-session-id``): the tests drive the wire helpers against it.
    """
    from fastmcp import FastMCP

    mcp: FastMCP[Any] = FastMCP("floor")

    @mcp.tool
    def get_stock_price(stock_code: str) -> dict[str, Any]:
        """Constant quote."""
        return floor_envelope("get_stock_price")

    @mcp.tool
    def get_stock_prices(stock_codes: list[str]) -> dict[str, Any]:
        """Constant batch of quotes."""
        return floor_envelope("get_stock_prices")

    @mcp.tool
    def get_stock_info(stock_code: str) -> dict[str, Any]:
        """Constant stock info."""
        return floor_envelope("get_stock_info")

    @mcp.tool
    def get_stock_history(stock_code: str, days: int = 30, interval: str = "day") -> dict[str, Any]:
        """Constant 30 bars."""
        return floor_envelope("get_stock_history")

    @mcp.tool
    def get_market_status() -> dict[str, Any]:
        """Constant market status."""
        return floor_envelope("get_market_status")

    app = mcp.http_app(path="/mcp", host_origin_protection=True, stateless_http=stateless or None)
    app.router.routes[:0] = [Route("/readyz", _readyz, methods=["GET"])]
    return app


def _rpc_result(request_id: Any, result: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


def _rpc_error(request_id: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


async def _jsonrpc(request: Request) -> Response:
    """Just enough of MCP's JSON-RPC: parse, dispatch on ``method``, serialize the constant answer."""
    try:
        message = json.loads(await request.body())
    except json.JSONDecodeError:
        return JSONResponse(_rpc_error(None, -32700, "parse error"), status_code=400)
    method = message.get("method")
    request_id = message.get("id")
    if method == "initialize":
        init: dict[str, Any] = {
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {"tools": {"listChanged": False}},
            "serverInfo": {"name": "starlette-floor", "version": "1"},
        }
        return JSONResponse(_rpc_result(request_id, init), headers={SESSION_HEADER: uuid.uuid4().hex})
    if request_id is None:  # a notification (notifications/initialized)
        return Response(status_code=202)
    if method == "tools/call":
        tool = (message.get("params") or {}).get("name")
        if tool not in FLOOR_DATA:
            return JSONResponse(_rpc_error(request_id, -32602, f"unknown tool {tool!r}"))
        envelope = floor_envelope(tool)
        result: dict[str, Any] = {
            "content": [{"type": "text", "text": json.dumps(envelope, ensure_ascii=False)}],
            "structuredContent": envelope,
            "isError": False,
        }
        return JSONResponse(_rpc_result(request_id, result))
    return JSONResponse(_rpc_error(request_id, -32601, f"method not found: {method}"))


def starlette_app() -> Starlette:
    """The floor of a Python HTTP server: one Starlette route, JSON-RPC by hand."""
    return Starlette(routes=[Route("/mcp", _jsonrpc, methods=["POST"]), Route("/readyz", _readyz, methods=["GET"])])


FLOORS = {"fastmcp": fastmcp_app, "starlette": starlette_app}


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m bench.floors", description="Serve a reference (floor) MCP server")
    parser.add_argument("kind", choices=sorted(FLOORS))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    # The same uvicorn settings as kiwoom/mcp/http_app.py's uvicorn_config, so only the application differs.
    uvicorn.run(
        FLOORS[args.kind](),
        host=args.host,
        port=args.port,
        lifespan="on",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=1,
    )


if __name__ == "__main__":
    main()
