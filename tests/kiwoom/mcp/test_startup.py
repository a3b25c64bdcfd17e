"""Start-up while Kiwoom hangs: the server answers at once and says it is not ready yet.

Claude Desktop starts the server over stdio and gives up when ``initialize`` is slow, and
an orchestrator kills an HTTP server whose port stays closed; neither may wait for Kiwoom.
The upstream here is a loopback port that accepts connections and never answers, so each
token request would hang for the whole read timeout (30 s).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import httpx2
import pytest
from fastmcp import Client

from kiwoom import KiwoomClient, Settings
from kiwoom.mcp import KiwoomMCPServer
from kiwoom_lab.loopback import child_env, free_port, silent_upstream
from tests.kiwoom.mcp.harness import open_harness
from tests.support.mcp import INIT

pytestmark = pytest.mark.socket

#: Generous for a busy 2-core machine (Python start-up included); the blocking start took ~31 s.
BOUND_S = 10.0


def upstream_env(upstream: str) -> dict[str, str]:
    return child_env(KIWOOM_BASE_URL=upstream)


def first_reply(proc: subprocess.Popen[str], timeout_s: float) -> dict[str, Any]:
    """The first JSON-RPC line on the child's stdout, or TimeoutError after ``timeout_s``."""
    assert proc.stdout is not None
    with ThreadPoolExecutor(1) as pool:
        line = pool.submit(proc.stdout.readline)
        try:
            text = line.result(timeout=timeout_s)
        finally:
            proc.kill()  # ends the reader too (EOF) if it is still waiting
    reply: dict[str, Any] = json.loads(text)
    return reply


@pytest.mark.realtime
def test_stdio_initialize_answers_within_10_s_although_upstream_hangs() -> None:
    with (
        silent_upstream() as upstream,
        subprocess.Popen(
            [sys.executable, "-m", "kiwoom", "--transport", "stdio", "--log-level", "WARNING"],
            env=upstream_env(upstream),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        ) as proc,
    ):
        assert proc.stdin is not None
        proc.stdin.write(json.dumps(INIT) + "\n")
        proc.stdin.flush()
        reply = first_reply(proc, BOUND_S)
    assert reply["id"] == 1
    assert reply["result"]["serverInfo"]["name"] == "kiwoom"


@pytest.mark.realtime
def test_http_port_answers_healthz_within_10_s_and_readyz_is_503_while_upstream_hangs() -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with silent_upstream() as upstream:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kiwoom", "--port", str(port), "--log-level", "WARNING"],
            env=upstream_env(upstream),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + BOUND_S
            healthy = False
            while not healthy and time.monotonic() < deadline and proc.poll() is None:
                try:
                    healthy = httpx2.get(f"{base}/healthz", timeout=1).status_code == 200
                except httpx2.TransportError:
                    time.sleep(0.05)
            ready = httpx2.get(f"{base}/readyz", timeout=10)
        finally:
            proc.kill()
            proc.wait()
    assert healthy
    assert ready.status_code == 503
    assert "token" in ready.json()["reasons"]


@pytest.mark.anyio
async def test_shutdown_while_the_start_up_connect_hangs_ends_at_once() -> None:
    with silent_upstream() as upstream:
        client = KiwoomClient(Settings(_env_file=None, base_url=upstream))
        server = KiwoomMCPServer(client)
        with anyio.fail_after(BOUND_S):
            async with Client(server.fastmcp) as mcp:
                await mcp.list_tools()
    assert client.is_connected is False


@pytest.mark.anyio
async def test_the_token_issued_in_the_background_is_revoked_at_shutdown() -> None:
    async with open_harness() as h:
        tokens = h.server.kiwoom_client.tokens
        assert tokens is not None
        await tokens.get()  # joins the start-up issue: one token however many ask
    assert [e.api_id for e in h.app.state.journal.entries()] == ["au10001", "au10002"]
