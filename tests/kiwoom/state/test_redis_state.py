"""Several clients (as several workers would) sharing state through a real Redis."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
import redis.asyncio as aioredis

from fake_kiwoom import FakeKiwoomConfig, create_app
from fake_kiwoom.canned import OUTAGE_NOW
from fake_kiwoom.listings import LISTINGS
from fake_kiwoom.scenario_model import parse_scenario
from kiwoom import KiwoomClient, Settings
from kiwoom.errors import RedisUnavailableError
from kiwoom.resilience import cache_key
from kiwoom.state.redis import RedisResultStore
from kiwoom_lab.loopback import free_port
from tests.support.redis import namespace, shared_redis_url

pytestmark = pytest.mark.anyio

OUTAGE = OUTAGE_NOW


@dataclass
class Fleet:
    app: Any
    clients: list[KiwoomClient]
    url: str
    ns: str

    def api_ids(self) -> list[str]:
        return [e.api_id for e in self.app.state.journal.entries()]

    def details(self) -> list[int | None]:
        return [e.detail_code for e in self.app.state.journal.entries()]

    def carried(self) -> list[str]:
        """Every code a quote request asked for: alone on ka10001, or in a ka10095 batch."""
        entries = self.app.state.journal.entries()
        return [c for e in entries if e.api_id in {"ka10001", "ka10095"} for c in (e.stock_code or "").split("|")]


@contextlib.asynccontextmanager
async def fleet(
    size: int = 4, *, storage: str = "redis", config: FakeKiwoomConfig | None = None, **overrides: Any
) -> AsyncIterator[Fleet]:
    """``size`` clients of one fake sharing Redis (or each its memory); closed and the namespace wiped after."""
    url = shared_redis_url()
    ns = namespace()
    app = create_app(config or FakeKiwoomConfig(seed=9))
    transport = httpx2.ASGITransport(app=app)
    values: dict[str, Any] = {"base_url": "http://fake", "page_delay_s": 0, "redis_namespace": ns, "storage": storage}
    if storage == "redis":
        values["redis_url"] = url
    values.update(overrides)
    clients = [KiwoomClient(Settings(_env_file=None, **values), transport=transport) for _ in range(size)]
    try:
        yield Fleet(app, clients, url, ns)
    finally:
        for client in clients:
            await client.close()
        redis = aioredis.Redis.from_url(url)
        keys = [k async for k in redis.scan_iter(f"{ns}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


async def test_one_token_for_all_workers_and_revoked_by_the_last() -> None:
    async with fleet() as f:
        assert all(await asyncio.gather(*(c.connect() for c in f.clients)))
        assert f.api_ids() == ["au10001"]
        for client in f.clients[:-1]:
            await client.close()
        assert "au10002" not in f.api_ids()
        await f.clients[-1].close()
        assert f.api_ids()[-1] == "au10002"


async def test_one_upstream_request_per_key_across_workers() -> None:
    async with fleet() as f:
        calls = [c.get_stock_price(code) for c in f.clients for code in ("005930", "000660") for _ in range(25)]
        results = await asyncio.gather(*calls)
        assert sorted(f.carried()) == ["000660", "005930"]
        assert {r["source"] for r in results} <= {"simulated", "cache"}
        by_code: dict[str, set[int]] = {}
        for r in results:
            by_code.setdefault(r["stock_code"], set()).add(r["price"])
        assert all(len(prices) == 1 for prices in by_code.values())


async def test_rejected_token_is_reissued_once_for_everyone() -> None:
    async with fleet(config=FakeKiwoomConfig(seed=9, rate_limit_per_s=0), rate_limit_per_s=0) as f:
        await asyncio.gather(*(c.connect() for c in f.clients))
        f.app.state.fake.tokens.clear()  # Kiwoom forgets the token: every worker gets 8005 next
        codes = ("005930", "000660", "035420", "035720")
        await asyncio.gather(*(c.get_stock_price(code) for c, code in zip(f.clients, codes, strict=True)))
        assert f.api_ids().count("au10001") == 2


@pytest.mark.realtime
async def test_global_rate_limit_means_no_1700() -> None:
    config = FakeKiwoomConfig(seed=9, rate_limit_per_s=8.0, rate_limit_burst=2)
    codes = ["005930", "000660", "035420", "035720", "005380", "000270", "068270", "051910"]
    # Pacing at 75 % of the limit leaves room for scheduling jitter on a busy 2-core machine.
    pacing: dict[str, Any] = {"rate_limit_per_s": 8.0, "rate_limit_burst": 2, "rate_limit_margin": 0.75}
    pacing["batch_quotes"] = False
    async with fleet(config=config, **pacing) as f:
        await asyncio.gather(*(c.get_stock_price(code) for c in f.clients for code in codes))
        assert f.api_ids().count("ka10001") == len(codes)
        assert 1700 not in f.details()


async def test_workers_send_one_batch_per_window_together() -> None:
    """Four workers' forty codes: each asked of Kiwoom once, in shared batches, never two in one window."""
    codes = [listing.code for listing in LISTINGS if not listing.is_etf][:40]
    async with fleet() as f:
        results = await asyncio.gather(
            *(c.get_stock_price(code) for i, c in enumerate(f.clients) for code in codes[i::4])
        )
        assert {r["source"] for r in results} == {"simulated"}
        assert sorted(f.carried()) == sorted(codes)
        batches = [e for e in f.app.state.journal.entries() if e.api_id == "ka10095"]
        assert f.api_ids().count("ka10001") + len(batches) <= 6  # ka10001's burst, then one batch per window
        gaps = [b.ts - a.ts for a, b in itertools.pairwise(batches)]
        assert all(gap >= 1 / 0.9 - 0.05 for gap in gaps), gaps
        assert 1700 not in f.details()


@pytest.mark.realtime
async def test_memory_backend_workers_trip_the_limit_redis_prevents() -> None:
    """The contrast: four private budgets exceed Kiwoom's one budget per app key."""
    # Kiwoom's budget, one request a second per TR, and each worker keeping it exactly, but alone: the
    # fake's first quotes of a trading session take tens of ms each, so a looser budget could refill between them.
    config = FakeKiwoomConfig(seed=9, rate_limit_per_s=1.0, rate_limit_burst=1)
    codes = [["005930", "000660", "035420"], ["035720", "005380", "000270"], ["068270", "051910", "006400"]]
    async with fleet(3, storage="memory", config=config, rate_limit_per_s=1.0, rate_limit_burst=1) as f:
        await asyncio.gather(*(c.connect() for c in f.clients))  # tokens first: the quote requests then coincide
        await asyncio.gather(
            *(c.get_stock_price(code) for c, group in zip(f.clients, codes, strict=True) for code in group)
        )
        assert 1700 in f.details()


async def test_breaker_opened_by_one_worker_spares_upstream_for_all() -> None:
    config = FakeKiwoomConfig(seed=9, rate_limit_per_s=0)
    async with fleet(2, config=config, breaker_failures=2, retry_delay=0.01, rate_limit_per_s=0) as f:
        first, second = f.clients
        await second.connect()
        f.app.state.fake.engine.load(parse_scenario(OUTAGE, "test"))
        await first.get_stock_price("005930")
        await first.get_stock_price("000660")
        sent = f.api_ids().count("ka10001")
        answer = await second.get_stock_price("035420")
        assert answer["source"] == "sample"
        assert answer["attempts"] == 0
        assert f.api_ids().count("ka10001") == sent
        assert (await second.health())["breaker"]["state"] == "open"


async def test_stale_value_from_another_worker_answers_an_outage() -> None:
    async with fleet(2, cache_ttl=0.2, rate_limit_per_s=0, retry_delay=0.01) as f:
        first, second = f.clients
        live = await first.get_stock_price("005930")
        await asyncio.sleep(0.3)
        f.app.state.fake.engine.load(parse_scenario(OUTAGE, "test"))
        stale = await second.get_stock_price("005930")
        assert stale["source"] == "stale"
        assert stale["price"] == live["price"]


async def test_values_of_another_format_version_are_ignored() -> None:
    async with fleet(1) as f:
        client = f.clients[0]
        redis = aioredis.Redis.from_url(f.url)
        key = f"{f.ns}:v1:cache:{cache_key('get_stock_price', {'stock_code': '005930'})}"
        await redis.set(key, json.dumps({"fmt": 99, "stored_at": 0, "ttl": 1e9, "data": {"price": 1}}))
        await redis.aclose()
        quote = await client.get_stock_price("005930")
        assert quote["source"] == "simulated"
        assert quote["price"] != 1


async def test_namespaces_do_not_share() -> None:
    async with fleet(1) as f:
        other_ns = namespace()
        other = KiwoomClient(
            Settings(_env_file=None, base_url="http://fake", redis_url=f.url, redis_namespace=other_ns, page_delay_s=0),
            transport=httpx2.ASGITransport(app=f.app),
        )
        await f.clients[0].get_stock_price("005930")
        assert (await other.get_stock_price("005930"))["source"] == "simulated"
        await other.close()
        assert f.api_ids().count("au10001") == 2


async def test_a_redis_error_after_taking_the_flight_lock_still_loads_live(monkeypatch: pytest.MonkeyPatch) -> None:
    real_get = RedisResultStore.get
    calls = 0

    async def flaky_get(self: RedisResultStore, key: str) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:  # the re-check made after the flight lock is taken
            raise RedisUnavailableError("simulated Redis timeout")
        return await real_get(self, key)

    monkeypatch.setattr(RedisResultStore, "get", flaky_get)
    async with fleet(1, config=FakeKiwoomConfig(seed=3, rate_limit_per_s=0)) as f:
        result = await f.clients[0].get_stock_price("005930")
    assert calls >= 2
    assert result["source"] == "simulated"


async def test_a_worker_that_never_used_the_shared_token_does_not_revoke_it() -> None:
    async with fleet(2, config=FakeKiwoomConfig(seed=3, rate_limit_per_s=0)) as f:
        first, second = f.clients
        assert await first.connect()
        await second.close()  # never connected, never joined
        assert f.api_ids() == ["au10001"]
        await first.close()
        assert f.api_ids() == ["au10001", "au10002"]


async def test_unreachable_redis_degrades_to_memory_quickly() -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    app = create_app(FakeKiwoomConfig(seed=9))
    client = KiwoomClient(
        Settings(_env_file=None, base_url="http://fake", redis_url=dead, page_delay_s=0),
        transport=httpx2.ASGITransport(app=app),
    )
    assert await client.connect()
    first = await client.get_stock_price("005930")
    second = await client.get_stock_price("005930")
    health = await client.health()
    await client.close()
    assert first["source"] == "simulated"
    assert second["source"] == "cache"
    assert health["storage"]["serving_from"] == "memory"
    assert health["storage"]["healthy"] is False
