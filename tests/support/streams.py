"""The fake's WebSocket in-process for stream tests: fast pushes, tokens from the fake, faulty sockets."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx2

from fake_kiwoom import create_app
from fake_kiwoom.websocket import WsSettings
from kiwoom.realtime.connector import AsgiConnector, WsClosedError, WsConnection
from kiwoom.realtime.stream import RealtimeStream, StreamConfig
from tests.support.fake import FakeClock, unlimited


class RunningClock(FakeClock):
    """Mid-session market time that runs ``speed`` times faster than real time, so each push differs."""

    def __init__(self, speed: float = 100.0) -> None:
        super().__init__()
        self.speed, self._origin, self._real = speed, self.now, time.monotonic()

    def __call__(self) -> float:
        return self._origin + (time.monotonic() - self._real) * self.speed

    def clock(self) -> float:
        return self()


FAST_WS = WsSettings(ping_interval_s=0.05, push_interval_s=0.02)
FAST_STREAM = StreamConfig(idle_timeout_s=0.5, backoff_base_s=0.02, backoff_max_s=0.2, reg_gather_s=0.01)


class FakeTokens:
    """Tokens issued by the fake's au10001; counts issues and rejections."""

    def __init__(self, http: httpx2.AsyncClient) -> None:
        self.http = http
        self.current: str | None = None
        self.issued = 0
        self.rejections = 0

    async def token(self) -> str:
        if self.current is None:
            body = {"grant_type": "client_credentials", "appkey": "app-key", "secretkey": "secret-key"}
            reply = await self.http.post("/oauth2/token", json=body)
            self.current = str(reply.json()["token"])
            self.issued += 1
        return self.current

    async def rejected(self, token: str) -> None:
        self.rejections += 1
        if token == self.current:
            self.current = None


@dataclass
class Events:
    """A stream observer that keeps every event in order."""

    seen: list[tuple[str, dict[str, object]]] = field(default_factory=list)

    def stream_event(self, event: str, detail: Mapping[str, object]) -> None:
        self.seen.append((event, dict(detail)))

    def names(self) -> list[str]:
        return [name for name, _ in self.seen]

    def of(self, name: str) -> list[dict[str, object]]:
        return [detail for event, detail in self.seen if event == name]


class CuttingConnection:
    """A connection that fails on cue: ``cut()`` closes it under the stream, ``stalled`` swallows every frame."""

    def __init__(self, inner: WsConnection) -> None:
        self.inner = inner
        self.stalled = False
        self._closing: asyncio.Task[None] | None = None

    def cut(self) -> None:
        self._closing = asyncio.get_running_loop().create_task(self.inner.close())

    async def send(self, text: str) -> None:
        await self.inner.send(text)

    async def receive(self) -> str:
        while True:
            text = await self.inner.receive()
            if not self.stalled:
                return text

    async def close(self) -> None:
        await self.inner.close()


class TestConnector:
    """The in-process fake, with every connection kept so a test can cut or stall it."""

    __test__ = False

    def __init__(self, app: Any, refuse: int = 0) -> None:
        self.inner = AsgiConnector(app)
        self.connections: list[CuttingConnection] = []
        self.refuse = refuse
        self.attempts = 0

    async def connect(self, url: str) -> WsConnection:
        self.attempts += 1
        if self.refuse > 0:
            self.refuse -= 1
            raise WsClosedError("refused by test")
        connection = CuttingConnection(await self.inner.connect(url))
        self.connections.append(connection)
        return connection


@dataclass
class StreamRig:
    app: Any
    clock: RunningClock
    http: httpx2.AsyncClient
    tokens: FakeTokens
    connector: TestConnector
    events: Events

    def journal(self, api_id: str) -> list[Any]:
        return [e for e in self.app.state.journal.entries() if e.api_id == api_id]

    def stream(self, config: StreamConfig = FAST_STREAM, **kwargs: Any) -> RealtimeStream:
        return RealtimeStream(
            "ws://fake/api/dostk/websocket", self.tokens, self.connector, config=config, observer=self.events, **kwargs
        )


@contextlib.asynccontextmanager
async def stream_rig(ws: WsSettings = FAST_WS, refuse: int = 0) -> AsyncIterator[StreamRig]:
    clock = RunningClock()
    app = create_app(unlimited(), clock=clock)
    app.state.ws_settings = ws
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://fake") as http,
    ):
        yield StreamRig(app, clock, http, FakeTokens(http), TestConnector(app, refuse), Events())


async def until(condition: Callable[[], bool], timeout_s: float = 3.0) -> None:
    """Wait (real time, short polls) until ``condition`` holds; fail the test if it never does."""
    async with asyncio.timeout(timeout_s):
        while not condition():  # noqa: ASYNC110 - polling a plain predicate, there is no event to wait on
            await asyncio.sleep(0.005)
