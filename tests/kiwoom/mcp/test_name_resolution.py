"""A stock name where a code was expected: resolved when it is one listing, else a pointer to search_stock."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.kiwoom.mcp.harness import McpHarness

pytestmark = pytest.mark.anyio

OUTAGE = """
version: 1
name: outage
description: every TR answers 503
rules:
  - match: {path: /api/dostk/*}
    steps: [{times: null, fault: {type: http_status, status: 503}}]
"""


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("get_stock_price", {}),
        ("get_stock_info", {}),
        ("get_stock_history", {"days": 2}),
        ("get_orderbook", {}),
    ],
)
async def test_a_unique_name_resolves_to_its_code(mh: McpHarness, tool: str, arguments: dict[str, Any]) -> None:
    is_error, body = await mh.call(tool, stock_code="삼성전자", **arguments)
    assert is_error is False, body
    assert body["data"]["stock_code"] == "005930"
    assert body["data"]["resolved_from"] == "삼성전자"


async def test_an_exact_name_wins_over_names_it_prefixes(mh: McpHarness) -> None:
    _, body = await mh.call("get_stock_price", stock_code="카카오")  # also the start of 카카오게임즈
    assert body["data"]["stock_code"] == "035720"


async def test_an_exact_english_name_resolves_whatever_its_case(mh: McpHarness) -> None:
    _, body = await mh.call("get_stock_price", stock_code="samsung electronics")
    assert body["data"]["stock_code"] == "005930"
    assert body["data"]["resolved_from"] == "samsung electronics"


async def test_names_in_a_batch_resolve_entry_by_entry(mh: McpHarness) -> None:
    is_error, body = await mh.call("get_stock_prices", stock_codes=["삼성전자", "000660"])
    assert is_error is False, body
    by_code = {p["stock_code"]: p for p in body["data"]["prices"]}
    assert by_code["005930"]["resolved_from"] == "삼성전자"
    assert "resolved_from" not in by_code["000660"]


async def test_a_code_given_as_a_code_says_nothing_was_resolved(mh: McpHarness) -> None:
    _, body = await mh.call("get_stock_price", stock_code="005930")
    assert "resolved_from" not in body["data"]


async def test_an_ambiguous_name_lists_candidates_and_points_to_search(mh: McpHarness) -> None:
    is_error, body = await mh.call("get_stock_price", stock_code="삼성")
    assert is_error is True
    assert body["success"] is False
    assert "삼성전자(005930)" in body["error"]
    assert "search_stock" in body["error"]
    assert "stock_code" in body["message"]


async def test_an_ambiguous_name_lists_at_most_five_candidates(mh: McpHarness) -> None:
    _, body = await mh.call("get_stock_price", stock_code="삼성")  # well over five listings start with 삼성
    assert len(re.findall(r"\(\d{6}\)", body["error"])) == 5


async def test_an_ambiguous_name_asks_for_no_quote(mh: McpHarness) -> None:
    await mh.call("get_stock_price", stock_code="삼성")
    assert await mh.requests_of("ka10001") == 0


async def test_an_unknown_name_points_to_search(mh: McpHarness) -> None:
    is_error, body = await mh.call("get_stock_info", stock_code="없는회사")
    assert is_error is True
    assert "search_stock" in body["error"]
    assert await mh.requests_of("ka10001") == 0


async def test_an_ambiguous_name_in_a_batch_names_its_entry(mh: McpHarness) -> None:
    is_error, body = await mh.call("get_stock_prices", stock_codes=["005930", "삼성"])
    assert is_error is True
    assert "stock_codes[1]" in body["error"]
    assert await mh.requests_of("ka10095") == 0


async def test_a_mistyped_code_gets_the_format_rule_without_any_request(mh: McpHarness) -> None:
    before = await mh.upstream_count()
    is_error, body = await mh.call("get_stock_price", stock_code="A005930")
    assert is_error is True
    assert "6자리" in body["error"]
    assert await mh.upstream_count() == before


async def test_a_name_without_a_listing_says_so_and_asks_for_no_quote(mh: McpHarness) -> None:
    await mh.set_scenario(OUTAGE)
    is_error, body = await mh.call("get_stock_price", stock_code="삼성전자")
    assert is_error is True
    assert "종목 리스트" in body["error"]
    assert await mh.requests_of("ka10001") == 0
