"""The server over real HTTP (uvicorn on an ephemeral port) with the official MCP SDK client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from mcp import Client

import kiwoom
from fake_kiwoom import FakeKiwoomConfig, create_app
from kiwoom import KiwoomClient, Settings
from kiwoom.mcp import KiwoomMCPServer, ServerSettings
from kiwoom.mcp.http_app import build_http_app
from kiwoom_lab.loopback import serve
from tests.support.mcp import INIT, MCP_HEADERS

pytestmark = pytest.mark.socket


def sandbox_server() -> KiwoomMCPServer:
    return KiwoomMCPServer(KiwoomClient(Settings(_env_file=None, page_delay_s=0)))


@pytest.fixture
def open_url() -> Iterator[str]:
    app = build_http_app(sandbox_server(), ServerSettings(_env_file=None))
    with serve(app) as url:
        yield url


@pytest.fixture
def guarded_url() -> Iterator[str]:
    app = build_http_app(sandbox_server(), ServerSettings(_env_file=None, auth_token="s3cret-bearer"))
    with serve(app) as url:
        yield url


@pytest.mark.anyio
async def test_sdk_client_lists_and_calls_every_tool(open_url: str) -> None:
    calls: dict[str, dict[str, Any]] = {
        "get_stock_price": {"stock_code": "005930"},
        "get_stock_prices": {"stock_codes": ["005930", "000660"]},
        "get_stock_info": {"stock_code": "005930"},
        "get_stock_history": {"stock_code": "005930", "days": 5},
        "get_orderbook": {"stock_code": "005930"},
        "search_stock": {"query": "NAVER"},
        "get_account_info": {},
        "get_market_status": {},
        "get_stock_chart": {"stock_code": "005930"},
        "get_live_quote": {"stock_code": "005930"},
        "get_live_orderbook": {"stock_code": "005930"},
    }
    async with Client(f"{open_url}/mcp") as client:
        listed = await client.list_tools()
        assert {t.name for t in listed.tools} == set(calls)
        for name, arguments in calls.items():
            result = await client.call_tool(name, arguments)
            assert result.is_error is False, (name, result)
            assert isinstance(result.structured_content, dict)
            assert result.structured_content["success"] is True
            # search_stock reads the ka10099 listing that get_stock_info already loaded: "cache";
            # a live tool answers from the sandbox's stream, or from REST while no tick has come yet.
            assert result.structured_content["data"]["source"] in {"simulated", "live", "cache", "calendar", "stream"}


@pytest.mark.anyio
async def test_server_against_fake_kiwoom_on_a_port() -> None:
    with serve(create_app(FakeKiwoomConfig(seed=4))) as fake_url:
        client = KiwoomClient(Settings(_env_file=None, base_url=fake_url, page_delay_s=0))
        app = build_http_app(KiwoomMCPServer(client), ServerSettings(_env_file=None))
        with serve(app) as url:
            async with Client(f"{url}/mcp") as mcp:
                result = await mcp.call_tool("get_stock_price", {"stock_code": "035720"})
        journal = httpx2.get(f"{fake_url}/__admin/requests").json()["requests"]
    assert result.is_error is False
    assert isinstance(result.structured_content, dict)
    assert result.structured_content["data"]["name"] == "카카오"
    assert [r["api_id"] for r in journal] == ["au10001", "ka10001", "au10002"]


def test_probes_and_metrics(open_url: str) -> None:
    health = httpx2.get(f"{open_url}/healthz").json()
    assert health["status"] == "ok"
    assert isinstance(health["pid"], int)
    assert health["stream"] is None  # nothing asked for a live quote yet: no socket
    ready = httpx2.get(f"{open_url}/readyz")
    assert ready.status_code == 200
    assert ready.json()["ready"] is True
    metrics = httpx2.get(f"{open_url}/metrics")
    assert "kiwoom_mcp_tool_calls_total" in metrics.text or "kiwoom_breaker_state" in metrics.text


def test_wrong_host_is_rejected(open_url: str) -> None:
    response = httpx2.post(f"{open_url}/mcp", json=INIT, headers={**MCP_HEADERS, "host": "evil.example"})
    assert response.status_code == 421


def test_foreign_origin_is_rejected(open_url: str) -> None:
    response = httpx2.post(f"{open_url}/mcp", json=INIT, headers={**MCP_HEADERS, "origin": "http://evil.example"})
    assert response.status_code == 403


def test_without_token_requests_pass_when_auth_is_off(open_url: str) -> None:
    response = httpx2.post(f"{open_url}/mcp", json=INIT, headers=MCP_HEADERS)
    assert response.status_code == 200


def test_missing_or_wrong_bearer_gets_401(guarded_url: str) -> None:
    for headers in (MCP_HEADERS, {**MCP_HEADERS, "authorization": "Bearer wrong"}):
        response = httpx2.post(f"{guarded_url}/mcp", json=INIT, headers=headers)
        assert response.status_code == 401
        assert "s3cret-bearer" not in response.text
    assert httpx2.get(f"{guarded_url}/metrics").status_code == 401
    assert httpx2.get(f"{guarded_url}/healthz").status_code == 200


def test_right_bearer_initializes(guarded_url: str) -> None:
    headers = {**MCP_HEADERS, "authorization": "Bearer s3cret-bearer"}
    response = httpx2.post(f"{guarded_url}/mcp", json=INIT, headers=headers)
    assert response.status_code == 200
    assert response.headers.get("mcp-session-id")
    data_lines = [line for line in response.text.splitlines() if line.startswith("data:")]
    payload = json.loads(data_lines[0].removeprefix("data:")) if data_lines else response.json()
    assert payload["result"]["serverInfo"]["name"] == "kiwoom"


def test_non_loopback_bind_requires_a_token() -> None:
    with pytest.raises(ValueError, match="KIWOOM_MCP_AUTH_TOKEN"):
        ServerSettings(_env_file=None, host="0.0.0.0").check_exposure()
    ServerSettings(_env_file=None, host="0.0.0.0", auth_token="t").check_exposure()
    ServerSettings(_env_file=None, host="127.0.0.1").check_exposure()


def test_initialize_reports_the_project_version(open_url: str) -> None:
    response = httpx2.post(f"{open_url}/mcp", json=INIT, headers=MCP_HEADERS)
    data_lines = [line for line in response.text.splitlines() if line.startswith("data:")]
    payload = json.loads(data_lines[0].removeprefix("data:")) if data_lines else response.json()
    assert payload["result"]["serverInfo"]["version"] == kiwoom.__version__


@pytest.mark.anyio
async def test_wrong_argument_type_gets_the_envelope_over_http(open_url: str) -> None:
    async with Client(f"{open_url}/mcp") as client:
        result = await client.call_tool("get_stock_history", {"stock_code": "005930", "days": True})
    assert result.is_error is True
    assert isinstance(result.structured_content, dict)
    assert result.structured_content["success"] is False
    assert "days" in result.structured_content["message"]
