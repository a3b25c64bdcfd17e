"""The toolsets beyond the learning guide's tools: which catalog TR answers each, with which arguments.

Pure data and argument checks: ``kiwoom.mcp.catalog_tools`` turns them into MCP tools, and
``KiwoomClient.query_tr`` sends the TR. Each tool sets only the request fields its
arguments stand for; every other field keeps the value of the TR's documented example
request (``tr_catalog``), so a tool's behaviour is the catalog's, written down once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kiwoom.errors import InvalidInputError
from kiwoom.operations.validation import shown
from tr_catalog import CATALOG

#: Which toolset (``KIWOOM_TOOLSETS``) each MCP tool belongs to.
TOOLSET_OF: Mapping[str, str] = {
    "get_stock_price": "quotes",
    "get_stock_prices": "quotes",
    "get_stock_info": "quotes",
    "get_orderbook": "quotes",
    "search_stock": "quotes",
    "get_market_status": "quotes",
    "get_live_quote": "quotes",
    "get_live_orderbook": "quotes",
    "get_stock_history": "charts",
    "get_stock_chart": "charts",
    "get_account_info": "account",
    "get_rankings": "rankings",
    "get_investor_flows": "flows",
    "get_program_trading": "flows",
    "get_sector_index": "sectors",
    "get_etf_info": "etf",
    "get_themes": "themes",
    "get_theme_stocks": "themes",
    "query_tr": "catalog",
}

#: get_stock_chart's periods and the chart TR of each.
CHART_TRS: Mapping[str, str] = {
    "tick": "ka10079",
    "minute": "ka10080",
    "day": "ka10081",
    "week": "ka10082",
    "month": "ka10083",
    "year": "ka10094",
}

#: get_rankings' kinds and the ranking TR of each.
RANKING_TRS: Mapping[str, str] = {
    "change_rate": "ka10027",
    "volume": "ka10030",
    "trading_value": "ka10032",
    "volume_surge": "ka10023",
    "orderbook_remainder": "ka10020",
}

#: Markets as the ranking TRs' ``mrkt_tp`` writes them.
MARKETS: Mapping[str, str] = {"all": "000", "kospi": "001", "kosdaq": "101"}

#: The TR of each single-TR tool.
TOOL_TRS: Mapping[str, str] = {
    "get_investor_flows": "ka10059",
    "get_program_trading": "ka90005",
    "get_sector_index": "ka20001",
    "get_etf_info": "ka40002",
    "get_themes": "ka90001",
    "get_theme_stocks": "ka90002",
}


def choice(value: Any, field: str, options: Mapping[str, str]) -> str:
    """The TR that ``value`` names among ``options``, or InvalidInputError naming ``field`` and the choices."""
    if not isinstance(value, str) or value not in options:
        raise InvalidInputError(field, f"다음 중 하나여야 합니다: {', '.join(options)}; 받은 값 {shown(value)}")
    return options[value]


def market_for(api_id: str, market: Any) -> str:
    """``mrkt_tp`` of ``market`` for ``api_id``, or InvalidInputError naming ``market`` and the TR's markets."""
    code = choice(market, "market", MARKETS)
    rule = next((f for f in CATALOG[api_id].request if f.name == "mrkt_tp"), None)
    if rule is not None and rule.allowed and code not in rule.allowed:
        usable = [name for name, value in MARKETS.items() if value in rule.allowed]
        raise InvalidInputError(
            "market", f"{api_id} 순위는 다음 시장만 됩니다: {', '.join(usable)}; 받은 값 {shown(market)}"
        )
    return code


def overrides(api_id: str, **candidates: Any) -> dict[str, Any]:
    """The ``candidates`` (request field → value) that ``api_id``'s request has; None values left out."""
    fields = {f.name for f in CATALOG[api_id].request}
    return {name: value for name, value in candidates.items() if name in fields and value is not None}


def routed_trs() -> set[str]:
    """Every TR a tool of the toolsets sends (a test checks each is in the catalog)."""
    return {*CHART_TRS.values(), *RANKING_TRS.values(), *TOOL_TRS.values()}
