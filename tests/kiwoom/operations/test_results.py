"""Turning decoded TR rows into the tool results the client returns."""

from __future__ import annotations

from kiwoom.operations.results import listing_row, quote, stock_info


def test_an_odd_secondary_field_only_loses_that_field() -> None:
    """A placeholder in volume or rate must not cost the caller the price that did decode."""
    result = quote({"cur_prc": "-78800", "trde_qty": "-", "flu_rt": "n/a", "pred_pre": "+600"}, "005930")
    assert result["price"] == 78800
    assert result["volume"] is None
    assert result["change_rate"] is None
    assert result["change"] == 600


def test_a_listing_row_names_last_price_for_what_it_is() -> None:
    """ka10099 ``lastPrice`` is 전일종가 (the previous close), so it must not read as a current price."""
    entry = listing_row(
        {"code": "005930", "name": "삼성전자", "lastPrice": "00071000", "listCount": "0000005969782550"}, "KOSPI"
    )
    assert entry is not None
    assert entry["previous_close"] == 71000
    assert "last_price" not in entry
    assert entry["listed_shares"] == 5_969_782_550


def test_stock_info_counts_listed_shares_in_shares() -> None:
    """ka10001 ``flo_stk`` is in thousands of shares; results use shares, as the listing does."""
    info = stock_info({"stk_nm": "삼성전자", "flo_stk": "5969783"}, "005930", None)
    assert info["listed_shares"] == 5_969_783_000
    assert "listed_shares_thousands" not in info


def test_stock_info_prefers_the_listing_s_exact_share_count() -> None:
    info = stock_info({"stk_nm": "삼성전자", "flo_stk": "5969783"}, "005930", {"listed_shares": 5_969_782_550})
    assert info["listed_shares"] == 5_969_782_550
