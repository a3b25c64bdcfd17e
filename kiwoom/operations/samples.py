"""The seed's sample data: what a call returns when Kiwoom cannot answer and nothing is cached.

Served only where the fallback policy allows it (the default on the sandbox, a fake on a
URL and the lab; on a real or mock account only with ``KIWOOM_FALLBACK=sample``). It keeps
the seed's shape, ``source: "sample"`` and ``note``, and adds ``placeholder: true``, a flag
no reader can miss. The seed's invented figures (price 50,000, change +500, balance
10,000,000 ...) are gone: an assistant reads results literally, and a plausible number is
repeated as a quote whatever label stands beside it, so every figure is ``None`` and lists
(bars, levels, search results) are empty. The keys stay, so code written against the
seed's shape still finds them.
"""

from __future__ import annotations

from typing import Any

NOTE_FAILED = "샘플 데이터 (API 호출 실패)"
NOTE_EMPTY = "샘플 데이터 (API 응답 없음)"


def sample_quote(stock_code: str) -> dict[str, Any]:
    return {
        "stock_code": stock_code,
        "name": None,
        "price": None,
        "change": None,
        "change_rate": None,
        "volume": None,
        "placeholder": True,  # each quote of a batch too: it may be quoted on its own
    }


def sample_for(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """The placeholder result of ``operation`` called with ``params``, flagged ``placeholder: true``."""
    return {**_sample_shape(operation, params), "placeholder": True}


def _sample_shape(operation: str, params: dict[str, Any]) -> dict[str, Any]:
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
            "balance": None,
            "total_value": None,
            "profit_loss": None,
            "holdings": [],
        }
    return {}
