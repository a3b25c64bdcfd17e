"""The HTTP app's own routes (readiness, auth), in-process through Starlette's TestClient: no socket."""

from __future__ import annotations

import httpx2
from starlette.testclient import TestClient

from fake_kiwoom import FakeKiwoomConfig, create_app
from kiwoom import KiwoomClient, Settings
from kiwoom.mcp import KiwoomMCPServer, ServerSettings
from kiwoom.mcp.http_app import build_http_app
from tests.support.clock import FakeTime


class SwitchableTransport(httpx2.AsyncBaseTransport):
    """Refuses connections until ``up`` is set, like a Kiwoom that is not reachable yet."""

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self.inner = inner
        self.up = False

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if not self.up:
            raise httpx2.ConnectError("connection refused", request=request)
        return await self.inner.handle_async_request(request)


def test_readyz_recovers_without_a_tool_call() -> None:
    """A server that started before Kiwoom was reachable must turn ready by itself, not wait for traffic.

    It tries at most once per ``ready_token_interval_s``, so it is ready one interval later.
    """
    t = FakeTime()
    transport = SwitchableTransport(httpx2.ASGITransport(app=create_app(FakeKiwoomConfig(seed=3))))
    settings = Settings(_env_file=None, base_url="http://fake", page_delay_s=0, ready_token_interval_s=30)
    client = KiwoomClient(settings, transport=transport, monotonic=t.clock)
    app = build_http_app(KiwoomMCPServer(client), ServerSettings(_env_file=None))
    with TestClient(app, base_url="http://127.0.0.1") as http:
        assert http.get("/readyz").status_code == 503
        transport.up = True
        t.advance(30)
        assert http.get("/readyz").status_code == 200


def test_bearer_scheme_is_case_insensitive() -> None:
    """RFC 7235: auth schemes are case-insensitive, so ``bearer`` must pass and ``Basic`` must not."""
    client = KiwoomClient(Settings(_env_file=None, page_delay_s=0))
    app = build_http_app(KiwoomMCPServer(client), ServerSettings(_env_file=None, auth_token="tok-123"))
    with TestClient(app, base_url="http://127.0.0.1") as http:
        assert http.get("/metrics", headers={"authorization": "bearer tok-123"}).status_code == 200
        assert http.get("/metrics", headers={"authorization": "Basic tok-123"}).status_code == 401


def test_readyz_is_not_ready_while_the_server_drains() -> None:
    client = KiwoomClient(Settings(_env_file=None, page_delay_s=0))
    app = build_http_app(KiwoomMCPServer(client), ServerSettings(_env_file=None))
    with TestClient(app, base_url="http://127.0.0.1") as http:
        assert http.get("/readyz").status_code == 200
        client.guard.stopping.set()  # what the shutdown sequence does first
        answer = http.get("/readyz")
        assert answer.status_code == 503
        assert "shutdown" in answer.json()["reasons"]
