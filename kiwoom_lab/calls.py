"""The tool calls of a lesson, made the way a user would: on the client, or as MCP tool calls.

Both runners make them (one client in :mod:`kiwoom_lab.runner`, one per worker in
:mod:`kiwoom_lab.fleet_run`), and so does a crash lesson's doomed worker process
(:mod:`kiwoom_lab.fleet_worker`), so they live below all three.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from kiwoom.client import KiwoomClient
from kiwoom_lab.checks import CallOutcome
from kiwoom_lab.spec import Expect
from kiwoom_lab.timeline import TimelineRecorder


async def invoke(client: KiwoomClient, expect: Expect, index: int = 0) -> dict[str, Any]:
    """Call ``expect.tool`` the way a user of the client would (call ``index``'s code)."""
    tool, code, args = expect.tool, expect.code_for(index), expect.args
    if tool == "get_stock_prices":
        return await client.get_stock_prices(code if isinstance(code, list) else [code], **args)
    if isinstance(code, list):
        code = code[0]
    if tool == "search_stock":
        return await client.search_stock(str(args.get("query", code)))
    if tool == "get_account_info":
        return await client.get_account_info()
    if tool == "get_market_status":
        return await client.get_market_status()
    method = getattr(client, tool)
    result: dict[str, Any] = await method(code, **args)
    return result


def tool_arguments(expect: Expect, index: int = 0) -> dict[str, Any]:
    """The MCP tool arguments for ``expect.tool`` (call ``index``'s code), as an assistant would send them."""
    tool, code, args = expect.tool, expect.code_for(index), dict(expect.args)
    if tool == "get_stock_prices":
        return {"stock_codes": code if isinstance(code, list) else [code], **args}
    if isinstance(code, list):
        code = code[0]
    if tool == "search_stock":
        return {"query": str(args.get("query", code))}
    if tool in ("get_account_info", "get_market_status"):
        return {}
    return {"stock_code": code, **args}


class ToolFailedError(RuntimeError):
    """The MCP tool answered ``success: false`` (recorded like a client exception)."""


async def invoke_tool(mcp: Any, expect: Expect, index: int = 0) -> dict[str, Any]:
    """Call ``expect.tool`` through the MCP server, as an assistant would, and unwrap the envelope."""
    result = await mcp.call_tool(expect.tool, tool_arguments(expect, index), raise_on_error=False)
    envelope: dict[str, Any] = result.structured_content or {}
    if not envelope.get("success"):
        raise ToolFailedError(f"{envelope.get('message')}: {envelope.get('error')}")
    data: dict[str, Any] = envelope["data"]
    return data


async def mcp_session(stack: contextlib.AsyncExitStack, client: KiwoomClient) -> Any:
    """An in-memory MCP session with a KiwoomMCPServer around ``client`` (its lifespan connects it)."""
    from fastmcp import Client

    from kiwoom.mcp.server import KiwoomMCPServer

    return await stack.enter_async_context(Client(KiwoomMCPServer(client).fastmcp))


async def recorded_call(
    recorder: TimelineRecorder, expect: Expect, index: int, make: Callable[[], Awaitable[dict[str, Any]]]
) -> CallOutcome:
    """Call ``index`` made by ``make()``, held on the timeline from start to end; an exception is recorded.

    A lesson may be that the client raises, so the error is kept for the checks, not raised.
    """
    slot = recorder.begin_call(index, expect.single_code(index))
    started = recorder.elapsed()
    result: dict[str, Any] | None = None
    error: str | None = None
    try:
        result = await make()
    except Exception as exc:  # the lesson's evidence: record it, check it
        error = f"{type(exc).__name__}: {exc}"
    duration = recorder.elapsed() - started
    recorder.end_call(slot, index, duration, result, error)
    return CallOutcome(index, started, duration, result, error)
