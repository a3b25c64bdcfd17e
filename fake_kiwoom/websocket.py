"""The real-time endpoint ``/api/dostk/websocket``: LOGIN, PING, REG/REMOVE, REAL pushes and stream faults.

Protocol (``kiwoom-protocol.md``, "WebSocket"): the client sends
``{"trnm": "LOGIN", "token": "<raw token>"}`` (an ``authorization: Bearer`` header at
connect is accepted too and logs in at once, silently); a bad or expired token gets the
8005 envelope and the socket is closed (code 1008). After login the server sends
``{"trnm": "PING"}`` every ``ping_interval_s``; a client that has not echoed the previous
PING when the next is due gets the live server's ``SYSTEM`` frame (code ``R10002``) and is
disconnected (:data:`PING_TIMEOUT_CLOSE`).
REG/REMOVE are answered ``{"trnm": <trnm>, "return_code": 0, "return_msg": ""}`` or an error
envelope (codes and the registration limits: ``ws_frames``). Every ``push_interval_s``
all registered ``0B``/``0D`` pairs are pushed, built from the synthetic market at the
app's clock, as REAL frames of at most ``frame_items`` items each. ``0s`` is pushed when
it is registered (the current state) and whenever the operation code changes.

Timing uses the app's ``sleep`` (``FakeState.sleep``): a virtual clock's sleep works as
long as it yields to the event loop; a sleep that returns without yielding would spin.

Stream faults (the scenario's ``stream:`` block, ``scenario_stream``/``ws_faults``) apply
to a connection from its LOGIN. A token that expires mid-stream is revoked (REST refuses
it too) and announced with ``{"trnm": "SYSTEM", "code": "8005", "message": ...}`` plus
the 8005 envelope (``return_code``/``return_msg``), then the socket closes with 1008.

Journal contract (one :class:`JournalEntry` per line below; ``path`` is the WebSocket
path, ``status`` 101, ``session`` the ``x-fake-session`` header of the upgrade):

* every inbound frame: ``api_id`` is its ``trnm`` (``LOGIN``, ``REG``, ``REMOVE``,
  ``PING``, or ``None`` when unreadable), ``stock_code`` the first item of a REG/REMOVE,
  ``return_code``/``detail_code`` those of the answer (0 for a PING echo). A refused REG
  has ``fault: "refuse_reg"``; a frame ignored during a stall ``fault: "stall"`` and no
  return code (it got no answer);
* server events, ``api_id`` upper case: ``STALL``/``STALL_END`` (fault ``stall``,
  ``latency_ms`` the planned stall, 0 when open-ended), ``BURST``/``BURST_END`` (fault
  ``burst``), ``DUPLICATE`` (``duplicate``), ``OUT_OF_ORDER`` (``out_of_order``),
  ``PING_SKIPPED`` (``skip_pings``, when a PING was due), ``TOKEN_EXPIRED``
  (``token_expiry``, detail 8005), ``DROP`` (``drop``, ``detail_code`` the close code);
* ``CLOSE`` once per connection when it ends, whoever ended it: ``detail_code`` is the
  close code (1000 normal, 1006 dropped without a close frame, 1008 login or token, 1011
  ...), ``fault`` the fault that caused it or ``None``. A stream lane is the session's
  entries from ``LOGIN`` to ``CLOSE``.

Settings live in :class:`WsSettings`; tests override them with
``app.state.ws_settings = WsSettings(...)``. ``GET /__admin/websocket``
(``ws_faults.ws_admin_routes``) answers the socket counts.
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
from .ws_faults import BURST, BURST_END, DROP, STALL, STALL_END, ConnectionFaults, WsStats, abort, ws_stats
from .ws_frames import (
    FRAME_ITEMS,
    GROUP_ITEMS,
    MARKET_OPERATION,
    MAX_GROUPS,
    PING_TIMEOUT_FRAME,
    Frame,
    Registrations,
    error_frame,
    ok_frame,
    parse_reg,
)
from .ws_push import Pusher, dumps

WS_PATH = "/api/dostk/websocket"
#: Close codes: a failed login is a policy violation; a missed PING a normal close with a reason.
LOGIN_FAILED_CLOSE = 1008
PING_TIMEOUT_CLOSE = 1000
#: The journal's status for a WebSocket frame (the connection's HTTP status, 101 Switching Protocols).
WS_STATUS = 101


@dataclass(frozen=True, slots=True)
class WsSettings:
    """Pace and limits. The default pushes every registered pair once a second, as the live feed roughly does."""

    ping_interval_s: float = 10.0
    push_interval_s: float = 1.0
    #: Distinct items per ``grp_no`` and groups per connection (``ws_frames``).
    group_items: int = GROUP_ITEMS
    max_groups: int = MAX_GROUPS
    #: Items per REAL frame; a push of more pairs goes out as several frames.
    frame_items: int = FRAME_ITEMS
    #: Send those frames evenly over 90 % of the interval (trades arrive through a second), not at once.
    spread_frames: bool = False


DEFAULT_SETTINGS = WsSettings()


def _bearer(ws: WebSocket) -> str | None:
    scheme, _, token = ws.headers.get("authorization", "").strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class _Connection:
    def __init__(self, ws: WebSocket, state: FakeState, settings: WsSettings, stats: WsStats) -> None:
        self.ws = ws
        self.state = state
        self.settings = settings
        self.stats = stats
        self.session = ws.headers.get(SESSION_HEADER, "").strip() or DEFAULT_SESSION
        self.logged_in = asyncio.Event()
        self.closed = asyncio.Event()
        self.close_code = 1000
        self.close_fault: str | None = None
        self.awaiting_pong = False
        self.regs = Registrations(settings.group_items, settings.max_groups)
        self.faults = ConnectionFaults()
        self.token: str | None = None
        self.pusher = Pusher(
            state,
            self.regs,
            self.faults,
            settings.frame_items,
            send=self.send,
            event=self._event,
            drop=self._drop,
            spread_s=settings.push_interval_s * 0.9 if settings.spread_frames else 0.0,
        )
        self._send_lock = asyncio.Lock()

    # --- plumbing -----------------------------------------------------------------

    async def send(self, frame: Frame | str, *, force: bool = False) -> None:
        """Send unless closed; during a stall nothing leaves (``force``: the token-expiry notice)."""
        if self.faults.stalled and not force:
            return
        async with self._send_lock:
            if self.closed.is_set() or self.ws.application_state != WebSocketState.CONNECTED:
                return
            try:
                await self.ws.send_text(frame if isinstance(frame, str) else dumps(frame))
            except Exception:  # the peer vanished mid-send (a burst to a dead socket): end quietly
                self.close_code = 1006
                self.closed.set()

    async def close(self, code: int, reason: str = "", fault: str | None = None) -> None:
        """Close once. Shielded: setting ``closed`` ends the other loops, whose cancel must not cut this short."""
        with anyio.CancelScope(shield=True):
            async with self._send_lock:
                if self.closed.is_set():
                    return
                self.closed.set()
                self.close_code, self.close_fault = code, fault
                if code == 1006 and await abort(self.ws):
                    return
                with contextlib.suppress(Exception):
                    await self.ws.close(code, reason)

    def journal(
        self,
        api_id: str | None,
        answer: Frame | None = None,
        stock_code: str | None = None,
        *,
        fault: str | None = None,
        detail_code: int | None = None,
        latency_ms: float = 0.0,
    ) -> None:
        entry = JournalEntry(
            ts=self.state.clock(), api_id=api_id, path=WS_PATH, stock_code=stock_code, session=self.session
        )
        entry.status = WS_STATUS
        entry.fault, entry.latency_ms, entry.detail_code = fault, latency_ms, detail_code
        if answer is not None:
            code = answer.get("return_code")
            entry.return_code = code if isinstance(code, int) else None
            match = re.search(r"\[(\d{3,5}):", str(answer.get("return_msg", "")))
            entry.detail_code = int(match.group(1)) if match else detail_code
        self.state.journal.append(entry)

    def _login_ok(self, token: str) -> None:
        self.token = token
        self.stats.logins += 1
        self.faults.spec = self.state.engine.stream_faults(self.session)
        self.logged_in.set()

    async def _login_failed(self) -> None:
        self.stats.login_failures += 1
        answer = error_frame("LOGIN", KiwoomError(8005))
        self.journal("LOGIN", answer)
        await self.send(answer)
        await self.close(LOGIN_FAILED_CLOSE, "login failed")

    # --- the loops ----------------------------------------------------------------

    async def run(self) -> None:
        token = _bearer(self.ws)
        if token is not None:
            if self.state.tokens.lookup(token, self.state.clock()) is None:
                await self._login_failed()
                return
            self._login_ok(token)
        async with anyio.create_task_group() as group:  # the first loop to end ends all

            async def until_first_ends(loop: Callable[[], Awaitable[None]]) -> None:
                await loop()
                group.cancel_scope.cancel()

            for loop in (self._receive_loop, self._ping_loop, self._push_loop, self._fault_loop):
                group.start_soon(until_first_ends, loop)

    async def _receive_loop(self) -> None:
        while not self.closed.is_set():
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                if not self.closed.is_set():  # the client (or the network) ended it, not this server
                    self.close_code = int(message.get("code") or 1000)
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
            if self.faults.stalled:
                continue
            if self.faults.skip_pings:
                self.journal("PING_SKIPPED", fault="skip_pings")
                continue
            if self.awaiting_pong:
                await self.send(PING_TIMEOUT_FRAME)
                await self.close(PING_TIMEOUT_CLOSE, "PING not echoed")
                return
            self.awaiting_pong = True
            await self.send({"trnm": "PING"})

    async def _push_loop(self) -> None:
        await self.logged_in.wait()
        settings, faults = self.settings, self.faults
        await self.pusher.run(
            lambda: settings.push_interval_s / faults.burst_factor(), stalled=lambda: faults.stalled, closed=self.closed
        )

    async def _fault_loop(self) -> None:
        """Wait for each timed fault of this connection in turn (offsets from LOGIN), then for the end."""
        await self.logged_in.wait()
        elapsed = 0.0
        for at, event in self.faults.timeline():
            if at > elapsed:
                await self.state.sleep(at - elapsed)
                elapsed = at
            if self.closed.is_set():
                return
            await self._fault_event(event)
        await self.closed.wait()

    async def _fault_event(self, event: str) -> None:
        spec = self.faults.spec
        assert spec is not None
        if event == STALL:
            self.faults.stalled = True
            self.journal("STALL", fault="stall", latency_ms=(spec.stall_for_s or 0.0) * 1000)
        elif event == STALL_END:
            self.faults.stalled, self.awaiting_pong = False, False
            self.journal("STALL_END", fault="stall")
        elif event == BURST:
            self.faults.bursting = True
            self.journal("BURST", fault="burst")
        elif event == BURST_END:
            self.faults.bursting = False
            self.journal("BURST_END", fault="burst")
        elif event == DROP:
            await self._drop()
        else:
            await self._expire_token()

    def _event(self, api_id: str, fault: str) -> None:
        self.journal(api_id, fault=fault)

    async def _drop(self) -> None:
        code = self.faults.drop_code
        self.journal("DROP", fault="drop", detail_code=code)
        await self.close(code, "stream fault: drop", fault="drop")

    async def _expire_token(self) -> None:
        now = self.state.clock()
        issued = self.state.tokens.lookup(self.token, now) if self.token else None
        if issued is not None and self.token is not None:
            self.state.tokens.revoke(self.token, issued.appkey)
        error = KiwoomError(8005, "실시간 연결 중 토큰이 만료되었습니다")
        notice: Frame = {"trnm": "SYSTEM", "code": "8005", "message": error.detail, **error.body}
        self.journal("TOKEN_EXPIRED", notice, fault="token_expiry")
        await self.send(notice, force=True)
        await self.close(LOGIN_FAILED_CLOSE, "token expired", fault="token_expiry")

    # --- one inbound frame --------------------------------------------------------

    async def _handle(self, raw: str) -> None:
        try:
            frame = json.loads(raw)
        except ValueError:
            frame = None
        if self.faults.stalled:
            trnm = frame.get("trnm") if isinstance(frame, dict) else None
            self.journal(str(trnm).strip().upper() if trnm else None, fault="stall")
            return
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
            if not self.logged_in.is_set():
                self._login_ok(token)
            return
        await self._login_failed()

    async def _register(self, frame: dict[str, Any], trnm: str) -> None:
        first: str | None = None
        data = frame.get("data")
        if isinstance(data, list) and data and isinstance(data[0], dict):
            items = data[0].get("item")
            if isinstance(items, list) and items and isinstance(items[0], str):
                first = items[0]
        refused = self.state.engine.refuse_reg(self.session) if trnm == "REG" else None
        if refused is not None:
            answer = error_frame(trnm, KiwoomError(refused, "실시간 등록이 거부되었습니다"))
            self.journal(trnm, answer, first, fault="refuse_reg")
            await self.send(answer)
            return
        try:
            request = parse_reg({**frame, "trnm": trnm})
            self.regs.apply(request)
            answer = ok_frame(trnm)
        except KiwoomError as exc:
            request, answer = None, error_frame(trnm, exc)
        self.journal(trnm, answer, first)
        await self.send(answer)
        if request is not None and trnm == "REG" and (MARKET_OPERATION, "") in request.pairs:
            await self.pusher.operation_now(self.state.clock())


async def websocket_endpoint(ws: WebSocket) -> None:
    state: FakeState = ws.app.state.fake
    settings: WsSettings = getattr(ws.app.state, "ws_settings", DEFAULT_SETTINGS)
    stats = ws_stats(ws.app.state)
    await ws.accept()
    stats.opened()
    connection = _Connection(ws, state, settings, stats)
    try:
        await connection.run()
    except WebSocketDisconnect as exc:
        if not connection.closed.is_set():
            connection.close_code = exc.code
            connection.closed.set()
    finally:
        await connection.close(1000)
        stats.closed(connection.close_code)
        connection.journal("CLOSE", fault=connection.close_fault, detail_code=connection.close_code)


def websocket_route() -> WebSocketRoute:
    return WebSocketRoute(WS_PATH, websocket_endpoint)
