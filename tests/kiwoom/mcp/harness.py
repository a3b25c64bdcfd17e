"""The in-memory MCP harness: a KiwoomMCPServer on a fake Kiwoom, reached through FastMCP's Client."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx2
from fastmcp import Client
from starlette.applications import Starlette

from fake_kiwoom import FakeKiwoomConfig, create_app
from kiwoom import KiwoomClient, Settings
from kiwoom.mcp import KiwoomMCPServer
from kiwoom.realtime.feed import TickFeed
from tests.support.clock import FakeTime

APP_KEY = "mcp-test-app-key-9f2"
SECRET = "mcp-test-secret-7c1"
ACCOUNT = "5012345611"


@dataclass
class McpHarness:
    server: KiwoomMCPServer
    mcp: Client[Any]
    admin: httpx2.AsyncClient
    app: Starlette
    time: FakeTime

    async def upstream_count(self) -> int:
        """TR requests the fake has journalled (token requests left out): what a call cost upstream."""
        entries = self.app.state.journal.entries()
        return sum(1 for e in entries if e.api_id and not str(e.api_id).startswith("au"))

    async def requests_of(self, api_id: str) -> int:
        """Requests of one TR the fake has journalled (``ka10001``: quotes asked for)."""
        return sum(1 for e in self.app.state.journal.entries() if e.api_id == api_id)

    async def set_scenario(self, text: str) -> None:
        """Load a scenario (YAML) into the running fake."""
        response = await self.admin.put("/__admin/scenario", content=text)
        assert response.status_code == 200, response.text

    async def call(self, tool: str, **arguments: Any) -> tuple[bool, dict[str, Any]]:
        result = await self.mcp.call_tool(tool, arguments, raise_on_error=False)
        assert isinstance(result.structured_content, dict)
        return result.is_error, result.structured_content


@contextlib.asynccontextmanager
async def open_harness(feed: TickFeed | None = None, **overrides: Any) -> AsyncIterator[McpHarness]:
    """The server on a client of the in-process fake; ``overrides`` are client settings (``toolsets=...``).

    The real-time stream is off unless a ``feed`` is given (or ``stream=True``): the live tools
    then answer from REST, and no socket frame lands in the journal the tests count."""
    t = FakeTime()
    app = create_app(FakeKiwoomConfig(seed=11), clock=t.clock)
    transport = httpx2.ASGITransport(app=app)
    settings = Settings(
        _env_file=None,
        base_url="http://fake-kiwoom",
        app_key=APP_KEY,
        secret_key=SECRET,
        account_no=ACCOUNT,
        **{"stream": feed is not None, **overrides},
    )
    client = KiwoomClient(settings, transport=transport, clock=t.clock, monotonic=t.clock, sleep=t.sleep)
    server = KiwoomMCPServer(client, feed=feed)
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(transport=transport, base_url="http://fake-kiwoom") as admin,
        Client(server.fastmcp) as mcp,
    ):
        yield McpHarness(server, mcp, admin, app, t)
