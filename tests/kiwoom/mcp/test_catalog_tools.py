"""The toolsets beyond the learning guide's: off unless asked for, the same envelopes, catalog TRs decoded."""

from __future__ import annotations

from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs installed; the MCP SDK's own validator
import pytest

from fake_kiwoom.canned import OUTAGE_NOW
from kiwoom.operations.toolsets import TOOLSET_OF, routed_trs
from tests.kiwoom.mcp.harness import McpHarness, open_harness
from tr_catalog import CATALOG

pytestmark = pytest.mark.anyio


async def schema_of(mh: McpHarness, tool: str) -> dict[str, Any]:
    listed = {t.name: t for t in await mh.mcp.list_tools()}
    schema = listed[tool].output_schema
    assert schema is not None
    return schema


async def test_the_default_tool_list_is_the_quotes_charts_and_account_toolsets() -> None:
    async with open_harness() as mh:
        names = {t.name for t in await mh.mcp.list_tools()}
    assert names == {tool for tool, toolset in TOOLSET_OF.items() if toolset in {"quotes", "charts", "account"}}


async def test_an_operator_enables_more_toolsets_and_only_those() -> None:
    async with open_harness(toolsets="quotes,rankings") as mh:
        names = {t.name for t in await mh.mcp.list_tools()}
        assert "get_rankings" in names
        assert "get_stock_history" not in names
    assert names == {tool for tool, toolset in TOOLSET_OF.items() if toolset in {"quotes", "rankings"}}


async def test_a_tool_of_a_disabled_toolset_cannot_be_called() -> None:
    async with open_harness(toolsets="quotes") as mh:
        result = await mh.mcp.call_tool_mcp("get_stock_chart", {"stock_code": "005930"})
    assert result.is_error is True


async def test_a_chart_comes_back_decoded_with_its_provenance(mh: McpHarness) -> None:
    is_error, body = await mh.call("get_stock_chart", stock_code="005930", period="day")
    assert is_error is False
    data = body["data"]
    assert data["api_id"] == "ka10081"
    assert data["source"] == "simulated"
    assert data["count"] == len(data["rows"]) > 0
    first = data["rows"][0]
    assert isinstance(first["cur_prc"], int)
    assert first["cur_prc"] > 0
    assert first["dt"].count("-") == 2  # YYYY-MM-DD
    jsonschema.Draft202012Validator(await schema_of(mh, "get_stock_chart")).validate(body)


async def test_a_bad_argument_is_named_before_any_request(mh: McpHarness) -> None:
    before = await mh.upstream_count()
    is_error, body = await mh.call("get_stock_chart", stock_code="005930", period="decade")
    assert is_error is True
    assert "period" in body["message"]
    assert "tick, minute, day, week, month, year" in body["error"]
    assert await mh.upstream_count() == before


async def test_a_catalog_call_in_an_outage_fails_rather_than_inventing_data(mh: McpHarness) -> None:
    await mh.set_scenario(OUTAGE_NOW)
    is_error, body = await mh.call("get_stock_chart", stock_code="005930")
    assert is_error is True
    assert body["data"] is None
    assert "503" in body["error"]


async def test_query_tr_suggests_the_nearest_ids_for_a_typo() -> None:
    async with open_harness(toolsets="catalog") as mh:
        is_error, body = await mh.call("query_tr", api_id="ka1081")
    assert is_error is True
    assert "ka10081" in body["error"]


async def test_query_tr_refuses_a_field_the_tr_does_not_have() -> None:
    async with open_harness(toolsets="catalog") as mh:
        is_error, body = await mh.call("query_tr", api_id="ka10081", params={"stk_code": "005930"})
    assert is_error is True
    assert "stk_code" in body["message"]


def test_every_tr_a_tool_sends_is_in_the_catalog() -> None:
    assert routed_trs() - set(CATALOG) == set()


CALLS: list[tuple[str, dict[str, Any]]] = [
    ("get_stock_chart", {"stock_code": "005930", "period": "tick"}),
    ("get_stock_chart", {"stock_code": "005930", "period": "week"}),
    ("get_stock_chart", {"stock_code": "005930", "period": "year"}),
    ("get_rankings", {"kind": "change_rate", "market": "kospi"}),
    ("get_rankings", {"kind": "trading_value"}),
    ("get_investor_flows", {"stock_code": "005930"}),
    ("get_program_trading", {}),
    ("get_sector_index", {"sector": "001"}),
    ("get_etf_info", {"stock_code": "069500"}),
    ("get_themes", {}),
    ("query_tr", {"api_id": "ka10086", "params": {"stk_cd": "000660"}}),
]


@pytest.mark.parametrize(("tool", "arguments"), CALLS)
async def test_every_catalog_tool_answers_with_its_schema(tool: str, arguments: dict[str, Any]) -> None:
    async with open_harness(toolsets=",".join(sorted(set(TOOLSET_OF.values())))) as mh:
        is_error, body = await mh.call(tool, **arguments)
        assert is_error is False, body
        assert body["data"]["api_id"] in CATALOG
        assert body["data"]["source"] == "simulated"
        jsonschema.Draft202012Validator(await schema_of(mh, tool)).validate(body)


async def test_theme_stocks_follow_a_theme_from_the_theme_list() -> None:
    async with open_harness(toolsets="themes") as mh:
        _, themes = await mh.call("get_themes")
        code = themes["data"]["rows"][0]["thema_grp_cd"]
        is_error, body = await mh.call("get_theme_stocks", theme=code)
    assert is_error is False
    assert body["data"]["count"] > 0


async def test_a_ranking_names_the_markets_it_has() -> None:
    """ka10020 ranks KOSPI or KOSDAQ, never both: the refusal names the argument and what it may be."""
    async with open_harness(toolsets="rankings") as mh:
        before = await mh.upstream_count()
        is_error, body = await mh.call("get_rankings", kind="orderbook_remainder", market="all")
        assert is_error is True
        assert "market" in body["message"]
        assert "kospi, kosdaq" in body["error"]
        assert await mh.upstream_count() == before
        is_error, _ = await mh.call("get_rankings", kind="orderbook_remainder", market="kosdaq")
    assert is_error is False
