"""Hostile or sloppy arguments: always the envelope with isError, short messages, no upstream request."""

from __future__ import annotations

from typing import Any

import pytest

import kiwoom
from kiwoom.operations import validation
from tests.kiwoom.mcp.harness import McpHarness

pytestmark = pytest.mark.anyio

MESSAGE_LIMIT = 120  # a one-line summary, whatever came in
ERROR_LIMIT = 300


async def call_raw(mh: McpHarness, tool: str, arguments: dict[str, Any]) -> tuple[bool, Any]:
    result = await mh.mcp.call_tool(tool, arguments, raise_on_error=False)
    return result.is_error, result.structured_content


async def test_boolean_days_is_rejected_without_upstream(mh: McpHarness) -> None:
    before = await mh.upstream_count()
    is_error, body = await call_raw(mh, "get_stock_history", {"stock_code": "005930", "days": True})
    assert is_error is True
    assert body["success"] is False
    assert "days" in body["message"]
    assert "정수" in body["error"]
    assert await mh.upstream_count() == before


async def test_only_unknown_codes_fail_as_not_found(mh: McpHarness) -> None:
    is_error, body = await call_raw(mh, "get_stock_prices", {"stock_codes": ["999999"]})
    assert is_error is True
    assert body["success"] is False
    assert body["data"] is None
    assert "1902" in body["error"]
    assert body["message"] == "1개 종목 가격 조회 실패"


async def test_unknown_codes_are_listed_beside_known_ones(mh: McpHarness) -> None:
    is_error, body = await call_raw(mh, "get_stock_prices", {"stock_codes": ["005930", "999999"]})
    assert is_error is False
    assert [p["stock_code"] for p in body["data"]["prices"]] == ["005930"]
    assert body["data"]["not_found"] == ["999999"]
    assert body["data"]["source"] != "sample"
    assert body["message"].endswith("(종목 없음 1개)")


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("search_stock", {"query": "x" * 10_000}),
        ("get_stock_price", {"stock_code": "x" * 10_000}),
        ("get_stock_history", {"stock_code": "005930", "interval": "y" * 10_000}),
        ("get_stock_prices", {"stock_codes": ["005930", "z" * 10_000]}),
    ],
)
async def test_long_input_is_echoed_truncated(mh: McpHarness, tool: str, arguments: dict[str, Any]) -> None:
    is_error, body = await call_raw(mh, tool, arguments)
    assert is_error is True
    assert len(body["message"]) <= MESSAGE_LIMIT
    assert len(body["error"]) <= ERROR_LIMIT


async def test_long_valid_query_is_echoed_with_an_ellipsis(mh: McpHarness) -> None:
    is_error, body = await call_raw(mh, "search_stock", {"query": "가" * validation.MAX_QUERY_LENGTH})
    assert is_error is False
    assert "…" in body["message"]
    assert len(body["message"]) <= MESSAGE_LIMIT


async def test_many_unknown_keys_get_one_short_envelope(mh: McpHarness) -> None:
    before = await mh.upstream_count()
    arguments: dict[str, Any] = {"stock_code": "005930", **{f"extra_{i}_{'k' * 150}": i for i in range(500)}}
    is_error, body = await call_raw(mh, "get_stock_price", arguments)
    assert is_error is True
    assert body["success"] is False
    assert "알 수 없는 인자" in body["error"]
    assert "500" in body["error"]
    assert len(body["message"]) <= MESSAGE_LIMIT
    assert len(body["error"]) <= ERROR_LIMIT
    assert await mh.upstream_count() == before


@pytest.mark.parametrize(
    ("tool", "arguments", "argument"),
    [
        ("get_stock_price", {"stock_code": None}, "stock_code"),
        ("get_stock_price", {"stock_code": 5930}, "stock_code"),
        ("get_stock_price", {"stock_code": ["005930"]}, "stock_code"),
        ("get_stock_price", {"stock_code": {"code": "005930"}}, "stock_code"),
        ("get_stock_price", {}, "stock_code"),
        ("get_stock_price", {"stock_code": "005930", "market": "KOSPI"}, "market"),
        ("get_stock_prices", {"stock_codes": "005930"}, "stock_codes"),
        ("get_stock_prices", {"stock_codes": [5930]}, "stock_codes[0]"),
        ("get_stock_prices", {"stock_codes": None}, "stock_codes"),
        ("get_stock_history", {"stock_code": "005930", "days": "10"}, "days"),
        ("get_stock_history", {"stock_code": "005930", "days": 1.5}, "days"),
        ("get_stock_history", {"stock_code": "005930", "days": None}, "days"),
        ("get_stock_history", {"stock_code": "005930", "days": 10**5000}, "days"),
        ("get_stock_history", {"stock_code": "005930", "interval": 5}, "interval"),
        ("search_stock", {"query": None}, "query"),
        ("search_stock", {"query": 123}, "query"),
        ("get_market_status", {"verbose": True}, "verbose"),
        ("get_account_info", {"account_no": "5012345611"}, "account_no"),
    ],
)
async def test_wrong_types_get_the_envelope_without_upstream(
    mh: McpHarness, tool: str, arguments: dict[str, Any], argument: str
) -> None:
    before = await mh.upstream_count()
    is_error, body = await call_raw(mh, tool, arguments)
    assert is_error is True
    assert isinstance(body, dict), "no structured envelope"
    assert body["success"] is False
    assert "잘못된 입력" in body["error"]
    assert argument in body["error"]
    assert f"잘못된 입력 ({argument})" in body["message"]
    assert await mh.upstream_count() == before


async def test_rejected_arguments_count_as_invalid_input(mh: McpHarness) -> None:
    await call_raw(mh, "get_stock_price", {"stock_code": None})
    text = mh.server.metrics.render().decode()
    assert 'kiwoom_mcp_tool_calls_total{outcome="invalid_input",tool="get_stock_price"} 1.0' in text


async def test_input_schema_publishes_the_rules(mh: McpHarness) -> None:
    schemas = {t.name: t.input_schema for t in await mh.mcp.list_tools()}
    code = schemas["get_stock_price"]["properties"]["stock_code"]
    assert code["type"] == "string"
    code_form, name_form = code["anyOf"]
    assert code_form["pattern"] == validation.STOCK_CODE_PATTERN
    assert (name_form["minLength"], name_form["maxLength"]) == (1, validation.MAX_QUERY_LENGTH)
    history = schemas["get_stock_history"]["properties"]
    assert history["days"]["type"] == "integer"
    assert (history["days"]["minimum"], history["days"]["maximum"]) == (1, validation.MAX_DAILY_DAYS)
    assert history["interval"]["enum"] == list(validation.INTERVALS)
    codes = schemas["get_stock_prices"]["properties"]["stock_codes"]
    assert (codes["minItems"], codes["maxItems"]) == (1, validation.MAX_BATCH_CODES)
    assert codes["items"]["anyOf"][0]["pattern"] == validation.STOCK_CODE_PATTERN
    query = schemas["search_stock"]["properties"]["query"]
    assert (query["minLength"], query["maxLength"]) == (1, validation.MAX_QUERY_LENGTH)
    for schema in schemas.values():
        assert schema.get("additionalProperties") is False


async def test_every_argument_keeps_its_description(mh: McpHarness) -> None:
    for tool in await mh.mcp.list_tools():
        for name, prop in tool.input_schema.get("properties", {}).items():
            assert prop.get("description"), (tool.name, name)


async def test_server_reports_the_project_version(mh: McpHarness) -> None:
    assert mh.mcp.server_info is not None
    assert mh.mcp.server_info.version == kiwoom.__version__
