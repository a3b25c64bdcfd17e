"""Every tool through the in-memory FastMCP client: envelopes, isError, annotations, no upstream on bad input."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.kiwoom.mcp.harness import ACCOUNT, APP_KEY, SECRET, McpHarness

pytestmark = pytest.mark.anyio

TOOLS = {
    "get_account_info",
    "get_live_orderbook",
    "get_live_quote",
    "get_market_status",
    "get_orderbook",
    "get_stock_chart",
    "get_stock_history",
    "get_stock_info",
    "get_stock_price",
    "get_stock_prices",
    "search_stock",
}


async def test_exact_tool_set_and_annotations(mh: McpHarness) -> None:
    tools = await mh.mcp.list_tools()
    assert {t.name for t in tools} == TOOLS
    for t in tools:
        assert t.annotations is not None
        assert t.annotations.read_only_hint is True
        assert t.annotations.destructive_hint is False
        assert t.annotations.open_world_hint is True
        assert t.output_schema is not None
        assert set(t.output_schema["properties"]) == {"success", "data", "error", "message"}
        assert t.description
        params = set(t.input_schema.get("properties", {}))
        assert not {p for p in params if any(w in p for w in ("key", "secret", "token", "account", "order"))}


async def test_price_envelope_says_data_is_simulated(mh: McpHarness) -> None:
    is_error, body = await mh.call("get_stock_price", stock_code="005930")
    assert is_error is False
    assert body["success"] is True
    assert body["data"]["stock_code"] == "005930"
    assert body["data"]["source"] == "simulated"
    assert body["message"].startswith("005930 종목 가격 조회 완료")
    assert "시뮬레이션" in body["message"]


@pytest.mark.parametrize(
    ("tool", "arguments", "data_key"),
    [
        ("get_stock_prices", {"stock_codes": ["005930", "000660"]}, "prices"),
        ("get_stock_info", {"stock_code": "035420"}, "sector"),
        ("get_stock_history", {"stock_code": "005930", "days": 10}, "bars"),
        ("get_stock_history", {"stock_code": "005930", "days": 1, "interval": "15m"}, "bars"),
        ("get_orderbook", {"stock_code": "005930"}, "asks"),
        ("search_stock", {"query": "카카오"}, "results"),
        ("get_account_info", {}, "holdings"),
        ("get_market_status", {}, "next_open"),
    ],
)
async def test_every_tool_succeeds(mh: McpHarness, tool: str, arguments: dict[str, Any], data_key: str) -> None:
    is_error, body = await mh.call(tool, **arguments)
    assert is_error is False, body
    assert body["success"] is True
    assert data_key in body["data"]
    assert body["data"]["source"] in {"simulated", "live", "calendar"}


async def test_account_number_is_masked(mh: McpHarness) -> None:
    _, body = await mh.call("get_account_info")
    assert body["data"]["account_no"] == "5012****11"
    assert ACCOUNT not in str(body)


@pytest.mark.parametrize(
    ("tool", "arguments", "argument"),
    [
        ("get_stock_price", {"stock_code": "A005930"}, "stock_code"),
        ("get_stock_prices", {"stock_codes": [f"{i:06d}" for i in range(101)]}, "stock_codes"),
        ("get_stock_prices", {"stock_codes": []}, "stock_codes"),
        ("get_stock_history", {"stock_code": "005930", "days": 5000}, "days"),
        ("get_stock_history", {"stock_code": "005930", "interval": "week"}, "interval"),
        ("search_stock", {"query": "  "}, "query"),
    ],
)
async def test_invalid_arguments_fail_without_upstream(
    mh: McpHarness, tool: str, arguments: dict[str, Any], argument: str
) -> None:
    before = await mh.upstream_count()
    is_error, body = await mh.call(tool, **arguments)
    assert is_error is True
    assert body["success"] is False
    assert argument in body["error"]
    assert argument in body["message"]
    assert await mh.upstream_count() == before


async def test_unknown_stock_is_a_failure_envelope(mh: McpHarness) -> None:
    is_error, body = await mh.call("get_stock_price", stock_code="999999")
    assert is_error is True
    assert body["message"] == "999999 종목 가격 조회 실패"
    assert "1902" in body["error"]


async def test_metrics_count_calls(mh: McpHarness) -> None:
    await mh.call("get_stock_price", stock_code="005930")
    await mh.call("get_stock_price", stock_code="bad")
    text = mh.server.metrics.render().decode()
    assert 'kiwoom_mcp_tool_calls_total{outcome="success",tool="get_stock_price"} 1.0' in text
    assert 'kiwoom_mcp_tool_calls_total{outcome="invalid_input",tool="get_stock_price"} 1.0' in text
    assert 'kiwoom_upstream_requests_total{api_id="ka10001",outcome="200"} 1.0' in text


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=60)
    | st.sampled_from(["005930", "999999", "day", "5m", "삼성"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
parameter_names = st.sampled_from(["stock_code", "stock_codes", "days", "interval", "query"]) | st.text(max_size=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    tool=st.sampled_from(sorted(TOOLS)),
    arguments=st.dictionaries(parameter_names, json_values, max_size=4),
)
async def test_fuzzed_arguments_always_get_the_envelope(mh: McpHarness, tool: str, arguments: dict[str, Any]) -> None:
    """Bad input costs no request, but for the stock listing a name in place of a code is looked up in."""
    before = await mh.upstream_count() - await mh.requests_of("ka10099")
    result = await mh.mcp.call_tool(tool, arguments, raise_on_error=False)
    body = result.structured_content
    assert isinstance(body, dict), result.content
    assert body["success"] is (not result.is_error)
    assert len(body["message"]) <= 120
    if result.is_error:
        assert body["message"] != "시스템 오류가 발생했습니다"
        assert len(body["error"]) <= 300
        if "잘못된 입력" in body["message"]:
            assert await mh.upstream_count() - await mh.requests_of("ka10099") == before


async def test_secrets_never_logged_or_returned(mh: McpHarness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    outputs = []
    for tool, arguments in [
        ("get_stock_price", {"stock_code": "005930"}),
        ("get_account_info", {}),
        ("get_stock_price", {"stock_code": "bad!"}),
        ("get_stock_info", {"stock_code": "999999"}),
    ]:
        outputs.append(str(await mh.call(tool, **arguments)))
    tokens = mh.server.kiwoom_client.tokens
    token = tokens.current.value if tokens and tokens.current else "no-token-held"
    text = caplog.text + "".join(outputs)
    for secret in (APP_KEY, SECRET, ACCOUNT, token):
        assert secret not in text
