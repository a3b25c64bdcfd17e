"""A tool call through the in-memory FastMCP client on a cache hit: what MCP adds to the client.

Run with ``tox -e bench``; compare with ``test_cache_hit_get_stock_price`` (the client alone).
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx2
from fastmcp import Client
from pytest_benchmark.fixture import BenchmarkFixture

from fake_kiwoom import FakeKiwoomConfig, create_app
from kiwoom import KiwoomClient, Settings
from kiwoom.mcp import KiwoomMCPServer


def test_cache_hit_tool_call_in_memory(benchmark: BenchmarkFixture, loop: asyncio.AbstractEventLoop) -> None:
    app = create_app(FakeKiwoomConfig(seed=1, rate_limit_per_s=0))
    settings = Settings(_env_file=None, base_url="http://fake-kiwoom", rate_limit_per_s=0, page_delay_s=0)
    server = KiwoomMCPServer(KiwoomClient(settings, transport=httpx2.ASGITransport(app=app)))
    mcp: Client[Any] = Client(server.fastmcp)
    loop.run_until_complete(mcp.__aenter__())

    def call() -> dict[str, Any]:
        result = loop.run_until_complete(mcp.call_tool("get_stock_price", {"stock_code": "005930"}))
        content: dict[str, Any] = result.structured_content or {}
        return content

    call()  # fills the cache
    content = benchmark(call)
    assert content["data"]["source"] == "cache"
    loop.run_until_complete(mcp.__aexit__(None, None, None))
