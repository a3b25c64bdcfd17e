"""``python -m bench.hotpaths``: the two hot paths timed with tight loops, best of five rounds.

pytest-benchmark's medians swing by tens of percent on a busy 2-core machine; a tight loop's best
round is steadier for comparing two commits back to back (run it with ``PYTHONPATH`` pointing at the
other checkout). It times a cache hit through the client, and a cache-hit tool call through the
in-memory FastMCP client both with the client's result parsing and without it (``call_tool_mcp``),
which separates what the server costs from what FastMCP's client spends on the output schema.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx2
from fastmcp import Client

from fake_kiwoom import FakeKiwoomConfig, create_app
from kiwoom import KiwoomClient, Settings
from kiwoom.mcp import KiwoomMCPServer

ROUNDS = 5


async def best_of(call: Callable[[], Awaitable[Any]], per_round: int) -> float:
    """The fastest round's mean seconds per call."""
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(per_round):
            await call()
        best = min(best, (time.perf_counter() - started) / per_round)
    return best


def sandbox_client() -> KiwoomClient:
    app = create_app(FakeKiwoomConfig(seed=1, rate_limit_per_s=0))
    settings = Settings(_env_file=None, base_url="http://fake-kiwoom", rate_limit_per_s=0, page_delay_s=0)
    return KiwoomClient(settings, transport=httpx2.ASGITransport(app=app))


async def measure() -> dict[str, float]:
    client = sandbox_client()
    await client.get_stock_price("005930")
    hit = await best_of(lambda: client.get_stock_price("005930"), 20_000)
    await client.close()
    server = KiwoomMCPServer(sandbox_client())
    async with Client(server.fastmcp) as mcp:
        arguments = {"stock_code": "005930"}
        await mcp.call_tool("get_stock_price", arguments)
        parsed = await best_of(lambda: mcp.call_tool("get_stock_price", arguments), 300)
        raw = await best_of(lambda: mcp.call_tool_mcp("get_stock_price", arguments), 300)
    return {"cache_hit_us": hit * 1e6, "tool_call_ms": parsed * 1e3, "tool_call_unparsed_ms": raw * 1e3}


def main() -> None:
    logging.disable(logging.CRITICAL)
    figures = asyncio.run(measure())
    print(f"cache hit, get_stock_price:             {figures['cache_hit_us']:.2f} µs")
    print(f"tool call (in-memory, parsed result):   {figures['tool_call_ms']:.3f} ms")
    print(f"tool call (call_tool_mcp, no parsing):  {figures['tool_call_unparsed_ms']:.3f} ms")


if __name__ == "__main__":
    main()
