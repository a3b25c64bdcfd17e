"""Many callers, one Kiwoom: concurrent quote lookups batched into ka10095, one cache entry per code."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from fake_kiwoom.canned import OUTAGE_NOW
from fake_kiwoom.listings import LISTINGS
from kiwoom.errors import StockNotFoundError
from tests.support.harness import Harness, harness

pytestmark = pytest.mark.anyio

STOCKS = [listing.code for listing in LISTINGS if not listing.is_etf][:100]


@pytest.fixture
async def h() -> AsyncIterator[Harness]:
    async with harness() as made:
        yield made


async def quote_rows(h: Harness) -> list[dict[str, Any]]:
    return [r for r in await h.journal() if r["api_id"] in {"ka10001", "ka10095"}]


def carried(rows: list[dict[str, Any]]) -> list[str]:
    return [code for r in rows for code in r["stock_code"].split("|")]


async def test_a_burst_of_distinct_codes_takes_at_most_three_quote_requests(h: Harness) -> None:
    answers = await asyncio.gather(*(h.client.get_stock_price(code) for code in STOCKS))
    rows = await quote_rows(h)
    assert len(rows) <= 3
    assert sorted(carried(rows)) == sorted(STOCKS)  # every code asked once
    assert all(r["detail_code"] != 1700 for r in await h.journal())
    assert {a["source"] for a in answers} == {"simulated"}
    assert [a["stock_code"] for a in answers] == STOCKS
    batches = (await h.client.health())["quote_batches"]
    assert batches["codes"] == sum(1 for r in rows if r["api_id"] == "ka10095" for _ in r["stock_code"].split("|"))


async def test_a_batched_quote_is_the_quote_ka10001_gives() -> None:
    async with harness(rate_limit_per_s=0, batch_gather_s=0) as h:
        batched = await h.client.quotes.one("035420", batch=True)
        assert [r["api_id"] for r in await quote_rows(h)] == ["ka10095"]
        alone = await h.client.tr_request("ka10001", {"stk_cd": "035420"})  # the same virtual instant
        assert batched["price"] == abs(int(alone["cur_prc"]))
        assert batched["volume"] == int(alone["trde_qty"])


async def test_an_unknown_code_in_a_burst_fails_only_its_own_caller(h: Harness) -> None:
    codes = [*STOCKS[:5], "999999"]
    outcomes = await asyncio.gather(*(h.client.get_stock_price(code) for code in codes), return_exceptions=True)
    unknown = outcomes[-1]
    assert isinstance(unknown, StockNotFoundError)
    assert unknown.code == 1902
    assert all(isinstance(o, dict) and o["price"] is not None for o in outcomes[:-1])


async def test_a_watchlist_fills_the_entries_single_calls_read(h: Harness) -> None:
    watch = await h.client.get_stock_prices(STOCKS[:5])
    assert [p["source"] for p in watch["prices"]] == ["simulated"] * 5
    before = len(await quote_rows(h))
    single = await h.client.get_stock_price(STOCKS[2])
    assert single["source"] == "cache"
    assert single["price"] == watch["prices"][2]["price"]
    assert len(await quote_rows(h)) == before


async def test_a_watchlist_and_single_calls_never_load_a_code_twice(h: Harness) -> None:
    calls = [h.client.get_stock_prices(STOCKS[:10]), *(h.client.get_stock_price(code) for code in STOCKS[5:15])]
    await asyncio.gather(*calls)
    assert sorted(carried(await quote_rows(h))) == sorted(STOCKS[:15])


async def test_a_watchlist_marks_each_entry_and_the_whole_by_freshness(h: Harness) -> None:
    await h.client.get_stock_price(STOCKS[0])
    watch = await h.client.get_stock_prices(STOCKS[:3])
    assert [p["source"] for p in watch["prices"]] == ["cache", "simulated", "simulated"]
    assert watch["source"] == "cache"
    assert watch["cache_age_s"] is not None


async def test_a_watchlist_in_an_outage_serves_stale_entries_and_lists_the_rest() -> None:
    async with harness(max_retries=1, cache_ttl=10.0) as h:
        await h.client.get_stock_price(STOCKS[0])
        h.time.advance(60.0)  # past the TTL: a stale entry now
        await h.set_scenario(OUTAGE_NOW)
        watch = await h.client.get_stock_prices(STOCKS[:3])
        assert [p["stock_code"] for p in watch["prices"]] == [STOCKS[0]]
        assert watch["prices"][0]["source"] == "stale"
        assert watch["source"] == "stale"
        assert [u["stock_code"] for u in watch["unavailable"]] == STOCKS[1:3]
        assert all("503" in u["error"] for u in watch["unavailable"])


async def test_a_watchlist_with_nothing_to_show_falls_back_as_a_whole() -> None:
    async with harness(OUTAGE_NOW, max_retries=1) as h:
        watch = await h.client.get_stock_prices(STOCKS[:3])
        assert watch["source"] == "sample"
        assert watch["placeholder"] is True
        assert "503" in watch["fallback_reason"]
        assert [p["price"] for p in watch["prices"]] == [None, None, None]


async def test_callers_whose_turn_comes_after_their_deadline_fall_back_at_once() -> None:
    """Without batching, ten callers queue for ka10001 at one a second; a 4 s deadline can hold only a few."""
    async with harness(batch_quotes=False, call_deadline_s=4.0) as h:
        answers = await asyncio.gather(*(h.client.get_stock_price(code) for code in STOCKS[:10]))
        refused = [a for a in answers if a["source"] == "sample"]
        assert refused
        assert all("호출 기한" in a["fallback_reason"] for a in refused)
        assert all(a["attempts"] == 0 for a in refused)  # nothing was sent for them
        served = len([a for a in answers if a["source"] == "simulated"])
        assert len(await h.tr_rows()) == served
