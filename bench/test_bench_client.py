"""Client benchmarks: cache hits, breaker-open fallbacks, coalescing, and the seed's retry-every-call design.

Run with ``tox -e bench`` (see bench/README.md); never part of the test run.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx2
import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from fake_kiwoom import FakeKiwoomConfig, create_app
from fake_kiwoom.canned import OUTAGE_NOW
from fake_kiwoom.scenario_model import parse_scenario
from kiwoom import KiwoomClient, Settings
from kiwoom.transport.protocol import decode_price

OUTAGE = parse_scenario(OUTAGE_NOW, "bench")


def make_client(scenario: Any = None, **overrides: Any) -> tuple[KiwoomClient, Any]:
    app = create_app(FakeKiwoomConfig(seed=1, rate_limit_per_s=0), scenario=scenario)
    values: dict[str, Any] = {"base_url": "http://fake-kiwoom", "rate_limit_per_s": 0, "page_delay_s": 0}
    values.update(overrides)
    client = KiwoomClient(Settings(_env_file=None, **values), transport=httpx2.ASGITransport(app=app))
    return client, app


def upstream_count(app: Any, api_id: str) -> int:
    return sum(1 for entry in app.state.journal.entries() if entry.api_id == api_id)


def test_decode_large_chart_page(benchmark: BenchmarkFixture) -> None:
    values = [f"{'+-'[i % 2]}{70000 + i}" for i in range(600 * 6)]

    def decode_all() -> int:
        return sum(decode_price(v) or 0 for v in values)

    assert benchmark(decode_all) > 0


def test_cache_hit_get_stock_price(benchmark: BenchmarkFixture, loop: asyncio.AbstractEventLoop) -> None:
    client, _ = make_client()
    loop.run_until_complete(client.get_stock_price("005930"))
    result = benchmark(lambda: loop.run_until_complete(client.get_stock_price("005930")))
    assert result["source"] == "cache"
    loop.run_until_complete(client.close())


def test_breaker_open_fallback(benchmark: BenchmarkFixture, loop: asyncio.AbstractEventLoop) -> None:
    client, app = make_client(OUTAGE, breaker_failures=1, breaker_cooldown_s=3600, retry_delay=0)
    loop.run_until_complete(client.get_stock_price("005930"))  # opens the breaker
    before = upstream_count(app, "ka10001")
    result = benchmark(lambda: loop.run_until_complete(client.get_stock_price("005930")))
    assert result["source"] == "sample"
    benchmark.extra_info["upstream_requests_while_open"] = upstream_count(app, "ka10001") - before
    loop.run_until_complete(client.close())


def test_thousand_concurrent_identical_calls(benchmark: BenchmarkFixture, loop: asyncio.AbstractEventLoop) -> None:
    counts: list[int] = []

    def cold_burst() -> None:
        client, app = make_client()

        async def burst() -> None:
            await asyncio.gather(*(client.get_stock_price("005930") for _ in range(1000)))
            await client.close()

        loop.run_until_complete(burst())
        counts.append(upstream_count(app, "ka10001"))

    benchmark.pedantic(cold_burst, rounds=5, iterations=1)
    benchmark.extra_info["upstream_requests_per_burst"] = counts


@pytest.mark.parametrize("design", ["ours", "seed_retry_every_call"])
def test_outage_call_latency(benchmark: BenchmarkFixture, loop: asyncio.AbstractEventLoop, design: str) -> None:
    """Per-call latency in a total outage: our breaker-open fallback vs retrying every call (1 s + 2 s waits)."""
    if design == "ours":
        client, _ = make_client(OUTAGE, breaker_failures=1, breaker_cooldown_s=3600, retry_delay=0)
        loop.run_until_complete(client.get_stock_price("005930"))
        result = benchmark(lambda: loop.run_until_complete(client.get_stock_price("005930")))
    else:
        client, _ = make_client(OUTAGE, breaker_failures=1000, retry_delay=1.0)
        result = benchmark.pedantic(
            lambda: loop.run_until_complete(client.get_stock_price("005930")), rounds=2, iterations=1
        )
    assert result["source"] == "sample"
    loop.run_until_complete(client.close())
