"""ka10095 rows per code, and the watchlist assembled from per-code lookups with honest provenance."""

from __future__ import annotations

from typing import Any

import pytest

from kiwoom.errors import EmptyResponseError, KiwoomTransportError, StockNotFoundError
from kiwoom.operations import results
from kiwoom.operations.watchlist import assemble, batch_rows, not_found


def row(code: str, price: str = "+70000") -> dict[str, Any]:
    return {"stk_cd": code, "stk_nm": "종목", "cur_prc": price, "pred_pre": "+500", "flu_rt": "+0.72", "trde_qty": "1"}


def quote(code: str, source: str = "live", **extra: Any) -> dict[str, Any]:
    return {**results.quote(row(code), code), "source": source, "timestamp": "2026-11-30T10:00:00+09:00", **extra}


def test_a_blank_row_is_an_unknown_code() -> None:
    rows = batch_rows({"atn_stk_infr": [row("005930"), row("999999", price="")]}, ["005930", "999999"])
    assert rows["005930"] is not None
    assert rows["005930"]["cur_prc"] == "+70000"
    assert rows["999999"] is None


def test_a_blank_row_without_its_code_is_unknown_too() -> None:
    """Live Kiwoom leaves stk_cd blank in an unknown code's row: rows are matched by code, not position."""
    rows = batch_rows({"atn_stk_infr": [row("", price=""), row("005930")]}, ["999999", "005930"])
    assert rows == {"999999": None, "005930": row("005930")}


def test_a_code_without_a_row_is_unknown() -> None:
    assert batch_rows({"atn_stk_infr": [row("005930")]}, ["005930", "000660"])["000660"] is None


def test_an_empty_list_is_an_empty_response() -> None:
    with pytest.raises(EmptyResponseError):
        batch_rows({"atn_stk_infr": []}, ["005930"])


def test_not_found_is_the_1902_verdict_and_echoes_briefly() -> None:
    error = not_found([f"9{i:05d}" for i in range(100)])
    assert isinstance(error, StockNotFoundError)
    assert error.code == 1902
    assert len(str(error)) <= 200


def test_known_unknown_and_unavailable_codes_are_split() -> None:
    outcomes: list[Any] = [quote("005930"), not_found(["999999"]), KiwoomTransportError("down")]
    result, failures = assemble(["005930", "999999", "000660"], outcomes)
    assert [p["stock_code"] for p in result["prices"]] == ["005930"]
    assert result["not_found"] == ["999999"]
    assert result["unavailable"] == [{"stock_code": "000660", "error": "down"}]
    assert result["count"] == 1
    assert len(failures) == 1


def test_the_whole_says_the_least_fresh_source_and_the_oldest_fetch() -> None:
    stale = quote(
        "000660", "stale", cache_age_s=400.0, fallback_reason="HTTP 500", timestamp="2026-11-30T09:00:00+09:00"
    )
    result, _ = assemble(["005930", "000660"], [quote("005930", "cache", cache_age_s=3.0), stale])
    assert result["source"] == "stale"
    assert result["timestamp"] == "2026-11-30T09:00:00+09:00"
    assert result["cache_age_s"] == 400.0
    assert result["fallback_reason"] == "HTTP 500"
    assert [p["source"] for p in result["prices"]] == ["cache", "stale"]


def test_an_entry_keeps_its_quote_and_provenance_but_not_call_figures() -> None:
    result, _ = assemble(["005930"], [quote("005930", attempts=1, latency_ms=3.0, environment="sandbox")])
    entry = result["prices"][0]
    assert set(entry) == {*results.QUOTE_FIELDS, "source", "timestamp"}
