"""KiwoomClient against the fake, in-process through ASGITransport, with a controlled clock."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import httpx2
import pytest

from fake_kiwoom import FakeKiwoomConfig, create_app
from fake_kiwoom.scenario_model import parse_scenario
from kiwoom import (
    InvalidInputError,
    KiwoomClient,
    RateLimitError,
    Settings,
    StockNotFoundError,
)
from tests.support.harness import Harness, harness

pytestmark = pytest.mark.anyio


@pytest.fixture
async def h() -> AsyncIterator[Harness]:
    async with harness() as opened:
        yield opened


async def test_connect_issues_one_token(h: Harness) -> None:
    assert await h.client.connect() is True
    assert h.client.is_connected
    assert await h.api_ids() == ["au10001"]
    health = await h.client.health()
    assert health["token_valid"] is True
    assert health["simulated"] is True


async def test_stock_price_shape(h: Harness) -> None:
    quote = await h.client.get_stock_price("005930")
    assert quote["stock_code"] == "005930"
    assert quote["name"] == "삼성전자"
    assert isinstance(quote["price"], int)
    assert quote["price"] > 0
    assert isinstance(quote["change"], int)
    assert isinstance(quote["change_rate"], float)
    assert quote["lower_limit"] <= quote["price"] <= quote["upper_limit"]
    assert quote["source"] == "simulated"
    assert quote["timestamp"].endswith("+09:00")
    assert quote["previous_close"] + quote["change"] == quote["price"]


async def test_price_moves_with_the_clock(h: Harness) -> None:
    first = await h.client.get_stock_price("005930")
    seen = {first["price"]}
    for _ in range(6):
        h.time.advance(600)
        seen.add((await h.client.get_stock_price("005930"))["price"])
    assert len(seen) > 1


async def test_batch_prices_in_one_request(h: Harness) -> None:
    result = await h.client.get_stock_prices(["005930", "000660", "999999", "069500"])
    assert [p["stock_code"] for p in result["prices"]] == ["005930", "000660", "069500"]
    assert result["not_found"] == ["999999"]
    assert (await h.api_ids()).count("ka10095") == 1


async def test_stock_info_has_market_and_sector(h: Harness) -> None:
    info = await h.client.get_stock_info("005930")
    assert info["name"] == "삼성전자"
    assert info["market"] == "KOSPI"
    assert info["sector"]
    assert info["per"] is not None
    etf = await h.client.get_stock_info("069500")
    assert etf["market"] == "ETF"


async def test_daily_history_is_chronological(h: Harness) -> None:
    history = await h.client.get_stock_history("005930", days=30)
    bars = history["bars"]
    assert len(bars) == 30
    assert [b["date"] for b in bars] == sorted(b["date"] for b in bars)
    assert all(b["low"] <= min(b["open"], b["close"]) <= max(b["open"], b["close"]) <= b["high"] for b in bars)
    assert history["pages"] == 1


async def test_long_history_follows_continuation_pages(h: Harness) -> None:
    history = await h.client.get_stock_history("005930", days=700)
    assert history["count"] == 700
    assert history["pages"] >= 2
    dates = [b["date"] for b in history["bars"]]
    assert len(set(dates)) == 700
    assert dates == sorted(dates)
    journal = [r for r in await h.journal() if r["api_id"] == "ka10081"]
    assert len(journal) == history["pages"]


async def test_minute_history(h: Harness) -> None:
    history = await h.client.get_stock_history("005930", days=1, interval="5m")
    assert history["count"] > 0
    assert {b["time"][:10] for b in history["bars"]} == {"2026-11-26"}
    latest = history["bars"][-1]["close"]
    assert latest == (await h.client.get_stock_price("005930"))["price"]


async def test_orderbook_levels(h: Harness) -> None:
    book = await h.client.get_orderbook("005930")
    assert len(book["asks"]) == 10
    assert len(book["bids"]) == 10
    assert book["asks"][0]["price"] > book["bids"][0]["price"]
    assert [a["price"] for a in book["asks"]] == sorted(a["price"] for a in book["asks"])
    assert [b["price"] for b in book["bids"]] == sorted((b["price"] for b in book["bids"]), reverse=True)


@pytest.mark.parametrize(
    ("query", "expected"), [("삼성전자", "005930"), ("samsung elec", "005930"), ("0006", "000660")]
)
async def test_search_by_name_english_or_code(h: Harness, query: str, expected: str) -> None:
    found = await h.client.search_stock(query)
    assert found["results"][0]["stock_code"] == expected


async def test_search_listing_is_fetched_once(h: Harness) -> None:
    await h.client.search_stock("삼성")
    await h.client.search_stock("KODEX")
    assert (await h.api_ids()).count("ka10099") == 3  # KOSPI, KOSDAQ, ETF once each


async def test_account_is_masked_and_consistent(h: Harness) -> None:
    account = await h.client.get_account_info()
    assert account["account_no"] == "5012****11"
    assert account["holdings"]
    assert account["total_evaluation"] == sum(x["evaluation_amount"] for x in account["holdings"])
    assert "5012345611" not in repr(account)


async def test_market_status_needs_no_upstream(h: Harness) -> None:
    status = await h.client.get_market_status()
    assert status["market_open"] is True
    assert status["session"] == "regular"
    assert await h.api_ids() == []


async def test_invalid_input_never_reaches_upstream(h: Harness) -> None:
    with pytest.raises(InvalidInputError, match="stock_code"):
        await h.client.get_stock_price("A005930")  # a mistyped code; a name would read the listing
    with pytest.raises(InvalidInputError, match="days"):
        await h.client.get_stock_history("005930", days=0)
    with pytest.raises(InvalidInputError, match="interval"):
        await h.client.get_stock_history("005930", interval="week")
    assert await h.api_ids() == []


async def test_unknown_stock_is_a_distinct_error(h: Harness) -> None:
    with pytest.raises(StockNotFoundError) as info:
        await h.client.get_stock_price("999999")
    assert info.value.code == 1902


async def test_token_refreshed_before_expiry(h: Harness) -> None:
    await h.client.get_stock_price("005930")
    h.time.advance(86400 - 300)  # inside the 600 s refresh margin
    await h.client.get_stock_price("005930")
    assert (await h.api_ids()).count("au10001") == 2
    assert all(r["detail_code"] != 8005 for r in await h.journal())


async def test_rejected_token_is_reissued_once_and_the_call_repeated(h: Harness) -> None:
    await h.client.get_stock_price("005930")
    await h.admin.post("/__admin/reset")  # the fake forgets every token: next call gets 8005
    quote = await h.client.get_stock_price("000660")
    assert quote["stock_code"] == "000660"
    journal = await h.journal()
    assert [(r["api_id"], r["detail_code"]) for r in journal] == [
        ("ka10001", 8005),
        ("au10001", None),
        ("ka10001", None),
    ]


async def test_close_revokes_the_token(h: Harness) -> None:
    await h.client.connect()
    await h.client.close()
    assert (await h.api_ids())[-1] == "au10002"
    assert not h.client.is_connected


async def test_pacing_prevents_rate_limit_errors() -> None:
    async with harness(batch_quotes=False) as h:
        for code in ("005930", "000660", "035420", "035720", "005380", "000270"):
            await h.client.get_stock_price(code)  # distinct codes: no cache hits, six ka10001 requests
        journal = await h.journal()
        assert sum(1 for r in journal if r["api_id"] == "ka10001") == 6
        assert all(r["detail_code"] != 1700 for r in journal)
        assert h.time.sleeps  # the client waited instead of being refused


async def test_a_lookup_that_would_wait_for_ka10001_goes_in_a_batch_instead(h: Harness) -> None:
    """With ka10001's burst spent, the next code goes out at once on ka10095 rather than waiting a second."""
    for code in ("005930", "000660", "035420"):
        result = await h.client.get_stock_price(code)
        assert result["stock_code"] == code
        assert result["price"] is not None
    journal = await h.journal()
    assert [(r["api_id"], r["stock_code"]) for r in journal if r["api_id"] in {"ka10001", "ka10095"}] == [
        ("ka10001", "005930"),
        ("ka10001", "000660"),
        ("ka10095", "035420"),
    ]


async def test_without_pacing_kiwoom_refuses_with_1700() -> None:
    async with harness(rate_limit_per_s=0) as h:
        await h.client.get_stock_price("005930")
        await h.client.get_stock_price("000660")  # the burst of 2 is spent
        with pytest.raises(RateLimitError) as info:
            await h.client.tr_request("ka10001", {"stk_cd": "035420"})
        assert info.value.code == 1700
        assert info.value.status_code == 429


async def test_wrong_keys_fail_to_connect_without_leaking_them() -> None:
    config = FakeKiwoomConfig(app_keys={"the-right-key": "the-right-secret"})
    async with harness(config=config, app_key="wrong-app-key-xyz", secret_key="wrong-secret-xyz") as h:
        assert await h.client.connect() is False
        assert h.client.last_error is not None
        assert "8001" in h.client.last_error
        assert "wrong-app-key-xyz" not in h.client.last_error
        assert "wrong-secret-xyz" not in h.client.last_error


async def test_secrets_never_logged(h: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await h.client.connect()
    await h.client.get_stock_price("005930")
    await h.client.get_account_info()
    token = h.client.tokens.current.value if h.client.tokens and h.client.tokens.current else "unset"
    await h.client.close()
    text = caplog.text + repr(h.client.tokens)
    for secret in ("test-app-key-123", "test-secret-key-456", "5012345611", token):
        assert secret not in text


async def test_closing_is_bounded_when_the_revoke_hangs() -> None:
    """A revoke that never answers must not hold up shutdown past ``close_timeout_s`` (real time: httpx2's clock)."""
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
