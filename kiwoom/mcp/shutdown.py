"""Shutdown sequencing for ``/mcp``: in-flight calls get the grace, late ones a JSON-RPC error.

Left to themselves, uvicorn and FastMCP cut a call that would finish well within the
grace: sse-starlette (the SSE responses of the MCP SDK) watches uvicorn's ``should_exit``
and ends every event stream within half a second of SIGTERM, so the client gets a
truncated stream and no JSON-RPC answer, while the tool keeps running (and retrying)
in the session's task group until the Kiwoom client is already closed. The order here:

1. uvicorn starts its shutdown and calls ``shutdown()`` on every connection; the
   connection protocol (:mod:`kiwoom.mcp.protocol`) calls :meth:`Drain.begin`;
2. the guard stops retrying (a call fails over to stale or sample data at once instead
   of waiting out a backoff), and new ``/mcp`` requests get 503;
3. ``POST /mcp`` requests in flight get ``grace_s`` to finish;
4. any still running are stopped: each request id gets a JSON-RPC error (on the SSE
   stream if one was opened), then the response ends; open ``GET`` streams end too;
5. with no response left open the connections close, uvicorn runs the lifespan
   shutdown: FastMCP terminates the sessions, the session tasks are cancelled, and only
   then does the Kiwoom client revoke its token.

This needs sse-starlette's automatic drain off (:func:`hold_sse_streams`): step 4 is
what ends the streams instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
from sse_starlette.sse import AppStatus
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("kiwoom.server")

#: JSON-RPC "server error" code for a call stopped by shutdown (-32000 to -32099 are the server's).
SHUTDOWN_ERROR_CODE = -32000
_MAX_CAPTURED_BODY = 1024 * 1024  # request ids are read from bodies up to this size


def hold_sse_streams() -> None:
    """Stop sse-starlette from ending every SSE response as soon as uvicorn is asked to exit.

    Process-wide (sse-starlette keeps it in a class attribute): every MCP app in this
    process relies on :class:`Drain` to end its streams instead.
    """
    AppStatus.disable_automatic_graceful_drain()  # type: ignore[no-untyped-call]


@dataclass(eq=False)
class _Request:
    """One ``/mcp`` request being served."""

    method: str
    scope: anyio.CancelScope = field(default_factory=anyio.CancelScope)
    body: bytearray = field(default_factory=bytearray)
    started: bool = False
    sse: bool = False
    complete: bool = False

    def request_ids(self) -> list[Any]:
        """Ids of the JSON-RPC requests in the body (none for notifications or an unreadable body)."""
        try:
            parsed = json.loads(self.body)
        except ValueError:
            return []
        messages = parsed if isinstance(parsed, list) else [parsed]
        return [m["id"] for m in messages if isinstance(m, dict) and "method" in m and m.get("id") is not None]


class Drain:
    """The shutdown state of one server: in-flight ``/mcp`` requests and whether shutdown began."""

    def __init__(self, grace_s: float, *, on_begin: Callable[[], None]) -> None:
        self.grace_s = grace_s
        self._on_begin = on_begin
        self._requests: set[_Request] = set()
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.draining = False

    def begin(self) -> None:
        """Start draining (idempotent); called on the event loop when uvicorn begins to stop."""
        if self.draining:
            return
        self.draining = True
        calls = sum(1 for r in self._requests if r.method == "POST")
        logger.info("서버 종료 시작: 진행 중인 호출 %d개에 최대 %s초를 줍니다", calls, self.grace_s)
        self._on_begin()
        self._task = asyncio.get_running_loop().create_task(self._drain())

    async def finish(self) -> None:
        """Begin if nobody did (no connection was open), and wait until every request has ended."""
        self.begin()
        if self._task is not None:
            await self._task

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.grace_s
        while any(r.method == "POST" for r in self._requests) and loop.time() < deadline:
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout_at(deadline):
                    await self._changed.wait()
        late = [r for r in self._requests if r.method == "POST"]
        if late:
            logger.warning("종료 대기 %s초 안에 끝나지 않은 호출 %d개를 중단합니다", self.grace_s, len(late))
        for request in list(self._requests):
            request.scope.cancel()
        while self._requests:  # each request ends itself, error answer included
            self._changed.clear()
            await self._changed.wait()

    def _enter(self, request: _Request) -> None:
        self._requests.add(request)

    def _leave(self, request: _Request) -> None:
        self._requests.discard(request)
        self._changed.set()


class DrainMiddleware:
    """Track ``/mcp`` requests for :class:`Drain` and answer what shutdown cut short."""

    def __init__(self, app: ASGIApp, drain: Drain) -> None:
        self.app = app
        self.drain = drain

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.drain.draining:
            await _send_json(send, 503, {"error": "shutting_down", "message": "서버가 종료 중입니다"})
            return
        request = _Request(scope["method"])

        async def tracked_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(request.body) < _MAX_CAPTURED_BODY:
                request.body += message.get("body", b"")
            return message

        async def tracked_send(message: Message) -> None:
            if request.complete:
                return  # the drain already ended this response
            if message["type"] == "http.response.start":
                request.started = True
                headers = dict(message.get("headers", []))
                request.sse = headers.get(b"content-type", b"").startswith(b"text/event-stream")
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                request.complete = True
            await send(message)

        self.drain._enter(request)
        try:
            with request.scope:
                await self.app(scope, tracked_receive, tracked_send)
            if request.scope.cancelled_caught and not request.complete:
                await self._answer_cut_short(request, send)
        finally:
            self.drain._leave(request)

    async def _answer_cut_short(self, request: _Request, send: Send) -> None:
        """A JSON-RPC error for each request id of the body, then the end of the response."""
        request.complete = True
        message = f"서버가 종료되어 호출을 끝내지 못했습니다 (종료 대기 {self.drain.grace_s}초 초과)"
        errors = [
            {
                "jsonrpc": "2.0",
                "id": rid,
                "error": {"code": SHUTDOWN_ERROR_CODE, "message": message, "data": {"reason": "shutdown"}},
            }
            for rid in request.request_ids()
        ]
        if not request.started:
            if errors:
                await _send_json(send, 200, errors[0] if len(errors) == 1 else errors)
            else:
                await _send_json(send, 503, {"error": "shutting_down", "message": "서버가 종료 중입니다"})
            return
        if request.sse:
            for error in errors:
                event = f"event: message\ndata: {json.dumps(error, ensure_ascii=False)}\n\n"
                await send({"type": "http.response.body", "body": event.encode(), "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _send_json(send: Send, status: int, payload: Any) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 503:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
