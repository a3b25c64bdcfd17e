"""The resilience chain against fake-kiwoom over a real socket, in real time (a few seconds in all)."""

from __future__ import annotations

import asyncio
import itertools
import pathlib
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from fake_kiwoom import FakeKiwoomConfig, create_app
from fake_kiwoom.canned import OUTAGE_NOW
from fake_kiwoom.scenario_model import load_scenario, parse_scenario
from kiwoom import KiwoomClient, Settings
from kiwoom_lab.loopback import serve

pytestmark = [pytest.mark.socket, pytest.mark.anyio]

SCENARIOS = "scenarios"


@pytest.fixture
def fake_url() -> Iterator[str]:
    # Pacing is tested elsewhere; here it would only add waits to the retry schedules under test.
    with serve(create_app(FakeKiwoomConfig(seed=2, rate_limit_per_s=0))) as url:
        yield url


def client_for(url: str, **overrides: Any) -> KiwoomClient:
    values: dict[str, Any] = {"base_url": url, "page_delay_s": 0, "rate_limit_per_s": 0}
    values.update(overrides)
    return KiwoomClient(Settings(_env_file=None, **values))


def load(url: str, name: str) -> None:
    """Load a catalog scenario by name, or the canned immediate outage."""
    text = OUTAGE_NOW if name == "outage_now" else (pathlib.Path(SCENARIOS) / f"{name}.yaml").read_text("utf-8")
    response = httpx2.put(f"{url}/__admin/scenario", content=text)
    assert response.status_code == 200, response.text


def clear(url: str) -> None:
    assert httpx2.delete(f"{url}/__admin/scenario").status_code == 200


def journal(url: str, api_id: str = "ka10001") -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = httpx2.get(f"{url}/__admin/requests", params={"api_id": api_id}).json()["requests"]
    return rows


@pytest.mark.realtime
async def test_5xx_burst_backs_off_1s_then_2s(fake_url: str) -> None:
    load(fake_url, "5xx_burst")
    async with client_for(fake_url) as client:
        quote = await client.get_stock_price("005930")
    assert quote["source"] == "simulated"
    assert quote["attempts"] == 3
    rows = journal(fake_url)
    assert [r["status"] for r in rows] == [503, 503, 200]
    gaps = [b["ts"] - a["ts"] for a, b in itertools.pairwise(rows)]
    assert gaps[0] >= 1.0
    assert gaps[1] >= 2.0


@pytest.mark.realtime
async def test_total_outage_stale_when_cached_sample_when_not(fake_url: str) -> None:
    async with client_for(fake_url, retry_delay=0.05, cache_ttl=0.5) as client:
        live = await client.get_stock_price("005930")
        load(fake_url, "outage_now")
        await asyncio.sleep(0.6)  # past the TTL: the cached price is now stale
        stale = await client.get_stock_price("005930")
        sample = await client.get_stock_price("000660")
    assert stale["source"] == "stale"
    assert stale["price"] == live["price"]
    assert sample["source"] == "sample"
    assert sample["note"] == "샘플 데이터 (API 호출 실패)"


@pytest.mark.realtime
async def test_open_breaker_sends_nothing_until_cooldown(fake_url: str) -> None:
    load(fake_url, "outage_now")
    async with client_for(fake_url, retry_delay=0.01, breaker_failures=2, breaker_cooldown_s=1.0) as client:
        await client.get_stock_price("005930")
        await client.get_stock_price("000660")
        assert (await client.health())["breaker"]["state"] == "open"
        sent = len(journal(fake_url))
        for code in ("035420", "035720", "005380"):
            assert (await client.get_stock_price(code))["source"] == "sample"
        assert len(journal(fake_url)) == sent
        await asyncio.sleep(1.1)
        clear(fake_url)
        recovered = await client.get_stock_price("000270")
    assert recovered["source"] == "simulated"
    assert len(journal(fake_url)) == sent + 1


async def test_expired_token_is_reissued_once(fake_url: str) -> None:
    load(fake_url, "token_expiry")
    async with client_for(fake_url) as client:
        quote = await client.get_stock_price("005930")
    assert quote["source"] == "simulated"
    issued = journal(fake_url, "au10001")
    assert len(issued) == 2


def test_every_catalog_file_parses() -> None:
    files = sorted(pathlib.Path(SCENARIOS).glob("*.yaml"))
    assert len(files) >= 12
    for path in files:
        assert load_scenario(path).name == path.stem
    assert parse_scenario("version: 1\nname: x\ndescription: d\nrules: []\n", "inline").rules == []
