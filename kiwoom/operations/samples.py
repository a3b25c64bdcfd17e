"""The seed's sample data: what a call returns when Kiwoom cannot answer and nothing is cached.

The numbers are the seed's placeholders (price 50,000, change +500 ...), never real data:
every sample carries ``source: "sample"`` and the seed's ``note`` so that neither a person
nor a model can take it for a quote. Lists (bars, levels, search results) are empty rather
than invented.
"""

from __future__ import annotations

from typing import Any

NOTE_FAILED = "샘플 데이터 (API 호출 실패)"
NOTE_EMPTY = "샘플 데이터 (API 응답 없음)"


def sample_quote(stock_code: str) -> dict[str, Any]:
    return {
        "stock_code": stock_code,
        "name": None,
        "price": 50000,
        "change": 500,
        "change_rate": 1.0,
        "volume": 1000000,
    }


def sample_for(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """The placeholder result of ``operation`` called with ``params``."""
    code = str(params.get("stock_code", ""))
    if operation == "get_stock_price":
        return sample_quote(code)
    if operation == "get_stock_prices":
        codes = list(params.get("stock_codes", []))
        return {"prices": [sample_quote(c) for c in codes], "not_found": [], "count": len(codes)}
    if operation == "get_stock_info":
        return {"stock_code": code, "name": "샘플 종목", "market": None, "sector": None}
    if operation == "get_stock_history":
        return {
            "stock_code": code,
            "interval": params.get("interval"),
            "days": params.get("days"),
            "count": 0,
            "bars": [],
        }
    if operation == "get_orderbook":
        return {"stock_code": code, "as_of": None, "asks": [], "bids": []}
    if operation == "stock_listing":
        return {"entries": []}
    if operation == "search_stock":
        return {"query": params.get("query"), "count": 0, "results": []}
    if operation == "get_account_info":
        return {
            "account_no": params.get("account_no"),
            "balance": 10000000,
            "total_value": 50000000,
            "profit_loss": 5000000,
            "holdings": [],
        }
    return {}
