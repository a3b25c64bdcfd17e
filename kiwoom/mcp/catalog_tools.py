"""The tools of the toolsets beyond the learning guide's: charts, rankings, flows, sectors, ETFs, themes, any TR.

Each tool answers from one catalog TR (:mod:`kiwoom.operations.toolsets` says which) through
``KiwoomClient.query_tr``: the same resilience chain and the same envelopes as the
learning guide's tools, with the TR's fields decoded. Arguments arrive as ``Any`` and are
checked here, so a bad one gets the envelope naming the argument and the rule.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

from fastmcp.tools import ToolResult
from pydantic import WithJsonSchema

from kiwoom.client import KiwoomClient
from kiwoom.errors import InvalidInputError
from kiwoom.mcp.arguments import STOCK_CODE_SCHEMA, subject
from kiwoom.operations import toolsets, validation
from krx.calendar import KST

Invoke = Callable[[str, str, Callable[[], Awaitable[dict[str, Any]]]], Awaitable[ToolResult]]


Period = Annotated[
    Any,
    WithJsonSchema(
        {"type": "string", "enum": list(toolsets.CHART_TRS), "description": "tick, minute, day, week, month or year"}
    ),
]
RankingKind = Annotated[
    Any, WithJsonSchema({"type": "string", "enum": list(toolsets.RANKING_TRS), "description": "What to rank by"})
]
Market = Annotated[
    Any, WithJsonSchema({"type": "string", "enum": list(toolsets.MARKETS), "description": "all, kospi or kosdaq"})
]
Code = Annotated[Any, WithJsonSchema({**STOCK_CODE_SCHEMA, "description": "KRX code, e.g. 005930"})]
Pages = Annotated[Any, WithJsonSchema({"type": "integer", "minimum": 1, "maximum": 5, "description": "Pages (1-5)"})]
Text = Annotated[Any, WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 20})]
Params = Annotated[
    Any,
    WithJsonSchema(
        {"type": "object", "additionalProperties": {"type": "string"}, "description": "Request fields to set"}
    ),
]


def _pages(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise InvalidInputError("pages", f"1~5 사이의 정수여야 합니다 (받은 값: {validation.shown(value)})")
    return value


def _short_text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 20:
        raise InvalidInputError(field, f"1~20자 문자열이어야 합니다 (받은 값: {validation.shown(value)})")
    return value.strip()


Tool = Callable[..., Awaitable[ToolResult]]


def catalog_tools(client: KiwoomClient, invoke: Invoke) -> tuple[Tool, ...]:
    """The tool functions, each named as its MCP tool; the server registers those of the enabled toolsets."""

    def call(
        tool: str, arguments: dict[str, Any], load: Callable[[], Awaitable[dict[str, Any]]]
    ) -> Awaitable[ToolResult]:
        return invoke(tool, subject(tool, arguments), load)

    def today() -> str:
        return datetime.now(KST).strftime("%Y%m%d")

    async def get_stock_chart(stock_code: Code, period: Period = "day", pages: Pages = 1) -> ToolResult:
        """Bars of one stock, newest first: tick (ka10079), minute (ka10080), day (ka10081), week, month or year."""

        async def load() -> dict[str, Any]:
            api_id = toolsets.choice(period, "period", toolsets.CHART_TRS)
            code = validation.stock_code(stock_code)
            fields = toolsets.overrides(api_id, stk_cd=code, base_dt=today())
            return await client.query_tr(api_id, fields, pages=_pages(pages))

        return await call("get_stock_chart", {"stock_code": stock_code}, load)

    async def get_rankings(kind: RankingKind = "change_rate", market: Market = "all") -> ToolResult:
        """Top stocks by change rate (ka10027), volume (ka10030), trading value (ka10032), surges or remainders."""

        async def load() -> dict[str, Any]:
            api_id = toolsets.choice(kind, "kind", toolsets.RANKING_TRS)
            mrkt_tp = toolsets.market_for(api_id, market)
            return await client.query_tr(api_id, toolsets.overrides(api_id, mrkt_tp=mrkt_tp))

        return await call("get_rankings", {"kind": kind}, load)

    async def get_investor_flows(stock_code: Code) -> ToolResult:
        """Daily net buying of one stock by individuals, foreigners and institutions (ka10059)."""

        async def load() -> dict[str, Any]:
            api_id = toolsets.TOOL_TRS["get_investor_flows"]
            code = validation.stock_code(stock_code)
            return await client.query_tr(api_id, toolsets.overrides(api_id, stk_cd=code, dt=today()))

        return await call("get_investor_flows", {"stock_code": stock_code}, load)

    async def get_program_trading() -> ToolResult:
        """Program trading (arbitrage and non-arbitrage) through the day (ka90005)."""
        api_id = toolsets.TOOL_TRS["get_program_trading"]
        return await call("get_program_trading", {}, lambda: client.query_tr(api_id))

    async def get_sector_index(sector: Text = "001") -> ToolResult:
        """A sector or market index now (ka20001): 001 KOSPI, 101 KOSDAQ, or a sector code."""

        async def load() -> dict[str, Any]:
            api_id = toolsets.TOOL_TRS["get_sector_index"]
            return await client.query_tr(api_id, toolsets.overrides(api_id, inds_cd=_short_text(sector, "sector")))

        return await call("get_sector_index", {"sector": sector}, load)

    async def get_etf_info(stock_code: Code) -> ToolResult:
        """An ETF's name, tracking index, NAV and tracking error (ka40002)."""

        async def load() -> dict[str, Any]:
            api_id = toolsets.TOOL_TRS["get_etf_info"]
            code = validation.stock_code(stock_code)
            return await client.query_tr(api_id, toolsets.overrides(api_id, stk_cd=code))

        return await call("get_etf_info", {"stock_code": stock_code}, load)

    async def get_themes() -> ToolResult:
        """Theme groups with their change rates (ka90001)."""
        api_id = toolsets.TOOL_TRS["get_themes"]
        return await call("get_themes", {}, lambda: client.query_tr(api_id))

    async def get_theme_stocks(theme: Text) -> ToolResult:
        """The stocks of one theme group, by its code from get_themes (ka90002)."""

        async def load() -> dict[str, Any]:
            api_id = toolsets.TOOL_TRS["get_theme_stocks"]
            code = _short_text(theme, "theme")
            return await client.query_tr(api_id, toolsets.overrides(api_id, thema_grp_cd=code))

        return await call("get_theme_stocks", {"theme": theme}, load)

    async def query_tr(api_id: Text, params: Params = None, pages: Pages = 1) -> ToolResult:
        """Any read-only TR of the catalog by api-id, with request fields over its documented example."""

        async def load() -> dict[str, Any]:
            if params is not None and not isinstance(params, dict):
                raise InvalidInputError("params", "요청 필드 객체(object)여야 합니다")
            return await client.query_tr(_short_text(api_id, "api_id"), params or {}, pages=_pages(pages))

        return await call("query_tr", {"api_id": api_id}, load)

    return (
        get_stock_chart,
        get_rankings,
        get_investor_flows,
        get_program_trading,
        get_sector_index,
        get_etf_info,
        get_themes,
        get_theme_stocks,
        query_tr,
    )
