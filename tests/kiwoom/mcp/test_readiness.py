"""``/readyz``: what it costs upstream, and that it sees data calls refused for auth.

The server runs in-process (Starlette's TestClient) over an in-process fake, whose
journal counts the token requests (au10001). The client's monotonic clock is a fake one,
so "30 seconds later" costs no wall time.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from fake_kiwoom import FakeKiwoomConfig, create_app, parse_scenario
from kiwoom import KiwoomAuthError, KiwoomClient, Settings
from kiwoom.config import SANDBOX_APP_KEY, SANDBOX_SECRET_KEY
from kiwoom.mcp import KiwoomMCPServer, ServerSettings
from kiwoom.mcp.http_app import build_http_app
from tests.support.clock import FakeTime

INTERVAL_S = 30.0

KA10001_REFUSED = parse_scenario(
    """
version: 1
name: ka10001_refused
description: every ka10001 answers 8005, even with a fresh token
rules:
  - match: {api_id: [ka10001]}
    steps:
      - times: null
        fault: {type: kiwoom_error, code: 8005}
"""
)


@dataclass
class Probe:
    http: TestClient
    client: KiwoomClient
    fake: Starlette
    time: FakeTime

    def readyz(self) -> tuple[int, dict[str, Any]]:
        response = self.http.get("/readyz")
        return response.status_code, response.json()

    def token_requests(self) -> int:
        return len(self.fake.state.fake.journal.select(api_id="au10001"))

    def call(self, method: str, *args: Any) -> Any:
        """Run a client method in the server's event loop, as a tool call would."""
        assert self.http.portal is not None  # set while the TestClient context is open
        return self.http.portal.call(getattr(self.client, method), *args)


@contextmanager
def served(fake: Starlette) -> Iterator[Probe]:
    t = FakeTime()
    settings = Settings(
        _env_file=None,
        base_url="http://fake",
        page_delay_s=0,
        rate_limit_per_s=0,
        ready_token_interval_s=INTERVAL_S,
    )
    client = KiwoomClient(settings, transport=httpx2.ASGITransport(app=fake), monotonic=t.clock)
    app = build_http_app(KiwoomMCPServer(client), ServerSettings(_env_file=None))
    with TestClient(app, base_url="http://127.0.0.1") as http:
        # The start-up connect runs in the background: counts start once it has ended, either way.
        deadline = time.monotonic() + 10
        while not client.is_connected and client.last_error is None and time.monotonic() < deadline:
            time.sleep(0.005)
        yield Probe(http, client, fake, t)


def test_while_token_issuance_fails_readiness_asks_for_a_token_at_most_once_per_interval() -> None:
    refusing = create_app(FakeKiwoomConfig(seed=3, app_keys={"someone-else": "secret"}))
    with served(refusing) as probe:
        before = probe.token_requests()  # the start-up connect
        statuses = {probe.readyz()[0] for _ in range(10)}
        assert statuses == {503}
        assert probe.token_requests() - before == 1
        probe.time.advance(INTERVAL_S)
        probe.readyz()
        assert probe.token_requests() - before == 2


def test_readyz_says_it_has_no_token_when_issuance_fails() -> None:
    refusing = create_app(FakeKiwoomConfig(seed=3, app_keys={"someone-else": "secret"}))
    with served(refusing) as probe:
        status, body = probe.readyz()
    assert (status, body["ready"]) == (503, False)
    assert "token" in body["reasons"]
    assert SANDBOX_APP_KEY not in str(body)
    assert SANDBOX_SECRET_KEY not in str(body)


def test_readyz_is_not_ready_while_data_calls_fail_with_auth_errors() -> None:
    with served(create_app(FakeKiwoomConfig(seed=3), scenario=KA10001_REFUSED)) as probe:
        assert probe.readyz()[0] == 200
        with pytest.raises(KiwoomAuthError):
            probe.call("get_stock_price", "005930")
        status, body = probe.readyz()
    assert (status, body["ready"]) == (503, False)
    assert "8005" in body["reasons"]["auth"]


def test_a_later_successful_data_call_makes_it_ready_again() -> None:
    with served(create_app(FakeKiwoomConfig(seed=3), scenario=KA10001_REFUSED)) as probe:
        with pytest.raises(KiwoomAuthError):
            probe.call("get_stock_price", "005930")
        probe.call("get_stock_history", "005930", 5)  # ka10081 is not refused
        status, body = probe.readyz()
    assert (status, body["reasons"]) == (200, {})


def test_a_token_rejected_once_and_reissued_does_not_cost_readiness() -> None:
    with served(create_app(FakeKiwoomConfig(seed=3))) as probe:
        probe.fake.state.fake.tokens.clear()  # the held token now answers 8005; the client re-issues once
        assert probe.call("get_stock_price", "005930")["source"] == "simulated"
        assert probe.readyz()[0] == 200


def test_after_an_auth_failure_readiness_reissues_the_token_only_after_the_interval() -> None:
    """The failed call's own re-issue was the latest token attempt; the probe adds at most one per interval.

    A successful issue then counts as ready again, so a server nobody sends traffic to
    (because it is not ready) can still recover.
    """
    with served(create_app(FakeKiwoomConfig(seed=3), scenario=KA10001_REFUSED)) as probe:
        with pytest.raises(KiwoomAuthError):
            probe.call("get_stock_price", "005930")
        after_failure = probe.token_requests()
        assert {probe.readyz()[0] for _ in range(5)} == {503}
        assert probe.token_requests() == after_failure
        probe.time.advance(INTERVAL_S)
        assert probe.readyz()[0] == 200
        assert probe.token_requests() == after_failure + 1
