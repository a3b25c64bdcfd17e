"""What an assistant and an operator see when upstream fails: a failure, or a fallback said as such.

A mock or real account with a failing Kiwoom answers with ``isError`` (no invented prices);
where sample or stale data is served, the tool log line and the metrics say ``fallback``,
not ``success``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
from fastmcp import Client

from fake_kiwoom import FakeKiwoomConfig, create_app
from fake_kiwoom.canned import OUTAGE_NOW
from fake_kiwoom.scenario_model import parse_scenario
from kiwoom import KiwoomClient, Settings
from kiwoom.mcp import KiwoomMCPServer
from tests.kiwoom.mcp.harness import ACCOUNT, APP_KEY, SECRET
from tests.support.clock import FakeTime

pytestmark = pytest.mark.anyio


@dataclass
class Served:
    server: KiwoomMCPServer
    mcp: Client[Any]
    admin: httpx2.AsyncClient
    time: FakeTime

    async def call(self, tool: str, **arguments: Any) -> tuple[bool, dict[str, Any]]:
        result = await self.mcp.call_tool(tool, arguments, raise_on_error=False)
        assert isinstance(result.structured_content, dict)
        return result.is_error, result.structured_content

    async def outage(self) -> None:
        response = await self.admin.put("/__admin/scenario", content=OUTAGE_NOW)
        assert response.status_code == 200, response.text


@contextlib.asynccontextmanager
async def served(scenario: str | None = None, **overrides: Any) -> AsyncIterator[Served]:
    """The MCP server over the fake (a virtual clock, so retries do not wait); ``overrides`` go to Settings."""
    t = FakeTime()
    loaded = parse_scenario(scenario, "test") if scenario else None
    app = create_app(FakeKiwoomConfig(seed=11), clock=t.clock, sleep=t.sleep, scenario=loaded)
    transport = httpx2.ASGITransport(app=app)
    values: dict[str, Any] = {"base_url": "http://fake-kiwoom", "app_key": APP_KEY, "secret_key": SECRET}
    values.update(account_no=ACCOUNT, page_delay_s=0, **overrides)
    client = KiwoomClient(
        Settings(_env_file=None, **values), transport=transport, clock=t.clock, monotonic=t.clock, sleep=t.sleep
    )
    server = KiwoomMCPServer(client)
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(transport=transport, base_url="http://fake-kiwoom") as admin,
        Client(server.fastmcp) as mcp,
    ):
        yield Served(server, mcp, admin, t)


async def test_mock_account_with_failing_kiwoom_answers_is_error() -> None:
    async with served(OUTAGE_NOW, base_url=None, env="mock") as s:
        is_error, body = await s.call("get_stock_price", stock_code="005930")
    assert is_error is True
    assert body["success"] is False
    assert body["data"] is None
    assert body["message"] == "005930 종목 가격 조회 실패"
    assert "503" in body["error"]


async def test_sample_data_is_logged_as_a_fallback(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="kiwoom.server")
    async with served(OUTAGE_NOW) as s:
        is_error, body = await s.call("get_stock_price", stock_code="005930")
    assert (is_error, body["data"]["source"], body["data"]["placeholder"]) == (False, "sample", True)
    assert "tool=get_stock_price outcome=fallback source=sample" in caplog.text


async def test_stale_data_is_logged_as_a_fallback(caplog: pytest.LogCaptureFixture) -> None:
    async with served() as s:
        await s.call("get_stock_price", stock_code="005930")
        s.time.advance(400)  # past the TTL, inside the stale window
        await s.outage()
        caplog.set_level(logging.INFO, logger="kiwoom.server")
        _, body = await s.call("get_stock_price", stock_code="005930")
    assert body["data"]["source"] == "stale"
    assert "tool=get_stock_price outcome=fallback source=stale" in caplog.text


async def test_the_metrics_count_a_fallback_apart_from_a_success() -> None:
    async with served(OUTAGE_NOW) as s:
        await s.call("get_stock_price", stock_code="005930")
        text = s.server.metrics.render().decode()
    assert 'kiwoom_mcp_tool_calls_total{outcome="fallback",tool="get_stock_price"} 1.0' in text
    assert 'outcome="success",tool="get_stock_price"' not in text


async def test_market_status_envelope_is_labelled_calendar() -> None:
    async with served() as s:
        is_error, body = await s.call("get_market_status")
    assert is_error is False
    assert body["data"]["source"] == "calendar"
    assert "calendar" not in body["message"]  # said in Korean, not as a raw label
