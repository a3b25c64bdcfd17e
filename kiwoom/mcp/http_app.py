"""The HTTP face of the server: ``/mcp`` (streamable HTTP) beside ``/healthz``, ``/readyz``, ``/metrics``.

FastMCP's Host/Origin guard runs in strict mode (DNS-rebinding protection), and a bearer
token, when configured, guards ``/mcp`` and ``/metrics``; the probes stay open so an
orchestrator can check the process without the secret.
"""

from __future__ import annotations

import hmac
import os
from typing import TYPE_CHECKING, Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from kiwoom.mcp.hardening import harden_http_app, uvicorn_limits
from kiwoom.mcp.settings import ServerSettings
from kiwoom.readiness import not_ready_reasons

if TYPE_CHECKING:
    from kiwoom.mcp.server import KiwoomMCPServer

OPEN_PATHS = frozenset({"/healthz", "/readyz"})


class BearerAuthMiddleware:
    """Reject requests without ``Authorization: Bearer <token>`` (401), except the probes."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._expected = token.encode()

    def _authorized(self, header: bytes) -> bool:
        scheme, _, supplied = header.strip().partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(supplied.strip(), self._expected)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", []))
        if (
            scope["type"] == "http"
            and scope["path"] not in OPEN_PATHS
            and not self._authorized(headers.get(b"authorization", b""))
        ):
            response = JSONResponse(
                {"error": "unauthorized", "message": "Authorization: Bearer <KIWOOM_MCP_AUTH_TOKEN> 가 필요합니다"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="kiwoom-mcp"'},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def build_http_app(server: KiwoomMCPServer, settings: ServerSettings) -> Starlette:
    """The ASGI app uvicorn serves; its lifespan opens and closes the Kiwoom client."""
    server.legacy_subscriptions.stateless = settings.stateless
    app = server.fastmcp.http_app(
        path=settings.path,
        stateless_http=settings.stateless or None,
        host_origin_protection=True,
        allowed_hosts=settings.allowed_hosts or None,
        allowed_origins=settings.allowed_origins or None,
        session_idle_timeout=settings.session_idle_timeout_s,
    )

    async def healthz(_request: Request) -> Response:
        # Which worker answered and what its stream is doing: with --workers, one of them leads the socket.
        feed = server.live_hub.status()
        stream = None if feed is None else {"state": feed.state, "role": feed.role, "reconnects": feed.reconnects}
        return JSONResponse({"status": "ok", "pid": os.getpid(), "stream": stream})

    async def readyz(_request: Request) -> Response:
        # A server that missed its start-up connect recovers here, at most one token request per interval.
        await server.kiwoom_client.ensure_token()
        report = await server.kiwoom_client.health()
        reasons = not_ready_reasons(report)
        return JSONResponse({"ready": not reasons, "reasons": reasons, **report}, status_code=503 if reasons else 200)

    async def metrics(_request: Request) -> Response:
        return Response(server.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")

    app.router.routes[:0] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    if settings.auth_token is not None:
        app.add_middleware(BearerAuthMiddleware, token=settings.auth_token.get_secret_value())
    harden_http_app(app, settings, stop_retrying=server.kiwoom_client.guard.stopping.set)
    return app


def uvicorn_options(settings: ServerSettings) -> dict[str, Any]:
    """uvicorn's settings for the server, one process or several (``bench/floors.py`` mirrors them).

    The graceful-shutdown bound matters: open MCP streams would otherwise hold the process.
    The h11 protocol is forced (never httptools): it carries the request read timeout and
    the connection cap (see :mod:`kiwoom.mcp.protocol`).
    """
    return {
        "host": settings.host,
        "port": settings.port,
        "lifespan": "on",
        "log_level": settings.log_level.lower(),
        "access_log": False,
        **uvicorn_limits(settings),
    }


def uvicorn_config(app: Starlette, settings: ServerSettings) -> uvicorn.Config:
    """The uvicorn configuration of one server process serving ``app``."""
    return uvicorn.Config(app, **uvicorn_options(settings))
