"""MCP sessions are capped (the longest idle one makes room) and expire when idle.

These pin behaviour of the MCP SDK that :mod:`kiwoom.mcp.sessions` relies on (``mcp`` 2.3):
if an upgrade breaks one, re-check that module.
"""

from __future__ import annotations

import time

import httpx2
import pytest

from tests.support.live_mcp import hardened_server, open_session
from tests.support.mcp import INIT, MCP_HEADERS

pytestmark = [pytest.mark.socket, pytest.mark.realtime]

LIST_TOOLS = {"jsonrpc": "2.0", "id": 7, "method": "tools/list"}


def alive(url: str, headers: dict[str, str]) -> bool:
    response = httpx2.post(f"{url}/mcp", json=LIST_TOOLS, headers=headers)
    assert response.status_code in (200, 404), response.text
    return response.status_code == 200


def test_at_the_cap_a_new_session_evicts_the_longest_idle_one() -> None:
    with hardened_server(max_sessions=2) as url:
        first = open_session(url)
        second = open_session(url)
        open_session(url)
        assert not alive(url, first)
        assert alive(url, second)


def test_a_session_used_recently_is_not_the_one_evicted() -> None:
    with hardened_server(max_sessions=2) as url:
        first = open_session(url)
        second = open_session(url)
        assert alive(url, first)  # now the second has been idle longest
        open_session(url)
        assert alive(url, first)
        assert not alive(url, second)


def test_with_every_session_busy_a_new_one_is_refused() -> None:
    with hardened_server(max_sessions=1) as url, httpx2.Client(timeout=10) as http:
        busy = open_session(url)
        stream = {**busy, "accept": "text/event-stream"}
        with http.stream("GET", f"{url}/mcp", headers=stream):  # an open GET stream keeps a session busy
            refused = http.post(f"{url}/mcp", json=INIT, headers=MCP_HEADERS)
    assert refused.status_code == 503


def test_an_idle_session_expires() -> None:
    with hardened_server(session_idle_timeout_s=1) as url:
        session = open_session(url)
        time.sleep(1.5)
        assert not alive(url, session)
