"""``kiwoom-mcp --workers N`` with Redis: N processes on one port acting as one Kiwoom client."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from kiwoom_lab.loopback import child_env, free_port, wait_until_ok
from tests.support.redis import namespace, private_redis, shared_redis_url

pytestmark = pytest.mark.socket

CALL_HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}


@contextlib.contextmanager
def process(args: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


@contextlib.contextmanager
def fake_kiwoom(rate: float) -> Iterator[str]:
    port = free_port()
    args = [sys.executable, "-m", "fake_kiwoom", "--port", str(port), "--rate-limit", str(rate), "--rate-burst", "2"]
    with process(args, dict(os.environ)):
        url = f"http://127.0.0.1:{port}"
        wait_until_ok(f"{url}/__admin/health")
        yield url


@contextlib.contextmanager
def workers(count: int, fake_url: str, redis_url: str, **settings: str) -> Iterator[str]:
    port = free_port()
    env = child_env(
        KIWOOM_BASE_URL=fake_url,
        KIWOOM_REDIS_URL=redis_url,
        KIWOOM_REDIS_NAMESPACE=namespace(),
        KIWOOM_PAGE_DELAY_S="0",
        **settings,
    )
    args = [sys.executable, "-m", "kiwoom", "--port", str(port), "--workers", str(count), "--log-level", "WARNING"]
    with process(args, env):
        url = f"http://127.0.0.1:{port}"
        for _ in range(count * 2):
            wait_until_ok(f"{url}/readyz")
        yield url


async def call_price(http: httpx2.AsyncClient, url: str, code: str) -> dict[str, Any]:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "get_stock_price", "arguments": {"stock_code": code}},
    }
    response = await http.post(f"{url}/mcp", json=body, headers=CALL_HEADERS)
    assert response.status_code == 200, response.text
    text = response.text
    if text.startswith("event:") or "\ndata:" in text or text.startswith("data:"):
        text = next(line for line in text.splitlines() if line.startswith("data:")).removeprefix("data:")
    content: dict[str, Any] = json.loads(text)["result"]["structuredContent"]
    return content


def journal(fake_url: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = httpx2.get(f"{fake_url}/__admin/requests").json()["requests"]
    return rows


async def hammer(url: str, codes: list[str], repeat: int) -> list[dict[str, Any]]:
    limits = httpx2.Limits(max_connections=64)
    async with httpx2.AsyncClient(timeout=60, limits=limits) as http:
        return await asyncio.gather(*(call_price(http, url, code) for code in codes for _ in range(repeat)))


@pytest.mark.realtime
def test_four_workers_share_token_cache_and_rate_budget() -> None:
    redis_url = shared_redis_url()
    with (
        fake_kiwoom(rate=4.0) as fake_url,
        workers(4, fake_url, redis_url, KIWOOM_RATE_LIMIT_PER_S="4", KIWOOM_RATE_LIMIT_MARGIN="0.75") as url,
    ):
        same = asyncio.run(hammer(url, ["005930"], 120))
        assert all(r["success"] and r["data"]["source"] in {"simulated", "cache"} for r in same)
        rows = journal(fake_url)
        assert sum(1 for r in rows if r["api_id"] == "au10001") == 1
        assert sum(1 for r in rows if r["api_id"] == "ka10001") == 1

        codes = ["000660", "035420", "035720", "005380", "000270", "068270", "051910", "006400", "005490", "105560"]
        burst = asyncio.run(hammer(url, codes, 6))
        assert all(r["success"] and r["data"]["source"] in {"simulated", "cache"} for r in burst)
        rows = journal(fake_url)
        # Each code was asked of Kiwoom once, across the four workers: alone on ka10001 or in a ka10095 batch.
        carried = [code for r in rows if r["api_id"] in {"ka10001", "ka10095"} for code in r["stock_code"].split("|")]
        assert sorted(carried) == sorted(["005930", *codes])
        assert sum(1 for r in rows if r["api_id"] == "ka10095") <= 3  # one batch per window, the workers together
        assert not [r for r in rows if r["status"] == 429 or r["detail_code"] == 1700]


def storage_of(url: str) -> str:
    report = httpx2.get(f"{url}/readyz", timeout=5).json()
    return str(report["storage"]["serving_from"])


@pytest.mark.realtime
def test_redis_stopped_mid_run_keeps_serving_and_recovers() -> None:
    redis_port = free_port()
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    with (
        fake_kiwoom(rate=0) as fake_url,
        private_redis(redis_port) as redis_proc,
        workers(2, fake_url, redis_url, KIWOOM_RATE_LIMIT_PER_S="0", KIWOOM_REDIS_RETRY_S="0.5") as url,
    ):
        assert all(r["success"] for r in asyncio.run(hammer(url, ["005930", "000660"], 5)))
        redis_proc.terminate()
        redis_proc.wait(timeout=10)
        # Bounded Redis timeouts: with Redis dead every call still gets fresh or cached data,
        # and none hangs (the wait_for bound fails the test if one does).
        during = asyncio.run(asyncio.wait_for(hammer(url, ["035420", "005930"], 5), timeout=30))
        assert all(r["success"] and r["data"]["source"] in {"simulated", "cache"} for r in during)
        assert {storage_of(url) for _ in range(6)} == {"memory"}
        with private_redis(redis_port):
            deadline = time.monotonic() + 20
            while {storage_of(url) for _ in range(6)} != {"redis"}:
                assert time.monotonic() < deadline, "workers did not go back to Redis"
                time.sleep(0.3)
            after = asyncio.run(hammer(url, ["035720"], 5))
            assert all(r["success"] and r["data"]["source"] in {"simulated", "cache"} for r in after)
