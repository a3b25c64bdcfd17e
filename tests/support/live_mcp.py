"""Live servers for the shutdown and limits tests: a slow fake Kiwoom, a hardened server in a thread, raw MCP calls."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx2
import uvicorn

from fake_kiwoom import FakeKiwoomConfig, create_app
from kiwoom import KiwoomClient, Settings
from kiwoom.mcp import KiwoomMCPServer, ServerSettings
from kiwoom.mcp.http_app import build_http_app, uvicorn_config
from kiwoom_lab.loopback import free_port, loopback_url, serve
from tests.support.mcp import INIT, MCP_HEADERS, PROTOCOL_VERSION


@contextlib.contextmanager
def fake_with_fault(fault: dict[str, Any]) -> Iterator[str]:
    """A fake Kiwoom on a port whose every ka10001 request suffers ``fault``."""
    scenario = {
        "version": 1,
        "name": "shutdown_test",
        "description": "every ka10001 request is slow",
        "rules": [{"match": {"api_id": "ka10001"}, "steps": [{"fault": fault}], "then": "hold"}],
    }
    with serve(create_app(FakeKiwoomConfig(seed=1)), timeout_s=8) as url:
        httpx2.put(f"{url}/__admin/scenario", content=json.dumps(scenario)).raise_for_status()
        yield url


@contextlib.contextmanager
def hardened_server(client: KiwoomClient | None = None, **settings: Any) -> Iterator[str]:
    """``build_http_app`` served with the server's own uvicorn configuration, in a thread."""
    server_settings = ServerSettings(_env_file=None, port=free_port(), log_level="WARNING", **settings)
    client = client or KiwoomClient(Settings(_env_file=None, page_delay_s=0))
    server = uvicorn.Server(uvicorn_config(build_http_app(KiwoomMCPServer(client), server_settings), server_settings))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.01)
    try:
        yield loopback_url(server_settings.port)
    finally:
        server.should_exit = True
        thread.join(15)


def open_session(base: str) -> dict[str, str]:
    """Initialize an MCP session; the headers that address it."""
    session = httpx2.post(f"{base}/mcp", json=INIT, headers=MCP_HEADERS).headers["mcp-session-id"]
    headers = {**MCP_HEADERS, "mcp-session-id": session, "mcp-protocol-version": PROTOCOL_VERSION}
    initialized = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    httpx2.post(f"{base}/mcp", json=initialized, headers=headers).raise_for_status()
    return headers


def call_tool(name: str, arguments: dict[str, Any], request_id: int = 2) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments},
    }


def jsonrpc_messages(response: httpx2.Response) -> list[dict[str, Any]]:
    """The JSON-RPC messages of a response, SSE or JSON."""
    if response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        return body if isinstance(body, list) else [body]
    return [json.loads(line[5:]) for line in response.text.splitlines() if line.startswith("data:")]
