"""Fit FastMCP's HTTP app with the server's limits: shutdown drain, session cap, connection policy.

Three pieces meet here, all set from :class:`~kiwoom.mcp.settings.ServerSettings`:

* ``/mcp`` is wrapped (inside FastMCP's Host/Origin guard and the bearer check, so an
  unauthenticated client can neither evict a session nor count as a call) by
  :class:`~kiwoom.mcp.shutdown.DrainMiddleware` and :class:`~kiwoom.mcp.sessions.SessionCap`;
* the lifespan is wrapped so that it publishes the
  :class:`~kiwoom.mcp.protocol.ConnectionPolicy` (read timeout, connection cap, shutdown
  hook) for :class:`~kiwoom.mcp.protocol.GuardedH11Protocol`, caps the session manager
  FastMCP just created, and at shutdown waits for the drain before FastMCP terminates the
  sessions and the Kiwoom client revokes its token;
* uvicorn's own settings that go with them (:func:`uvicorn_limits`).
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastmcp.server.http import StreamableHTTPASGIApp
from starlette.applications import Starlette
from starlette.routing import Route

from kiwoom.mcp.protocol import POLICY_KEY, ConnectionPolicy, GuardedH11Protocol
from kiwoom.mcp.sessions import SessionCap
from kiwoom.mcp.settings import ServerSettings
from kiwoom.mcp.shutdown import Drain, DrainMiddleware, hold_sse_streams

#: Seconds uvicorn waits beyond the grace before it cancels what is left: the drain needs a
#: moment after the grace to write the JSON-RPC errors and let the connections close.
SHUTDOWN_MARGIN_S = 2


def _mcp_route(app: Starlette, path: str) -> Route:
    for route in app.router.routes:
        if isinstance(route, Route) and route.path == path and isinstance(route.app, StreamableHTTPASGIApp):
            return route
    raise RuntimeError(f"FastMCP 앱에서 {path} 경로를 찾지 못했습니다")


def harden_http_app(app: Starlette, settings: ServerSettings, *, stop_retrying: Callable[[], None]) -> Drain:
    """Apply the limits to FastMCP's ``app`` in place; returns its :class:`Drain`.

    ``stop_retrying`` is called once shutdown begins (the client's guard stops retrying).
    """
    hold_sse_streams()
    drain = Drain(settings.shutdown_timeout_s, on_begin=stop_retrying)
    route = _mcp_route(app, settings.path)
    endpoint = route.app
    assert isinstance(endpoint, StreamableHTTPASGIApp)
    cap = SessionCap(endpoint, settings.max_sessions)
    route.app = DrainMiddleware(cap, drain)
    policy = ConnectionPolicy(
        read_timeout_s=settings.request_read_timeout_s,
        max_connections=settings.max_connections,
        on_shutdown=drain.begin,
    )
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app_: Starlette) -> AsyncIterator[dict[str, Any]]:
        async with inner(app_) as state:
            cap.configure()
            try:
                yield {**(state or {}), POLICY_KEY: policy}
            finally:
                await drain.finish()  # before FastMCP terminates the sessions and the token is revoked

    app.router.lifespan_context = lifespan
    return drain


def uvicorn_limits(settings: ServerSettings) -> dict[str, Any]:
    """uvicorn options that go with :func:`harden_http_app` (the h11 protocol and the shutdown bound).

    The protocol is named by its import path, not passed as a class: with ``--workers`` the
    uvicorn config is pickled to each worker, and unpickling a class would import the whole
    server before the worker answers the supervisor's first health ping (5 s), which on a
    busy machine gets the worker killed as dead.
    """
    return {
        "http": f"{GuardedH11Protocol.__module__}:{GuardedH11Protocol.__qualname__}",
        "timeout_graceful_shutdown": math.ceil(settings.shutdown_timeout_s) + SHUTDOWN_MARGIN_S,
    }
