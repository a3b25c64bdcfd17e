"""A cap on open MCP sessions that makes room by closing the longest-idle one.

Each stateful session costs about 38 KB and, with the SDK's defaults, lives 30 minutes
after its last request, so a client that opens sessions in a loop grows the process
without bound. The MCP SDK can cap them (``max_sessions``) but then refuses every new
client with 503 while idle sessions sit out their timeout; here a new session instead
evicts the session that has been idle longest, and the SDK's 503 remains for the case
where every session is busy.

This relies on the MCP SDK in use (``mcp`` 2.3): ``StreamableHTTPSessionManager`` keeps
its transports in ``_server_instances`` and reads ``max_sessions`` per request; each
transport's ``idle_scope`` has a finite ``deadline`` only while no request of the session
is in flight, and cancelling that scope ends the session exactly as its idle timeout
would (the SDK then forgets it, so its id answers 404). ``tests/kiwoom/mcp/test_sessions.py``
pins this; re-check it when upgrading ``mcp`` or ``fastmcp``.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import anyio
from fastmcp.server.http import StreamableHTTPASGIApp
from mcp.server.streamable_http import MCP_SESSION_ID_HEADER
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.types import Receive, Scope, Send

logger = logging.getLogger("kiwoom.server")

_EVICTION_WAIT_S = 1.0  # how long to wait for the evicted session's task to forget it


class SessionCap:
    """ASGI wrapper of FastMCP's ``/mcp`` endpoint: at ``max_sessions``, a new session evicts the longest idle."""

    def __init__(self, endpoint: StreamableHTTPASGIApp, max_sessions: int) -> None:
        self.endpoint = endpoint
        self.max_sessions = max_sessions
        self._lock = anyio.Lock()

    def configure(self) -> None:
        """Set the SDK's own cap on the session manager the lifespan just created."""
        manager = self.endpoint.session_manager
        if manager is not None and not manager.stateless:
            manager.max_sessions = self.max_sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        manager = self.endpoint.session_manager
        opens_session = (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and not any(name.decode("latin-1") == MCP_SESSION_ID_HEADER for name, _ in scope["headers"])
        )
        if opens_session and manager is not None and not manager.stateless:
            await self._make_room(manager)
        await self.endpoint(scope, receive, send)

    async def _make_room(self, manager: StreamableHTTPSessionManager) -> None:
        async with self._lock:
            sessions: dict[str, Any] = manager._server_instances
            if len(sessions) < self.max_sessions:
                return
            idle = [
                (transport.idle_scope.deadline, session_id, transport)
                for session_id, transport in sessions.items()
                if transport.idle_scope is not None
                and not transport.idle_scope.cancel_called
                and math.isfinite(transport.idle_scope.deadline)
            ]
            if not idle:
                return  # every session is busy: the SDK answers 503
            _, session_id, transport = min(idle, key=lambda item: item[0])
            logger.info("MCP 세션 %d개 한도: 가장 오래 쉰 세션을 닫습니다 (%s)", self.max_sessions, session_id[:8])
            transport.idle_scope.cancel()
            with anyio.move_on_after(_EVICTION_WAIT_S):
                # The SDK signals nothing when it forgets a session: poll until its task has.
                while session_id in sessions:  # noqa: ASYNC110
                    await anyio.sleep(0.005)
