"""How the stream opens a socket: the network (``websockets``) or the embedded fake in-process.

The connector is the WebSocket counterpart of httpx's transport seam: the stream speaks
Kiwoom's frames to a :class:`WsConnection` and never knows whether a TLS socket to
``api.kiwoom.com:10000`` or the sandbox's ASGI app is behind it. So the sandbox streams
with no port at all, and tests drive reconnects without sockets, while the network path
is the one a deployment uses.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Protocol

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

#: A WebSocket frame larger than this is refused: a REAL frame of 100 order books is ~60 kB.
MAX_FRAME_BYTES = 4 * 1024 * 1024
ASGIMessage = MutableMapping[str, Any]
ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[ASGIMessage]], Callable[[ASGIMessage], Awaitable[None]]],
    Awaitable[None],
]


class WsClosedError(Exception):
    """The socket closed (or could not open); ``code`` is the close code when one was given."""

    def __init__(self, reason: str, code: int | None = None) -> None:
        super().__init__(reason)
        self.code = code


class WsConnection(Protocol):
    async def send(self, text: str) -> None:
        """Send one text frame; raises :class:`WsClosedError` when the socket is gone."""

    async def receive(self) -> str:
        """The next text frame; raises :class:`WsClosedError` when the socket closes."""

    async def close(self) -> None:
        """Close politely (idempotent)."""


class WsConnector(Protocol):
    async def connect(self, url: str) -> WsConnection:
        """Open a socket to ``url``; raises :class:`WsClosedError` when it cannot."""


class _NetworkConnection:
    def __init__(self, socket: ClientConnection) -> None:
        self._socket = socket

    async def send(self, text: str) -> None:
        try:
            await self._socket.send(text)
        except ConnectionClosed as exc:
            raise WsClosedError(f"closed: {exc}", exc.rcvd.code if exc.rcvd else None) from None

    async def receive(self) -> str:
        try:
            message = await self._socket.recv()
        except ConnectionClosed as exc:
            raise WsClosedError(f"closed: {exc}", exc.rcvd.code if exc.rcvd else None) from None
        return message if isinstance(message, str) else message.decode("utf-8", "replace")

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._socket.close()


class NetworkConnector:
    """Real sockets. Kiwoom's own ``PING`` frames keep the link alive, so protocol pings are off.

    ``open_timeout_s`` bounds TCP + TLS + the upgrade: a dead host fails in seconds, and the
    stream's backoff decides when to try again.
    """

    def __init__(self, open_timeout_s: float = 5.0) -> None:
        self.open_timeout_s = open_timeout_s

    async def connect(self, url: str) -> WsConnection:
        try:
            socket = await connect(
                url,
                open_timeout=self.open_timeout_s,
                ping_interval=None,
                close_timeout=2,
                max_size=MAX_FRAME_BYTES,
                compression=None,
                proxy=None,
            )
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
            raise WsClosedError(f"connect failed: {type(exc).__name__}: {exc}") from None
        return _NetworkConnection(socket)


class _AsgiConnection:
    """One WebSocket session with an ASGI app, driven through two queues."""

    def __init__(self, app: ASGIApp, path: str) -> None:
        self._inbound: asyncio.Queue[ASGIMessage] = asyncio.Queue()
        self._outbound: asyncio.Queue[ASGIMessage] = asyncio.Queue()
        self._closed: WsClosedError | None = None
        scope: dict[str, Any] = {
            "type": "websocket",
            "asgi": {"version": "3.0"},
            "scheme": "ws",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"fake-kiwoom")],
            "client": ("127.0.0.1", 0),
            "server": ("fake-kiwoom", 80),
            "subprotocols": [],
        }
        self._task = asyncio.create_task(self._run(app, scope), name="asgi-websocket")

    async def _run(self, app: ASGIApp, scope: MutableMapping[str, Any]) -> None:
        try:
            await app(scope, self._inbound.get, self._outbound.put)
        finally:
            await self._outbound.put({"type": "websocket.close", "code": 1006, "reason": "application ended"})

    async def opened(self) -> None:
        await self._inbound.put({"type": "websocket.connect"})
        message = await self._outbound.get()
        if message["type"] != "websocket.accept":
            await self.close()
            raise WsClosedError("connect refused", message.get("code"))

    async def send(self, text: str) -> None:
        if self._closed is not None:
            raise self._closed
        await self._inbound.put({"type": "websocket.receive", "text": text})

    async def receive(self) -> str:
        if self._closed is not None:
            raise self._closed
        message = await self._outbound.get()
        if message["type"] == "websocket.send":
            text = message.get("text")
            return text if isinstance(text, str) else bytes(message.get("bytes") or b"").decode("utf-8", "replace")
        self._closed = WsClosedError(f"closed: {message.get('reason') or 'no reason'}", message.get("code"))
        raise self._closed

    async def close(self) -> None:
        if self._closed is None:
            self._closed = WsClosedError("closed by client", 1000)
        await self._inbound.put({"type": "websocket.disconnect", "code": 1000})
        if not self._task.done():
            self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task


class AsgiConnector:
    """The embedded fake in-process: the sandbox streams without opening a port."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def connect(self, url: str) -> WsConnection:
        path = "/" + url.split("://", 1)[-1].split("/", 1)[-1] if "://" in url else url
        connection = _AsgiConnection(self._app, path)
        await connection.opened()
        return connection
