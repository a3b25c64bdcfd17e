"""The real-time endpoint ``/api/dostk/websocket``: LOGIN, PING, REG/REMOVE and REAL pushes.

Protocol (``kiwoom-protocol.md``, "WebSocket"): the client sends
``{"trnm": "LOGIN", "token": "<raw token>"}`` (an ``authorization: Bearer`` header at
connect is accepted too and logs in at once, silently); a bad or expired token gets the
8005 envelope and the socket is closed (code 1008). After login the server sends
``{"trnm": "PING"}`` every ``ping_interval_s``; a client that has not echoed the previous
PING when the next is due is disconnected (:data:`PING_TIMEOUT_CLOSE`).
REG/REMOVE are answered ``{"trnm": <trnm>, "return_code": 0, "return_msg": ""}`` or an error
envelope (codes and the registration limit: ``ws_frames``). While anything is registered,
one REAL frame carrying every registered (type, item) is pushed every ``push_interval_s``,
built from the synthetic market at the app's clock.

Timing uses the app's ``sleep`` (``FakeState.sleep``): a virtual clock's sleep works as
long as it yields to the event loop; a sleep that returns without yielding would spin.

Every inbound frame is journalled like a REST request: ``api_id`` is the ``trnm``
(``LOGIN``, ``REG``, ``REMOVE``, ``PING``, or ``None`` for an unreadable frame), ``path``
the WebSocket path, ``stock_code`` the first registered item, ``status`` 101 (the frame
travelled on the upgraded connection), and ``return_code``/``detail_code`` those of the
answer (0 for a PING echo).

Settings live in :class:`WsSettings`; tests override them with
``app.state.ws_settings = WsSettings(...)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from .envelopes import OK_MSG, KiwoomError
from .journal import JournalEntry
from .scenario_engine import DEFAULT_SESSION, SESSION_HEADER
from .state import FakeState
from .ws_frames import (
    MAX_ITEMS,
    Frame,
    Registrations,
    TickMemory,
    error_frame,
    ok_frame,
    parse_reg,
    real_frame,
)

WS_PATH = "/api/dostk/websocket"
#: Close codes: a failed login is a policy violation; a missed PING a normal close with a reason.
LOGIN_FAILED_CLOSE = 1008
PING_TIMEOUT_CLOSE = 1000
#: The journal's status for a WebSocket frame (the connection's HTTP status, 101 Switching Protocols).
WS_STATUS = 101


@dataclass(frozen=True, slots=True)
class WsSettings:
    ping_interval_s: float = 10.0
    push_interval_s: float = 1.0
    max_items: int = MAX_ITEMS


DEFAULT_SETTINGS = WsSettings()


def _bearer(ws: WebSocket) -> str | None:
    scheme, _, token = ws.headers.get("authorization", "").strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class _Connection:
    def __init__(self, ws: WebSocket, state: FakeState, settings: WsSettings) -> None:
        self.ws = ws
        self.state = state
        self.settings = settings
        self.session = ws.headers.get(SESSION_HEADER, "").strip() or DEFAULT_SESSION
        self.logged_in = asyncio.Event()
        self.closed = asyncio.Event()
        self.awaiting_pong = False
        self.regs = Registrations(settings.max_items)
        self.memory = TickMemory()
        self._send_lock = asyncio.Lock()

    # --- plumbing -----------------------------------------------------------------

    async def send(self, frame: Frame) -> None:
        async with self._send_lock:
            if self.closed.is_set() or self.ws.application_state != WebSocketState.CONNECTED:
                return
            await self.ws.send_text(json.dumps(frame, ensure_ascii=False, separators=(",", ":")))

    async def close(self, code: int, reason: str = "") -> None:
        async with self._send_lock:
            if not self.closed.is_set():
                self.closed.set()
                with contextlib.suppress(Exception):
                    await self.ws.close(code, reason)

    def journal(self, api_id: str | None, answer: Frame | None, stock_code: str | None = None) -> None:
        entry = JournalEntry(
            ts=self.state.clock(), api_id=api_id, path=WS_PATH, stock_code=stock_code, session=self.session
        )
        entry.status = WS_STATUS
        if answer is not None:
            code = answer.get("return_code")
            entry.return_code = code if isinstance(code, int) else None
            match = re.search(r"\[(\d{3,5}):", str(answer.get("return_msg", "")))
            entry.detail_code = int(match.group(1)) if match else None
        self.state.journal.append(entry)

    # --- the loops ----------------------------------------------------------------

    async def run(self) -> None:
        token = _bearer(self.ws)
        if token is not None:
            if self.state.tokens.lookup(token, self.state.clock()) is None:
                answer = error_frame("LOGIN", KiwoomError(8005))
                self.journal("LOGIN", answer)
                await self.send(answer)
                await self.close(LOGIN_FAILED_CLOSE, "login failed")
                return
            self.logged_in.set()
        async with anyio.create_task_group() as group:  # receive, ping and push: the first to end ends all

            async def until_first_ends(loop: Callable[[], Awaitable[None]]) -> None:
                await loop()
                group.cancel_scope.cancel()

            for loop in (self._receive_loop, self._ping_loop, self._push_loop):
                group.start_soon(until_first_ends, loop)

    async def _receive_loop(self) -> None:
        while not self.closed.is_set():
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                self.closed.set()
                return
            raw = message.get("text")
            if raw is None and message.get("bytes") is not None:
                raw = message["bytes"].decode("utf-8", "replace")
            await self._handle(raw or "")

    async def _ping_loop(self) -> None:
        await self.logged_in.wait()
        while not self.closed.is_set():
            await self.state.sleep(self.settings.ping_interval_s)
            if self.awaiting_pong:
                await self.close(PING_TIMEOUT_CLOSE, "PING not echoed")
                return
            self.awaiting_pong = True
            await self.send({"trnm": "PING"})

    async def _push_loop(self) -> None:
        await self.logged_in.wait()
        while not self.closed.is_set():
            await self.state.sleep(self.settings.push_interval_s)
            frame = real_frame(self.state.market, self.regs, self.state.clock(), self.memory)
            if frame is not None:
                await self.send(frame)

    # --- one inbound frame --------------------------------------------------------

    async def _handle(self, raw: str) -> None:
        try:
            frame = json.loads(raw)
        except ValueError:
            frame = None
        if not isinstance(frame, dict):
            answer = error_frame("", KiwoomError(1517, "요청 본문이 올바른 JSON 객체가 아닙니다"))
            self.journal(None, answer)
            await self.send(answer)
            return
        trnm = str(frame.get("trnm", "")).strip().upper()
        if trnm == "LOGIN":
            await self._login(frame)
        elif trnm == "PING":
            self.awaiting_pong = False
            self.journal("PING", ok_frame("PING"))
        elif not self.logged_in.is_set():
            answer = error_frame(trnm, KiwoomError(8005, "LOGIN 이전 요청"))
            self.journal(trnm or None, answer)
            await self.send(answer)
            await self.close(LOGIN_FAILED_CLOSE, "not logged in")
        elif trnm in ("REG", "REMOVE"):
            await self._register(frame, trnm)
        else:
            answer = error_frame(trnm, KiwoomError(1517, f"trnm={trnm}"))
            self.journal(trnm or None, answer)
            await self.send(answer)

    async def _login(self, frame: dict[str, Any]) -> None:
        token = frame.get("token")
        token = token.strip() if isinstance(token, str) else ""
        if token.lower().startswith("bearer "):  # lenient, as some clients send it so
            token = token[7:].strip()
        if token and self.state.tokens.lookup(token, self.state.clock()) is not None:
            answer = ok_frame("LOGIN", OK_MSG)
            self.journal("LOGIN", answer)
            await self.send(answer)
            self.logged_in.set()
            return
        answer = error_frame("LOGIN", KiwoomError(8005))
        self.journal("LOGIN", answer)
        await self.send(answer)
        await self.close(LOGIN_FAILED_CLOSE, "login failed")

    async def _register(self, frame: dict[str, Any], trnm: str) -> None:
        first: str | None = None
        data = frame.get("data")
        if isinstance(data, list) and data and isinstance(data[0], dict):
            items = data[0].get("item")
            if isinstance(items, list) and items and isinstance(items[0], str):
                first = items[0]
        frame = {**frame, "trnm": trnm}
        try:
            self.regs.apply(parse_reg(frame))
            answer = ok_frame(trnm)
        except KiwoomError as exc:
            answer = error_frame(trnm, exc)
        self.journal(trnm, answer, first)
        await self.send(answer)


async def websocket_endpoint(ws: WebSocket) -> None:
    state: FakeState = ws.app.state.fake
    settings: WsSettings = getattr(ws.app.state, "ws_settings", DEFAULT_SETTINGS)
    await ws.accept()
    connection = _Connection(ws, state, settings)
    try:
        await connection.run()
    except WebSocketDisconnect:
        pass
    finally:
        await connection.close(1000)


def websocket_route() -> WebSocketRoute:
    return WebSocketRoute(WS_PATH, websocket_endpoint)
