"""Slow, silent and surplus connections are dropped before they reach the application (or its auth)."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import httpx2
import pytest

from kiwoom import KiwoomClient, Settings
from tests.support.live_mcp import call_tool, fake_with_fault, hardened_server, jsonrpc_messages, open_session

pytestmark = [pytest.mark.socket, pytest.mark.realtime]

READ_TIMEOUT_S = 1.0
BOUND_S = READ_TIMEOUT_S + 4  # liveness bound: closed well before this on any machine


def connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port))
    sock.settimeout(0.25)
    return sock


def closed_within(sock: socket.socket, bound_s: float, trickle: bytes | None = None) -> bool:
    """Whether the server closes ``sock`` within ``bound_s``, sending a byte of ``trickle`` every 0.25 s."""
    deadline = time.monotonic() + bound_s
    sent = 0
    while time.monotonic() < deadline:
        try:
            if trickle is not None and sent < len(trickle):
                sock.sendall(trickle[sent : sent + 1])
                sent += 1
            if sock.recv(4096) == b"":
                return True
        except TimeoutError:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return True
    return False


def test_a_connection_trickling_its_headers_is_closed_after_the_read_timeout() -> None:
    with hardened_server(request_read_timeout_s=READ_TIMEOUT_S) as url:
        sock = connect(url)
        sock.sendall(b"POST /mcp HTTP/1.1\r\nhost: 127.0.0.1\r\n")
        with sock:
            assert closed_within(sock, BOUND_S, trickle=b"x-slow: " + b"a" * 100)


def test_a_connection_trickling_its_body_is_closed_after_the_read_timeout() -> None:
    with hardened_server(request_read_timeout_s=READ_TIMEOUT_S) as url:
        sock = connect(url)
        sock.sendall(b"POST /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 1000\r\n\r\n")
        with sock:
            assert closed_within(sock, BOUND_S, trickle=b"{" * 1000)


def test_a_silent_connection_is_closed_after_the_read_timeout() -> None:
    with hardened_server(request_read_timeout_s=READ_TIMEOUT_S) as url, connect(url) as sock:
        assert closed_within(sock, BOUND_S)


def test_connections_over_the_cap_are_refused_with_503() -> None:
    with hardened_server(max_connections=2) as url:
        held = [connect(url), connect(url)]
        with connect(url) as extra:
            extra.settimeout(5)
            answer = extra.recv(4096)
        for sock in held:
            sock.close()
    assert answer.startswith(b"HTTP/1.1 503")


def test_a_keep_alive_connection_serves_requests_after_the_read_timeout() -> None:
    # The timer bounds reading one request; it must not fire on a connection between requests.
    with hardened_server(request_read_timeout_s=READ_TIMEOUT_S) as url, httpx2.Client(base_url=url) as http:
        assert http.get("/healthz").status_code == 200
        time.sleep(READ_TIMEOUT_S + 0.5)
        assert http.get("/healthz").status_code == 200


def test_a_call_slower_than_the_read_timeout_is_answered() -> None:
    # Reading the request is bounded, not answering it.
    with fake_with_fault({"type": "latency", "fixed_ms": 2000}) as fake:
        client = KiwoomClient(Settings(_env_file=None, base_url=fake, page_delay_s=0))
        with hardened_server(client, request_read_timeout_s=READ_TIMEOUT_S) as url:
            headers = open_session(url)
            response = httpx2.post(
                f"{url}/mcp", json=call_tool("get_stock_price", {"stock_code": "005930"}), headers=headers, timeout=30
            )
    [answer] = jsonrpc_messages(response)
    assert answer["result"]["structuredContent"]["success"] is True
