"""``kiwoom-mcp --workers N`` applies the read timeout and the connection cap in every worker."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from kiwoom_lab.loopback import child_env, free_port, wait_until_ok

pytestmark = [pytest.mark.socket, pytest.mark.realtime, pytest.mark.timeout(120)]


@pytest.fixture(scope="module")
def workers_port() -> Iterator[int]:
    port = free_port()
    env = child_env(KIWOOM_MCP_REQUEST_READ_TIMEOUT_S="1", KIWOOM_MCP_MAX_CONNECTIONS="1")
    args = [sys.executable, "-m", "kiwoom", "--port", str(port), "--workers", "2", "--log-level", "WARNING"]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_ok(f"http://127.0.0.1:{port}/healthz", process=proc, timeout_s=90)
        yield port
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_a_worker_closes_a_silent_connection(workers_port: int) -> None:
    with socket.create_connection(("127.0.0.1", workers_port)) as sock:
        sock.settimeout(6)  # liveness bound: the read timeout is 1 s
        started = time.monotonic()
        assert sock.recv(4096) == b""
        assert time.monotonic() - started < 6


def test_a_worker_refuses_connections_over_its_cap(workers_port: int) -> None:
    # One connection per worker: of three, two share a worker whichever way the kernel spreads them.
    socks = [socket.create_connection(("127.0.0.1", workers_port)) for _ in range(3)]
    try:
        answers = []
        for sock in socks:
            sock.settimeout(0.5)
            try:
                answers.append(sock.recv(4096))
            except TimeoutError:
                answers.append(b"")
    finally:
        for sock in socks:
            sock.close()
    assert any(answer.startswith(b"HTTP/1.1 503") for answer in answers)
