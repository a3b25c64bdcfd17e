"""The seed's sample data: flagged so that no reader takes it for a quote."""

from __future__ import annotations

import pytest

from kiwoom.operations.samples import sample_for

OPERATIONS = [
    ("get_stock_price", {"stock_code": "005930"}),
    ("get_stock_prices", {"stock_codes": ["005930", "000660"]}),
    ("get_stock_info", {"stock_code": "005930"}),
    ("get_stock_history", {"stock_code": "005930", "days": 5, "interval": "day"}),
    ("get_orderbook", {"stock_code": "005930"}),
    ("stock_listing", {}),
    ("search_stock", {"query": "삼성"}),
    ("get_account_info", {"account_no": "5012****11"}),
]


@pytest.mark.parametrize(("operation", "params"), OPERATIONS)
def test_every_sample_is_flagged_as_a_placeholder(operation: str, params: dict[str, object]) -> None:
    assert sample_for(operation, params)["placeholder"] is True


def test_a_sample_quote_carries_no_number_that_could_pass_for_a_price() -> None:
    quote = sample_for("get_stock_price", {"stock_code": "005930"})
    assert [quote[k] for k in ("price", "change", "change_rate", "volume")] == [None, None, None, None]


def test_each_quote_of_a_sample_batch_is_flagged_too() -> None:
    batch = sample_for("get_stock_prices", {"stock_codes": ["005930"]})
    assert batch["prices"][0]["placeholder"] is True
    assert batch["prices"][0]["price"] is None


def test_a_sample_account_carries_no_invented_amounts() -> None:
    account = sample_for("get_account_info", {"account_no": "5012****11"})
    assert [account[k] for k in ("balance", "total_value", "profit_loss")] == [None, None, None]
