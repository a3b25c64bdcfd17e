"""Build a client's real-time stream: which URL, which socket, which token, which backfill.

The stream itself knows none of the client; this is where the two meet, read from the
client's mode: the sandbox (and a test's ``ASGITransport``) streams in-process from the
same fake app that answers its REST calls, a custom ``KIWOOM_BASE_URL`` ``http://h:p``
streams from ``ws://h:p/api/dostk/websocket`` (the fake serves both on one port), and
real/mock keys from Kiwoom's port 10000.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from kiwoom.config import Mode, Settings
from kiwoom.operations import validation, watchlist
from kiwoom.realtime.connector import AsgiConnector, NetworkConnector, WsConnector
from kiwoom.realtime.contracts import Backfill
from kiwoom.realtime.feed import TickFeed
from kiwoom.realtime.stream import WS_PATH, RealtimeStream, StreamConfig, StreamObserver
from kiwoom.transport.protocol import MOCK_HOST, REAL_HOST

if TYPE_CHECKING:
    from kiwoom.client import KiwoomClient
    from kiwoom.wiring import Storage

#: Kiwoom's WebSocket port (the REST API is on 443).
KIWOOM_WS_PORT = 10000
#: ka10095 row field → 0B field id: a REST quote written as the push it stands in for.
_ROW_TO_0B = {
    "cur_prc": "10",
    "pred_pre": "11",
    "flu_rt": "12",
    "trde_qty": "13",
    "open_pric": "16",
    "high_pric": "17",
    "low_pric": "18",
    "pre_sig": "25",
}


def stream_url(settings: Settings) -> str:
    """The WebSocket URL of the selected upstream."""
    mode = settings.mode()
    if mode is Mode.REAL or mode is Mode.MOCK:
        host = urlsplit(REAL_HOST if mode is Mode.REAL else MOCK_HOST).hostname
        return f"wss://{host}:{KIWOOM_WS_PORT}{WS_PATH}"
    if mode is Mode.CUSTOM:
        parts = urlsplit(settings.upstream_url())
        scheme = "wss" if parts.scheme == "https" else "ws"
        return f"{scheme}://{parts.netloc}{WS_PATH}"
    return f"ws://fake-kiwoom{WS_PATH}"


def stream_config(settings: Settings) -> StreamConfig:
    return StreamConfig(idle_timeout_s=settings.stream_idle_timeout_s)


def values_from_row(row: Mapping[str, Any]) -> dict[str, str]:
    """A ka10095 row as 0B values (the fields a quote has in both)."""
    return {wire: str(row[key]) for key, wire in _ROW_TO_0B.items() if str(row.get(key, "")).strip()}


class ClientTokens:
    """The client's token manager as the stream's token source (one token for REST and the socket)."""

    def __init__(self, client: KiwoomClient) -> None:
        self._client = client

    async def token(self) -> str:
        await self._client.open()
        manager = self._client.tokens
        assert manager is not None
        return (await manager.get()).value

    async def rejected(self, token: str) -> None:
        manager = self._client.tokens
        current = manager.current if manager is not None else None
        if manager is not None and current is not None and current.value == token:
            await manager.invalidate(current)


def client_backfill(client: KiwoomClient) -> Backfill:
    """After a gap: each code's quote from one ka10095 request per 100 codes (paced like any TR)."""

    async def backfill(codes: list[str]) -> dict[str, dict[str, str]]:
        tr = await client.query_transport()
        filled: dict[str, dict[str, str]] = {}
        for start in range(0, len(codes), validation.MAX_BATCH_CODES):
            chunk = codes[start : start + validation.MAX_BATCH_CODES]
            reply = await tr.request(watchlist.API_ID, {"stk_cd": "|".join(chunk)})
            for code, row in watchlist.batch_rows(reply.body, chunk).items():
                if row is not None:
                    filled[code] = values_from_row(row)
        return filled

    return backfill


def build_stream(
    client: KiwoomClient,
    *,
    config: StreamConfig | None = None,
    observer: StreamObserver | None = None,
    connector: WsConnector | None = None,
) -> RealtimeStream:
    """A stream for ``client``'s upstream, in-process when the client's transport is an ASGI app."""
    if connector is None:
        app = client.asgi_app
        connector = AsgiConnector(app) if app is not None else NetworkConnector(client.settings.connect_timeout_s)
    return RealtimeStream(
        stream_url(client.settings),
        ClientTokens(client),
        connector,
        config=config or stream_config(client.settings),
        backfill=client_backfill(client),
        observer=observer,
        clock=client.wall_clock,
    )


def build_feed(client: KiwoomClient, storage: Storage) -> TickFeed:
    """The feed the MCP tools read: one socket per app key across workers with Redis, else per process.

    The embedded sandbox is never shared: each worker has its own fake in-process, so
    there is no common upstream whose socket one leader could hold for the others.
    """
    if storage.health is None or client.settings.mode() is Mode.SANDBOX:
        return build_stream(client)
    from kiwoom.realtime.redis_feed import RedisFeed  # only deployments with Redis load it

    return RedisFeed(
        storage.health.link,
        client.settings.credentials()[0] or client.settings.upstream_url(),
        storage.worker_id,
        lambda: build_stream(client),
        lease_s=client.settings.stream_lease_s,
        health=storage.health,
        clock=client.wall_clock,
    )
