"""SIGTERM with calls in flight: they get the grace, late ones a JSON-RPC error, nothing retries after."""

from __future__ import annotations

import contextlib
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from kiwoom_lab.loopback import child_env, free_port, wait_until_ok
from tests.support.live_mcp import call_tool, fake_with_fault, jsonrpc_messages, open_session

# Each test starts the server as a subprocess: on a loaded 2-core machine the imports alone take seconds.
pytestmark = [pytest.mark.socket, pytest.mark.realtime, pytest.mark.timeout(120)]

SLOW = {"type": "latency", "fixed_ms": 1500}  # well within the default 3 s grace
TOO_SLOW = {"type": "latency", "fixed_ms": 5000}  # longer than a 1 s grace
PRICE = call_tool("get_stock_price", {"stock_code": "005930"})


@contextlib.contextmanager
def mcp_process(fake_url: str, **env: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``kiwoom-mcp`` as users run it, against the fake on ``fake_url``."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiwoom", "--port", str(port)],
        env=child_env(KIWOOM_BASE_URL=fake_url, KIWOOM_PAGE_DELAY_S="0", **env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_ok(f"{base}/readyz", process=proc)
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def call_then_sigterm(base: str, proc: subprocess.Popen[str], after_s: float = 0.3) -> dict[str, Any]:
    """Call get_stock_price, send SIGTERM ``after_s`` into the call; the one JSON-RPC answer."""
    headers = open_session(base)
    timer = threading.Timer(after_s, proc.send_signal, args=(signal.SIGTERM,))
    timer.start()
    try:
        response = httpx2.post(f"{base}/mcp", json=PRICE, headers=headers, timeout=30)
    finally:
        timer.join()
    messages = jsonrpc_messages(response)
    assert len(messages) == 1, response.text
    return messages[0]


def stderr_after_exit(proc: subprocess.Popen[str]) -> str:
    _, stderr = proc.communicate(timeout=20)
    assert proc.returncode in (0, -signal.SIGTERM), stderr
    return stderr


def test_sigterm_lets_an_in_flight_call_finish_with_its_result() -> None:
    with fake_with_fault(SLOW) as fake, mcp_process(fake) as (base, proc):
        answer = call_then_sigterm(base, proc)
        stderr_after_exit(proc)
    assert answer["result"]["structuredContent"]["success"] is True
    assert answer["result"]["structuredContent"]["data"]["source"] == "simulated"  # live data from the fake


def test_a_call_longer_than_the_grace_gets_a_jsonrpc_error() -> None:
    with fake_with_fault(TOO_SLOW) as fake, mcp_process(fake, KIWOOM_MCP_SHUTDOWN_TIMEOUT_S="1") as (base, proc):
        answer = call_then_sigterm(base, proc)
        stderr_after_exit(proc)
    assert answer["id"] == PRICE["id"]
    assert answer["error"]["code"] == -32000
    assert "종료" in answer["error"]["message"]


def test_with_a_call_still_running_the_process_exits_within_the_grace_and_a_bound() -> None:
    with fake_with_fault(TOO_SLOW) as fake, mcp_process(fake, KIWOOM_MCP_SHUTDOWN_TIMEOUT_S="1") as (base, proc):
        headers = open_session(base)
        caller = threading.Thread(target=lambda: httpx2.post(f"{base}/mcp", json=PRICE, headers=headers, timeout=30))
        caller.start()
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        proc.wait(timeout=20)
        took = time.monotonic() - signalled
        caller.join(10)
        stderr_after_exit(proc)
    # Liveness bound: 1 s grace + uvicorn's 2 s margin + the 2 s revoke bound, with slack for a busy machine.
    assert took < 1 + 2 + 2 + 3


def test_nothing_retries_after_shutdown_begins() -> None:
    # Every ka10001 hangs; the 1 s request timeout ends the first attempt within the 3 s grace.
    hang = {"type": "hang", "seconds": 3}
    with fake_with_fault(hang) as fake, mcp_process(fake, KIWOOM_TIMEOUT="1") as (base, proc):
        answer = call_then_sigterm(base, proc)
        stderr = stderr_after_exit(proc)
    after_shutdown = stderr.split("Shutting down", 1)[1]
    assert re.search(r"재시도 \d+/\d+", after_shutdown) is None  # the seed's retry line
    assert answer["result"]["structuredContent"]["data"]["source"] == "sample"  # fell back at once


def test_the_token_is_revoked_after_in_flight_calls_end() -> None:
    with fake_with_fault(SLOW) as fake, mcp_process(fake) as (base, proc):
        call_then_sigterm(base, proc)
        stderr = stderr_after_exit(proc)
    assert "tool=get_stock_price outcome=success" in stderr
    assert stderr.index("tool=get_stock_price") < stderr.index("접근토큰 폐기 완료")
