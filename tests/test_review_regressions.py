"""Regressions found in review: each test pins one behaviour that once went wrong."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest
from starlette.testclient import TestClient

from fake_kiwoom import FakeKiwoomConfig, create_app
from fake_kiwoom.scenario_model import parse_scenario
from kiwoom import KiwoomClient, Settings
from kiwoom.mcp import KiwoomMCPServer, ServerSettings
from kiwoom.mcp.http_app import build_http_app
from kiwoom.operations.results import quote
from kiwoom.resilience import CircuitBreaker
from kiwoom.state.redis import RedisLink, RedisUnavailableError
from kiwoom.state.redis.breaker import SharedBreaker
from tests.kiwoom.test_client_resilience import burst, harness
from tests.support.redis import namespace, shared_redis_url

pytestmark = pytest.mark.anyio


def test_an_odd_secondary_field_only_loses_that_field() -> None:
    result = quote({"cur_prc": "-78800", "trde_qty": "-", "flu_rt": "n/a", "pred_pre": "+600"}, "005930")
    assert result["price"] == 78800
    assert result["volume"] is None
    assert result["change_rate"] is None
    assert result["change"] == 600


async def test_rate_limiting_on_one_tr_does_not_open_the_breaker_for_others() -> None:
    async for h in harness(burst(1000, "{type: kiwoom_error, code: 1700}"), breaker_failures=2):
        for code in ("005930", "000660"):
            await h.client.get_stock_price(code)
        assert (await h.client.health())["breaker"]["state"] == "closed"
        book = await h.client.get_orderbook("005930")
        assert book["source"] == "simulated"


async def fleet_of_two(**overrides: Any) -> AsyncIterator[tuple[KiwoomClient, KiwoomClient, Any]]:
    url = shared_redis_url()
    ns = namespace()
    app = create_app(FakeKiwoomConfig(seed=3, rate_limit_per_s=0))
    transport = httpx2.ASGITransport(app=app)
    values: dict[str, Any] = {"base_url": "http://fake", "redis_url": url, "redis_namespace": ns, "page_delay_s": 0}
    values.update(overrides)
    first, second = (KiwoomClient(Settings(_env_file=None, **values), transport=transport) for _ in range(2))
    try:
        yield first, second, app
    finally:
        await first.close()
        await second.close()


async def test_a_redis_error_after_taking_the_flight_lock_still_loads_live() -> None:
    async for first, _, _ in fleet_of_two():
        shared = first.guard.shared
        assert shared is not None
        real_get = shared.get
        calls = 0

        async def flaky_get(key: str, real_get: Any = real_get) -> Any:
            nonlocal calls
            calls += 1
            if calls == 2:  # the re-check made after the lock is taken
                raise RedisUnavailableError("simulated Redis timeout")
            return await real_get(key)

        shared.get = flaky_get  # type: ignore[method-assign]
        result = await first.get_stock_price("005930")
        assert result["source"] == "simulated"


async def test_a_worker_that_never_used_the_shared_token_does_not_revoke_it() -> None:
    async for first, second, app in fleet_of_two():
        assert await first.connect()
        await second.close()  # never connected, never joined
        assert [e.api_id for e in app.state.journal.entries()] == ["au10001"]
        await first.close()
        assert [e.api_id for e in app.state.journal.entries()] == ["au10001", "au10002"]


async def test_closing_is_bounded_when_the_revoke_hangs() -> None:
    hang = parse_scenario(
        "version: 1\nname: h\ndescription: revoke hangs\nrules:\n"
        "  - match: {path: /oauth2/revoke}\n    steps: [{times: null, fault: {type: hang, seconds: 60}}]\n",
        "test",
    )
    app = create_app(FakeKiwoomConfig(seed=3), scenario=hang)
    client = KiwoomClient(
        Settings(_env_file=None, base_url="http://fake", close_timeout_s=0.3, page_delay_s=0),
        transport=httpx2.ASGITransport(app=app),
    )
    assert await client.connect()
    revoked = await asyncio.wait_for(client.close(), timeout=10)
    assert revoked is False


class SwitchableTransport(httpx2.AsyncBaseTransport):
    """Refuses connections until ``up`` is set, like a Kiwoom that is not reachable yet."""

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self.inner = inner
        self.up = False

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if not self.up:
            raise httpx2.ConnectError("connection refused", request=request)
        return await self.inner.handle_async_request(request)


def test_readyz_recovers_without_a_tool_call() -> None:
    transport = SwitchableTransport(httpx2.ASGITransport(app=create_app(FakeKiwoomConfig(seed=3))))
    client = KiwoomClient(Settings(_env_file=None, base_url="http://fake", page_delay_s=0), transport=transport)
    app = build_http_app(KiwoomMCPServer(client), ServerSettings(_env_file=None))
    with TestClient(app, base_url="http://127.0.0.1") as http:
        assert http.get("/readyz").status_code == 503
        transport.up = True
        assert http.get("/readyz").status_code == 200


def test_bearer_scheme_is_case_insensitive() -> None:
    client = KiwoomClient(Settings(_env_file=None, page_delay_s=0))
    app = build_http_app(KiwoomMCPServer(client), ServerSettings(_env_file=None, auth_token="tok-123"))
    with TestClient(app, base_url="http://127.0.0.1") as http:
        assert http.get("/metrics", headers={"authorization": "bearer tok-123"}).status_code == 200
        assert http.get("/metrics", headers={"authorization": "Basic tok-123"}).status_code == 401


async def test_a_late_failure_does_not_extend_the_shared_cooldown() -> None:
    link = RedisLink(shared_redis_url(), namespace=namespace())
    changes: list[tuple[str, str]] = []
    breaker = SharedBreaker(
        link,
        CircuitBreaker(2, 1.0),
        failure_threshold=2,
        cooldown_s=1.0,
        on_change=lambda old, new: changes.append((old, new)),
    )
    try:
        await breaker.record_failure()
        await breaker.record_failure()
        assert not await breaker.allow()
        await asyncio.sleep(0.7)
        await breaker.record_failure()  # a request that was in flight when it opened
        await asyncio.sleep(0.45)
        assert await breaker.allow()  # half-open on time: one probe
    finally:
        keys = [k async for k in link.redis.scan_iter(f"{link.namespace}:*")]
        if keys:
            await link.redis.delete(*keys)
        await link.close()
