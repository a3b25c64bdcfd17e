"""get_live_quote / get_live_orderbook through the in-memory FastMCP client, on a scripted feed.

The stream answers when it can vouch for a tick (source stream, its age, simulated on a
fake); otherwise REST answers with its own source and stream_fallback says why. Bad input
reaches neither Kiwoom nor the stream; every key of every answer is in the output schema.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs installed; the MCP SDK's own validator
import pytest

from kiwoom.realtime.ticks import MARKET_OPERATION, ORDERBOOK, QUOTE
from tests.kiwoom.mcp.harness import McpHarness, open_harness
from tests.kiwoom.mcp.test_output_schemas import undeclared
from tests.support.feeds import ScriptedFeed, orderbook_values, quote_values

pytestmark = pytest.mark.anyio


@contextlib.asynccontextmanager
async def live(**overrides: Any) -> AsyncIterator[tuple[McpHarness, ScriptedFeed]]:
    """The harness with a scripted feed on the harness's clock (first-tick wait kept short)."""
    feed = ScriptedFeed(time.time)
    async with open_harness(feed=feed, stream_first_tick_wait_s=0.05, **overrides) as mh:
        feed.clock = mh.time.clock
        yield mh, feed


async def checked(mh: McpHarness, tool: str, body: dict[str, Any]) -> dict[str, Any]:
    """``body``'s data, after checking every key is declared and the envelope validates (harness still open)."""
    schema = next(t.output_schema for t in await mh.mcp.list_tools() if t.name == tool)
    assert schema is not None
    assert undeclared(body, schema, schema.get("$defs", {}), "$") == []
    jsonschema.Draft202012Validator(schema).validate(body)
    data: dict[str, Any] = body["data"]
    return data


async def test_a_tick_answers_from_the_stream_flagged_simulated_on_a_fake() -> None:
    async with live() as (mh, feed):
        _, first = await mh.call("get_live_quote", stock_code="005930")  # subscribes; no tick yet
        assert first["data"]["stream_fallback"] == "no_tick"
        assert first["data"]["source"] == "simulated"  # the REST answer keeps its own source
        assert (QUOTE, "005930") in feed.wanted
        feed.push(QUOTE, "005930", quote_values(price=71_000, change=-300, volume=5_000))
        mh.time.advance(2)
        feed.ping()
        is_error, body = await mh.call("get_live_quote", stock_code="005930")
        data = await checked(mh, "get_live_quote", body)
    assert is_error is False
    assert data["source"] == "stream"
    assert data["simulated"] is True
    assert data["environment"] == "custom"
    assert (data["price"], data["change"], data["volume"], data["previous_close"]) == (71_000, -300, 5_000, 71_300)
    assert data["sign"] == "down"
    assert data["age_s"] == pytest.approx(2.0)
    assert data["received_at"].endswith("+09:00")
    assert data["tick_origin"] == "stream"
    assert data["stream"]["state"] == "up"
    assert data["stream"]["last_message_age_s"] == 0
    assert "stream_fallback" not in data
    assert body["message"].startswith("005930 실시간 시세 조회 완료 (실시간 스트림 2.0초 전 수신")
    assert "시뮬레이션" in body["message"]
    assert "실제 시세가 아닙니다" in body["message"]


async def test_a_backfilled_quote_says_it_came_over_rest_not_the_stream() -> None:
    async with live() as (mh, feed):
        await mh.call("get_live_quote", stock_code="005930")
        feed.push(QUOTE, "005930", quote_values(price=71_000, change=-300, volume=5_000), origin="backfill")
        feed.ping()
        _, body = await mh.call("get_live_quote", stock_code="005930")
    data = body["data"]
    assert data["source"] == "simulated"  # what a REST answer on the fake says, never "stream"
    assert data["tick_origin"] == "backfill"
    assert "재연결 후 REST" in body["message"]


async def test_the_orderbook_comes_from_a_0d_tick() -> None:
    async with live() as (mh, feed):
        await mh.call("get_live_orderbook", stock_code="005930")
        feed.push(ORDERBOOK, "005930", orderbook_values(best_ask=70_100))
        _, body = await mh.call("get_live_orderbook", stock_code="005930")
        data = await checked(mh, "get_live_orderbook", body)
    assert data["source"] == "stream"
    assert [level["price"] for level in data["asks"]][:2] == [70_100, 70_200]
    assert [level["price"] for level in data["bids"]][:2] == [70_000, 69_900]
    assert len(data["asks"]) == len(data["bids"]) == 10
    assert body["message"].startswith("005930 실시간 호가 조회 완료 (실시간 스트림")


@pytest.mark.parametrize(
    ("fault", "reason", "note"),
    [("down", "stream_down", "끊김"), ("silent", "stream_stale", "응답 없음")],
)
async def test_a_down_or_silent_stream_falls_back_to_rest_and_says_why(fault: str, reason: str, note: str) -> None:
    async with live() as (mh, feed):
        await mh.call("get_live_quote", stock_code="005930")
        feed.push(QUOTE, "005930")
        if fault == "down":
            feed.down("connect: refused")
        else:
            mh.time.advance(31)  # past KIWOOM_STREAM_STALE_S (30) without a frame
        before = await mh.requests_of("ka10001")
        _, body = await mh.call("get_live_quote", stock_code="005930")
        after = await mh.requests_of("ka10001")
        data = await checked(mh, "get_live_quote", body)
    assert data["stream_fallback"] == reason
    assert data["source"] in {"simulated", "cache"}
    assert data["stream"]["state"] == ("down" if fault == "down" else "up")
    assert after - before == (1 if data["source"] == "simulated" else 0)
    assert f"실시간 스트림 {note}: REST 조회" in body["message"]


async def test_with_the_stream_off_rest_answers_and_nothing_is_subscribed() -> None:
    async with open_harness() as mh:
        _, body = await mh.call("get_live_quote", stock_code="005930")
        assert mh.server.live_hub.started is False
        data = await checked(mh, "get_live_quote", body)
    assert data["stream_fallback"] == "stream_disabled"
    assert data["stream"] is None
    assert data["price"] is not None
    assert data["source"] == "simulated"
    assert body["message"].endswith("[실시간 스트림 꺼짐: REST 조회]")


@pytest.mark.parametrize("tool", ["get_live_quote", "get_live_orderbook"])
@pytest.mark.parametrize("bad", ["A005930", "", None, 5930, ["005930"], "x" * 80])
async def test_bad_input_reaches_neither_kiwoom_nor_the_stream(tool: str, bad: Any) -> None:
    async with live() as (mh, feed):
        before = await mh.upstream_count()
        is_error, body = await mh.call(tool, stock_code=bad)
        assert await mh.upstream_count() == before
    assert is_error is True
    assert body["success"] is False
    assert "stock_code" in body["error"]
    assert "잘못된 입력" in body["message"]
    assert feed.starts == 0
    assert feed.wants == []


async def test_an_unknown_code_fails_and_is_unsubscribed_at_once() -> None:
    async with live() as (mh, feed):
        is_error, body = await mh.call("get_live_quote", stock_code="999999")
        assert (QUOTE, "999999") not in mh.server.live_hub.wanted()
    assert is_error is True
    assert "1902" in body["error"]
    assert body["message"] == "999999 실시간 시세 조회 실패"
    assert feed.drops == [(QUOTE, "999999")]


async def test_market_status_takes_the_session_from_todays_0s_announcement() -> None:
    async with live() as (mh, feed):
        _, calendar = await mh.call("get_market_status")
        assert calendar["data"]["source"] == "calendar"  # no stream yet: nothing starts it for the status
        await mh.call("get_live_quote", stock_code="005930")
        assert feed.wants[0] == (MARKET_OPERATION, "")  # wanted with the first live use
        feed.push(MARKET_OPERATION, "", {"215": "4", "20": "153000"})
        _, body = await mh.call("get_market_status")
        feed.down()
        _, after = await mh.call("get_market_status")
        data = await checked(mh, "get_market_status", body)
    assert data["source"] == "stream"
    assert data["simulated"] is True
    assert (data["market_open"], data["status"], data["session"]) == (False, "CLOSED", "closed")
    assert data["operation"]["operation_code"] == "4"
    assert data["operation"]["operation"] == "KRX 정규장 마감"
    assert data["calendar_session"] == calendar["data"]["session"]
    assert data["basis"].startswith("키움 실시간 장운영(0s) 신호: KRX 정규장 마감")
    assert after["data"]["source"] == "calendar"
    assert "operation" not in after["data"]


async def test_the_resource_reads_as_the_tool_answers() -> None:
    async with live() as (mh, feed):
        templates = {t.uri_template for t in await mh.mcp.list_resource_templates()}
        await mh.call("get_live_quote", stock_code="005930")
        feed.push(QUOTE, "005930", quote_values(price=72_000))
        contents = await mh.mcp.read_resource("kiwoom://quote/005930")
        _, tool = await mh.call("get_live_quote", stock_code="005930")
        with pytest.raises(Exception, match=r"stock_code|종목코드|uri"):
            await mh.mcp.read_resource("kiwoom://quote/A005930")
    assert templates == {"kiwoom://quote/{code}", "kiwoom://orderbook/{code}"}
    text = getattr(contents[0], "text", "")
    read = json.loads(text)
    assert read["success"] is True
    assert read["data"]["source"] == "stream"
    assert read["data"]["price"] == 72_000
    assert read["data"] == tool["data"]
    assert read["message"] == tool["message"]


async def test_without_the_quotes_toolset_no_live_tool_or_resource_is_offered() -> None:
    async with live(toolsets="charts") as (mh, _):
        tools = {t.name for t in await mh.mcp.list_tools()}
        templates = await mh.mcp.list_resource_templates()
    assert not {"get_live_quote", "get_live_orderbook"} & tools
    assert templates == []
