"""The server as users start it: a subprocess on stdio, and on HTTP stopped by SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys

import httpx2
import pytest
from mcp import Client, StdioServerParameters

from kiwoom_lab.loopback import child_env, free_port, wait_until_ok
from tests.support.mcp import INIT, MCP_HEADERS, PROTOCOL_VERSION

pytestmark = pytest.mark.socket


def sandbox_env() -> dict[str, str]:
    """The parent environment without KIWOOM_* keys, so the child runs on the sandbox."""
    return child_env(KIWOOM_PAGE_DELAY_S="0")


@pytest.mark.anyio
async def test_stdio_server_lists_tools_and_answers_a_call() -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "kiwoom", "--transport", "stdio", "--log-level", "WARNING"],
        env=sandbox_env(),
    )
    async with Client(params) as client:
        listed = await client.list_tools()
        assert "get_stock_price" in {t.name for t in listed.tools}
        result = await client.call_tool("get_stock_price", {"stock_code": "005930"})
        assert result.is_error is False
        assert isinstance(result.structured_content, dict)
        assert result.structured_content["data"]["source"] == "simulated"


def test_sigterm_with_an_open_session_exits_and_revokes_the_token() -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiwoom", "--port", str(port)],
        env=sandbox_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_ok(f"{base}/readyz", process=proc)
        session = httpx2.post(f"{base}/mcp", json=INIT, headers=MCP_HEADERS).headers["mcp-session-id"]
        stream_headers = {
            "accept": "text/event-stream",
            "mcp-session-id": session,
            "mcp-protocol-version": PROTOCOL_VERSION,
        }
        with httpx2.Client(timeout=10) as http, http.stream("GET", f"{base}/mcp", headers=stream_headers):
            # A standalone SSE stream stays open: exactly what can keep a server from exiting.
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=15)  # the bound: a server held open by the stream would time this out
        _, stderr = proc.communicate(timeout=5)
        # uvicorn re-raises the signal after a clean shutdown, so "killed by SIGTERM" is the normal end.
        assert proc.returncode in (0, -signal.SIGTERM), stderr
        assert "접근토큰 폐기 완료" in stderr
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
