"""Turning decoded TR rows into the tool results the client returns."""

from __future__ import annotations

from kiwoom.operations.results import quote


def test_an_odd_secondary_field_only_loses_that_field() -> None:
    """A placeholder in volume or rate must not cost the caller the price that did decode."""
    result = quote({"cur_prc": "-78800", "trde_qty": "-", "flu_rt": "n/a", "pred_pre": "+600"}, "005930")
    assert result["price"] == 78800
    assert result["volume"] is None
    assert result["change_rate"] is None
    assert result["change"] == 600
