"""uvicorn's h11 protocol with a request read timeout, a connection cap and a shutdown hook.

uvicorn bounds an idle keep-alive connection (``timeout_keep_alive``) but not a request
being read: a client that trickles its headers or body a byte at a time, or connects and
sends nothing, holds a connection (and a file descriptor) for as long as it likes, before
any authentication can run. :class:`GuardedH11Protocol` closes a connection whose request
(headers and body, up to h11's ``EndOfMessage``) is not complete within
``read_timeout_s`` of its first byte (of the connection, for the first request), and
answers 503 to connections beyond ``max_connections``. It is passed to uvicorn as
``http=`` (a class), which also keeps httptools from being picked: only the h11 protocol
is extended here.

uvicorn calls ``shutdown()`` on every open connection when it starts to stop; that is
where the application learns that shutdown began (see :mod:`kiwoom.mcp.shutdown`), in one
process or in each ``--workers`` process alike. The policy comes from the ASGI lifespan
state, which uvicorn hands to every connection: the application that knows its settings
publishes them there at start-up, before the first connection is accepted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

logger = logging.getLogger("kiwoom.server")

#: Key of the :class:`ConnectionPolicy` in the ASGI lifespan state.
POLICY_KEY = "kiwoom_mcp.connection_policy"


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class ConnectionPolicy:
    """What every connection of one server must respect."""

    read_timeout_s: float = 10.0
    max_connections: int | None = None
    #: Called (synchronously, on the event loop) when uvicorn begins its graceful shutdown.
    on_shutdown: Callable[[], None] = field(default=_nothing)


_BUSY_BODY = json.dumps(
    {"error": "too_many_connections", "message": "동시 연결 수 한도를 넘었습니다: 잠시 후 다시 시도하세요"},
    ensure_ascii=False,
).encode()
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json; charset=utf-8\r\n"
    b"retry-after: 1\r\nconnection: close\r\ncontent-length: %d\r\n\r\n" % len(_BUSY_BODY)
) + _BUSY_BODY


class GuardedH11Protocol(H11Protocol):
    """:class:`H11Protocol` that drops slow or silent requests and refuses connections over the cap."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        policy = self.app_state.get(POLICY_KEY)
        self.policy: ConnectionPolicy = policy if isinstance(policy, ConnectionPolicy) else ConnectionPolicy()
        self._read_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        cap = self.policy.max_connections
        if cap is not None and len(self.connections) > cap:
            logger.warning("동시 연결 %d개 한도를 넘어 새 연결을 거절합니다 (503)", cap)
            transport.write(_BUSY)
            transport.close()
            return
        self._arm()  # a connection that never sends a byte is bounded too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        self._track_request()

    def handle_websocket_upgrade(self, event: h11.Request) -> None:
        self._disarm()
        super().handle_websocket_upgrade(event)

    def shutdown(self) -> None:
        self.policy.on_shutdown()
        super().shutdown()

    def _track_request(self) -> None:
        """Arm the timer while a request is partly read; disarm it once the request is complete."""
        if self.transport.is_closing():
            self._disarm()
            return
        state = self.conn.their_state
        if state is h11.SEND_BODY or (state is h11.IDLE and self.conn.trailing_data[0]):
            self._arm()
        elif state is not h11.IDLE:
            self._disarm()
        # IDLE with nothing buffered: between requests uvicorn's keep-alive timer bounds the wait.

    def _arm(self) -> None:
        if self._read_timer is None:
            self._read_timer = self.loop.call_later(self.policy.read_timeout_s, self._read_timed_out)

    def _disarm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _read_timed_out(self) -> None:
        self._read_timer = None
        if self.transport.is_closing():
            return
        # Debug only: under a slow-client attack this fires once per connection per timeout.
        logger.debug("요청을 %s초 안에 다 받지 못해 연결을 닫습니다: %s", self.policy.read_timeout_s, self.client)
        with contextlib.suppress(h11.LocalProtocolError):
            self.conn.send(h11.ConnectionClosed())
        self.transport.close()
