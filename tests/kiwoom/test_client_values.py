"""Tools agree on values and names: one name for the previous close, one unit for shares, honest labels."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.harness import Harness, harness

pytestmark = pytest.mark.anyio


@pytest.fixture
async def h() -> AsyncIterator[Harness]:
    async with harness(page_delay_s=0) as opened:
        yield opened


async def test_search_reports_the_previous_close_under_the_quote_s_name(h: Harness) -> None:
    found = (await h.client.search_stock("삼성전자"))["results"][0]
    quote = await h.client.get_stock_price("005930")
    assert found["stock_code"] == "005930"
    assert "last_price" not in found  # ka10099 lastPrice is 전일종가, not the current price
    assert found["previous_close"] == quote["previous_close"]


async def test_listed_shares_are_counted_in_shares_by_every_tool(h: Harness) -> None:
    found = (await h.client.search_stock("005930"))["results"][0]
    info = await h.client.get_stock_info("005930")
    assert "listed_shares_thousands" not in info
    assert info["listed_shares"] == found["listed_shares"]
    assert info["listed_shares"] > 1_000_000_000  # 삼성전자 has billions of shares, not millions of thousands


async def test_market_status_is_labelled_as_computed_from_the_calendar(h: Harness) -> None:
    status = await h.client.get_market_status()
    assert status["source"] == "calendar"
    assert status["simulated"] is False
