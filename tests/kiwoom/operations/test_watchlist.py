"""ka10095 rows to quotes: unknown codes are listed apart, and a batch with no known code is a verdict."""

from __future__ import annotations

from typing import Any

import pytest

from kiwoom.errors import EmptyResponseError, StockNotFoundError
from kiwoom.operations.watchlist import watchlist_quotes


def row(code: str, price: str = "+70000") -> dict[str, Any]:
    return {"stk_cd": code, "stk_nm": "종목", "cur_prc": price, "pred_pre": "+500", "flu_rt": "+0.72", "trde_qty": "1"}


def test_known_and_unknown_codes_are_split() -> None:
    body = {"atn_stk_infr": [row("005930"), row("999999", price="")]}
    result = watchlist_quotes(body, ["005930", "999999"])
    assert [q["stock_code"] for q in result["prices"]] == ["005930"]
    assert result["not_found"] == ["999999"]
    assert result["count"] == 1


def test_a_code_without_a_row_is_not_found() -> None:
    result = watchlist_quotes({"atn_stk_infr": [row("005930")]}, ["005930", "000660"])
    assert result["not_found"] == ["000660"]


def test_no_known_code_is_a_stock_not_found_verdict() -> None:
    with pytest.raises(StockNotFoundError) as info:
        watchlist_quotes({"atn_stk_infr": [row("999999", price="")]}, ["999999"])
    assert info.value.code == 1902
    assert "999999" in str(info.value)


def test_verdict_echoes_a_long_batch_briefly() -> None:
    codes = [f"9{i:05d}" for i in range(100)]
    with pytest.raises(StockNotFoundError) as info:
        watchlist_quotes({"atn_stk_infr": [row(c, price="") for c in codes]}, codes)
    assert len(str(info.value)) <= 200


def test_an_empty_list_is_an_empty_response() -> None:
    with pytest.raises(EmptyResponseError):
        watchlist_quotes({"atn_stk_infr": []}, ["005930"])
