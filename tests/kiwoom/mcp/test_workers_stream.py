"""``kiwoom-mcp --workers 2`` on Redis: one upstream WebSocket for both, and one again after its holder dies."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import httpx2
import pytest

from tests.kiwoom.mcp.test_workers import CALL_HEADERS, fake_kiwoom, workers
from tests.support.redis import shared_redis_url

pytestmark = pytest.mark.socket


def live_quote(url: str, code: str) -> dict[str, Any]:
    """One tool call on a fresh connection, so the OS spreads the calls over both workers."""
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "get_live_quote", "arguments": {"stock_code": code}},
    }
    with httpx2.Client(timeout=30) as http:
        response = http.post(f"{url}/mcp", json=body, headers=CALL_HEADERS)
    assert response.status_code == 200, response.text
    return response.json() if response.text.startswith("{") else {}


def sockets(fake_url: str) -> dict[str, Any]:
    stats: dict[str, Any] = httpx2.get(f"{fake_url}/__admin/websocket").json()
    return stats


def leader_pid(url: str) -> int | None:
    for _ in range(40):
        health = httpx2.get(f"{url}/healthz").json()
        if (health.get("stream") or {}).get("role") == "leader":
            return int(health["pid"])
    return None


def wait_for(condition: Any, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_two_workers_hold_one_upstream_socket_and_one_after_the_leader_dies() -> None:
    settings = {"KIWOOM_STREAM_LEASE_S": "1", "KIWOOM_RATE_LIMIT_PER_S": "0"}
    with fake_kiwoom(rate=0) as fake_url, workers(2, fake_url, shared_redis_url(), **settings) as url:
        for index in range(12):  # enough calls that both workers start their feed
            live_quote(url, ("005930", "000660")[index % 2])
        wait_for(lambda: sockets(fake_url)["logins"] >= 1)
        for _ in range(10):
            assert sockets(fake_url)["open"] == 1
            time.sleep(0.1)
        assert sockets(fake_url)["peak_open"] == 1
        pid = leader_pid(url)
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: sockets(fake_url)["logins"] >= 2)  # the follower took over: a new LOGIN
        for index in range(6):  # the restarted worker joins as a follower
            live_quote(url, ("005930", "000660")[index % 2])
        for _ in range(10):
            assert sockets(fake_url)["open"] == 1
            time.sleep(0.1)
        assert sockets(fake_url)["peak_open"] == 1
