"""The resilience chain end to end against the fake (in-process, controlled clock: nothing sleeps)."""

from __future__ import annotations

import asyncio
import itertools
import logging

import pytest

from fake_kiwoom.canned import OUTAGE_NOW
from kiwoom import Settings, StockNotFoundError
from kiwoom.resilience import RetriesExhausted
from tests.support.harness import burst, harness

pytestmark = pytest.mark.anyio

OUTAGE = OUTAGE_NOW


async def test_two_503s_then_success_with_1s_and_2s_backoff(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    async with harness(burst(2)) as h:
        quote = await h.client.get_stock_price("005930")
        assert quote["source"] == "simulated"
        assert quote["attempts"] == 3
        rows = await h.tr_rows()
        assert [r["status"] for r in rows] == [503, 503, 200]
        gaps = [b["ts"] - a["ts"] for a, b in itertools.pairwise(rows)]
        assert gaps[0] >= 1.0
        assert gaps[1] >= 2.0
        assert "재시도 1/3, 1.0초 후 재시도" in caplog.text
        assert "재시도 2/3, 2.0초 후 재시도" in caplog.text


async def test_outage_without_cache_gives_flagged_sample_data() -> None:
    async with harness(OUTAGE) as h:
        quote = await h.client.get_stock_price("005930")
        assert quote["source"] == "sample"
        assert quote["note"] == "샘플 데이터 (API 호출 실패)"
        assert quote["placeholder"] is True
        assert quote["price"] is None  # a placeholder carries no figure to mistake for a quote
        assert quote["attempts"] == 3
        assert "503" in quote["fallback_reason"]


async def test_outage_after_ttl_serves_stale_data_with_its_age() -> None:
    async with harness() as h:
        live = await h.client.get_stock_price("005930")
        h.time.advance(400)  # past the 300 s TTL, inside the stale window
        await h.set_scenario(OUTAGE)
        stale = await h.client.get_stock_price("005930")
        assert stale["source"] == "stale"
        assert stale["price"] == live["price"]
        assert stale["cache_age_s"] >= 400


async def test_cache_hit_within_ttl_then_refresh_after_it() -> None:
    async with harness() as h:
        first = await h.client.get_stock_price("005930")
        h.time.advance(299)
        second = await h.client.get_stock_price("005930")
        assert second["source"] == "cache"
        assert second["cache_age_s"] == pytest.approx(299, abs=1)
        assert len(await h.tr_rows()) == 1
        h.time.advance(1)  # exactly at the TTL: no longer fresh
        third = await h.client.get_stock_price("005930")
        assert third["source"] == "simulated"
        assert len(await h.tr_rows()) == 2
        assert first["timestamp"] != third["timestamp"]


async def test_concurrent_identical_calls_share_one_request() -> None:
    async with harness() as h:
        results = await asyncio.gather(*(h.client.get_stock_price("000660") for _ in range(200)))
        assert len(await h.tr_rows()) == 1
        assert len({r["price"] for r in results}) == 1


async def test_breaker_opens_and_spares_upstream_until_cooldown() -> None:
    async with harness(OUTAGE, breaker_failures=2, breaker_cooldown_s=30) as h:
        for code in ("005930", "000660"):
            assert (await h.client.get_stock_price(code))["source"] == "sample"
        assert (await h.client.health())["breaker"]["state"] == "open"
        sent = len(await h.tr_rows())
        for code in ("035420", "035720", "005380"):
            answer = await h.client.get_stock_price(code)
            assert answer["source"] == "sample"
            assert answer["attempts"] == 0
        assert len(await h.tr_rows()) == sent
        h.time.advance(31)
        await h.set_scenario(None)
        recovered = await h.client.get_stock_price("000270")
        assert recovered["source"] == "simulated"
        assert (await h.client.health())["breaker"]["state"] == "closed"


async def test_empty_output_gives_sample_marked_no_response() -> None:
    async with harness(burst(10, "{type: empty_output}")) as h:
        quote = await h.client.get_stock_price("005930")
        assert quote["source"] == "sample"
        assert quote["note"] == "샘플 데이터 (API 응답 없음)"
        assert quote["attempts"] == 1
        assert len(await h.tr_rows()) == 1


async def test_rate_limit_is_retried_after_the_pacing_interval() -> None:
    async with harness(burst(1, "{type: kiwoom_error, code: 1700}")) as h:
        quote = await h.client.get_stock_price("005930")
        assert quote["attempts"] == 2
        rows = await h.tr_rows()
        assert rows[0]["detail_code"] == 1700
        assert rows[1]["ts"] - rows[0]["ts"] >= 1.0


async def test_rate_limiting_on_one_tr_does_not_open_the_breaker_for_others() -> None:
    """1700 means "slow down", not "Kiwoom is failing": it must not trip the breaker."""
    async with harness(burst(1000, "{type: kiwoom_error, code: 1700}"), breaker_failures=2) as h:
        for code in ("005930", "000660"):
            await h.client.get_stock_price(code)
        assert (await h.client.health())["breaker"]["state"] == "closed"
        book = await h.client.get_orderbook("005930")
        assert book["source"] == "simulated"


async def test_unknown_stock_raises_instead_of_sample() -> None:
    async with harness() as h:
        with pytest.raises(StockNotFoundError):
            await h.client.get_stock_price("999999")
        assert (await h.client.health())["breaker"]["state"] == "closed"


async def test_error_policy_raises_after_retries() -> None:
    async with harness(OUTAGE, fallback="error") as h:
        with pytest.raises(RetriesExhausted, match="최대 재시도 횟수 초과") as info:
            await h.client.get_stock_price("005930")
        assert info.value.attempts == 3


async def test_stale_only_policy_raises_when_nothing_is_cached() -> None:
    async with harness(OUTAGE, fallback="stale-only") as h:
        with pytest.raises(RetriesExhausted):
            await h.client.get_stock_price("005930")


async def test_deadline_stops_retrying_early() -> None:
    async with harness(OUTAGE, call_deadline_s=2.5) as h:
        quote = await h.client.get_stock_price("005930")
        assert quote["source"] == "sample"
        assert quote["attempts"] == 2  # waiting 2 s more would pass the 2.5 s deadline
        assert len(await h.tr_rows()) == 2


async def test_token_rejected_mid_session_is_reissued_once() -> None:
    async with harness(burst(1, "{type: kiwoom_error, code: 8005}")) as h:
        quote = await h.client.get_stock_price("005930")
        assert quote["source"] == "simulated"
        assert [r["api_id"] for r in await h.journal()] == ["au10001", "ka10001", "au10001", "ka10001"]


async def test_sample_is_never_labelled_live() -> None:
    async with harness(OUTAGE) as h:
        for call in (
            h.client.get_stock_prices(["005930"]),
            h.client.get_stock_info("005930"),
            h.client.get_stock_history("005930", days=3),
            h.client.get_orderbook("005930"),
            h.client.get_account_info(),
        ):
            result = await call
            assert result["source"] == "sample"
            assert result["note"].startswith("샘플 데이터")


def test_settings_are_configurable_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIWOOM_MAX_RETRIES", "5")
    monkeypatch.setenv("KIWOOM_CACHE_TTL", "60")
    monkeypatch.setenv("KIWOOM_FALLBACK", "stale-only")
    monkeypatch.setenv("KIWOOM_CACHE_TTL_OVERRIDES", '{"get_stock_price": 5}')
    s = Settings(_env_file=None)
    assert s.max_retries == 5
    assert s.fallback == "stale-only"
    assert s.ttl_for("get_stock_price") == 5
    assert s.ttl_for("get_orderbook") == 60


async def test_unexpected_error_1999_is_retried_like_a_5xx() -> None:
    async with harness(burst(2, "{type: kiwoom_error, code: 1999}")) as h:
        quote = await h.client.get_stock_price("005930")
        assert quote["source"] == "simulated"
        assert quote["attempts"] == 3


async def test_attempts_count_every_request_when_a_retry_ends_in_an_empty_answer() -> None:
    scenario = """
version: 1
name: then_empty
description: a 503, then blank fields
rules:
  - match: {api_id: ka10001}
    steps:
      - {times: 1, fault: {type: http_status, status: 503}}
      - {times: 1, fault: {type: empty_output}}
    then: pass
"""
    async with harness(scenario) as h:
        quote = await h.client.get_stock_price("005930")
        assert quote["source"] == "sample"
        assert quote["note"] == "샘플 데이터 (API 응답 없음)"
        assert quote["attempts"] == 2
        assert len(await h.tr_rows()) == 2
