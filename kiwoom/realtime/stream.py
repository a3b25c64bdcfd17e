"""``RealtimeStream``: one upstream WebSocket kept alive, whatever the network does.

One supervisor task loops: connect, ``LOGIN`` with the token, register everything wanted,
then read until the socket ends; wait a jittered backoff, and again. While a connection
lives, three tasks share it:

* the reader echoes each ``PING`` as received, turns ``REAL`` items into :class:`Tick`\\ s,
  and matches ``REG``/``REMOVE`` answers to the requests sent (answers carry no id, so in
  order);
* the registrar sends what :class:`~kiwoom.realtime.registry.Registry` says changed, after
  ``reg_gather_s`` so a burst of ``want`` calls goes out as one ``REG`` per group;
* the watchdog closes the socket when no frame at all (``PING`` included) came for
  ``idle_timeout_s``: a stalled server keeps TCP open and never says so.

A refused ``LOGIN`` (8005) reports the token to the :class:`TokenSource`, so the next
attempt logs in with a fresh one. After any reconnect the time the stream was down is a
gap: it is reported, and each wanted code's latest quote is fetched over REST
(``backfill``) and delivered as a tick with ``origin="backfill"`` unless the stream's own
tick came first. Waits go through the injected ``sleep`` and ``clock``, so tests and the
lab run it on a virtual clock.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

from kiwoom.realtime.buffer import TickBook
from kiwoom.realtime.connector import WsClosedError, WsConnection, WsConnector
from kiwoom.realtime.contracts import (
    Backfill,
    LoginRefusedError,
    QuietObserver,
    StreamConfig,
    StreamObserver,
    TokenSource,
    checked_pair,
    parse_frame,
)
from kiwoom.realtime.feed import FeedState, FeedStatus, Listeners, Pair, TickListener
from kiwoom.realtime.registry import Registry, Request
from kiwoom.realtime.ticks import QUOTE, REAL_TYPES, Tick
from kiwoom.transport.protocol import detail_code

logger = logging.getLogger("kiwoom.realtime.stream")

__all__ = ["Backfill", "RealtimeStream", "StreamConfig", "StreamObserver", "TokenSource"]

WS_PATH = "/api/dostk/websocket"
#: How long ``stop`` waits for the connection to close before leaving it behind.
STOP_TIMEOUT_S = 2.0
#: The code a 1902 refusal names (``"... 종목코드=999999"``).
_UNKNOWN_CODE = re.compile(r"종목코드\s*=\s*([0-9A-Za-z_]+)")


class RealtimeStream:
    """Kiwoom's real-time socket as a :class:`~kiwoom.realtime.feed.TickFeed`."""

    def __init__(
        self,
        url: str,
        tokens: TokenSource,
        connector: WsConnector,
        *,
        config: StreamConfig | None = None,
        backfill: Backfill | None = None,
        observer: StreamObserver | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.url = url
        self.config = config or StreamConfig()
        self._tokens, self._connector, self._backfill = tokens, connector, backfill
        self._observer: StreamObserver = observer or QuietObserver()
        self._clock, self._sleep, self._rand = clock, sleep, rand
        self.registry = Registry(group_size=self.config.group_size)
        self.book = TickBook(max_pairs=self.config.buffer_max, buffering=False)
        self._listeners: Listeners[Tick] = Listeners()
        self._changed = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None
        self._state: FeedState = "stopped"
        self._since: float | None = None
        self._last_message: float | None = None
        self._down_since: float | None = None
        self._reconnects = 0
        self._connections = 0
        self._last_error: str | None = None
        self._seq = 0
        self._answers: list[Request] = []
        self._token = ""
        self._refusals = 0
        self._retries: set[asyncio.Task[None]] = set()
        self._stopped = False
        self._logged_in = False

    # ------------------------------------------------------------------ TickFeed

    async def start(self) -> None:
        if self._supervisor is None or self._supervisor.done():
            self._state, self._stopped = "connecting", False
            self._supervisor = asyncio.create_task(self._supervise(), name="kiwoom-realtime")

    async def stop(self) -> None:
        task, self._supervisor = self._supervisor, None
        for retry in list(self._retries):
            retry.cancel()
        self._stopped = True
        self.book.ready.set()  # an `async for` consumer ends
        if task is not None:
            task.cancel()
            await asyncio.wait([task], timeout=STOP_TIMEOUT_S)  # a stuck socket must not hold a shutdown
        self._state = "stopped"

    async def __aenter__(self) -> RealtimeStream:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def want(self, pairs: Iterable[Pair]) -> None:
        checked = [checked_pair(pair) for pair in pairs]
        if self.registry.want(checked):
            self._changed.set()

    async def drop(self, pairs: Iterable[Pair]) -> None:
        for pair in self.registry.drop(list(pairs)):
            self.book.forget(pair)
        self._changed.set()

    def add_listener(self, listener: TickListener) -> Callable[[], None]:
        return self._listeners.add(listener)

    def status(self) -> FeedStatus:
        return FeedStatus(
            state=self._state,
            since=self._since,
            last_message_at=self._last_message,
            reconnects=self._reconnects,
            subscribed=len(self.registry.registered),
            last_error=self._last_error,
        )

    def latest(self, pair: Pair) -> Tick | None:
        return self.book.latest.get(pair)

    def wanted(self) -> frozenset[Pair]:
        return frozenset(self.registry.wanted)

    async def __aiter__(self) -> AsyncIterator[Tick]:
        """Unread ticks, latest per pair, oldest pair first; one consumer at a time.

        Only while someone iterates are ticks kept unread: listener-only users hold nothing.
        """
        self.book.buffering = True
        try:
            while not self._stopped:
                tick = self.book.take()
                if tick is None:
                    await self.book.ready.wait()
                    continue
                yield tick
        finally:
            self.book.buffering = False
            self.book.pending.clear()

    # ------------------------------------------------------------------ supervisor

    def _event(self, event: str, **detail: object) -> None:
        try:
            self._observer.stream_event(event, detail)
        except Exception:  # an observer must never break the stream
            logger.exception("stream observer failed on %s", event)

    async def _supervise(self) -> None:
        attempt = 0
        while True:
            try:
                connection = await self._connector.connect(self.url)
            except WsClosedError as exc:
                self._went_down(f"connect: {exc}")
            else:
                self._connections += 1
                self._event("connect", url_path=WS_PATH, connection=self._connections)
                self._logged_in = False
                try:
                    await self._session(connection)
                except WsClosedError as exc:
                    self._went_down(str(exc), code=exc.code)
                except LoginRefusedError as exc:
                    self._went_down(str(exc))
                finally:
                    await connection.close()
                if self._logged_in:
                    attempt = 0  # a drop after a good session retries at once; a refusing server backs off
            delay = self._rand() * min(self.config.backoff_max_s, self.config.backoff_base_s * 2**attempt)
            attempt = min(attempt + 1, 30)
            self._event("reconnect_wait", delay_s=round(delay, 3), attempt=attempt)
            await self._sleep(delay)
            self._reconnects += 1

    def _went_down(self, reason: str, code: int | None = None) -> None:
        if self._state == "up":
            self._down_since = self._clock()
        self._state, self._last_error = "down", reason
        self.registry.disconnected()
        self._answers.clear()
        self._event("disconnect", reason=reason, code=code)
        logger.warning("실시간 시세 연결 끊김: %s", reason)

    async def _session(self, connection: WsConnection) -> None:
        await self._login(connection)
        self._logged_in = True
        was_down, self._state = self._down_since, "up"
        self._since = self._last_message = self._clock()
        self._changed.set()
        tasks = [
            asyncio.create_task(self._read(connection), name="realtime-read"),
            asyncio.create_task(self._register(connection), name="realtime-register"),
            asyncio.create_task(self._watch(connection), name="realtime-watchdog"),
        ]
        if was_down is not None:
            codes = self.registry.items(QUOTE)
            self._event("gap", codes=codes, down_s=round(self._since - was_down, 3))
            tasks.append(asyncio.create_task(self._fill(codes, self._since), name="realtime-backfill"))
            self._down_since = None
        try:
            done, _ = await asyncio.wait(tasks[:3], return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            error = task.exception()
            if error is not None:
                raise error
        raise WsClosedError("session ended")

    async def _login(self, connection: WsConnection) -> None:
        token = self._token = await self._tokens.token()
        await connection.send(json.dumps({"trnm": "LOGIN", "token": token}))
        try:
            async with asyncio.timeout(self.config.login_timeout_s):
                while True:
                    frame = parse_frame(await connection.receive())
                    if frame.get("trnm") == "LOGIN":
                        break
        except TimeoutError:
            raise LoginRefusedError("LOGIN 응답 없음") from None
        code = frame.get("return_code")
        if code in (0, "0"):
            self._event("login")
            return
        message = str(frame.get("return_msg", ""))
        detail = detail_code(message)
        self._event("login_failed", return_code=code, detail_code=detail)
        if detail == 8005 or code == 3:
            await self._tokens.rejected(token)
        raise LoginRefusedError(f"LOGIN 거부 (return_code={code}, detail={detail})")

    async def _watch(self, connection: WsConnection) -> None:
        idle = self.config.idle_timeout_s
        while True:
            await self._sleep(min(idle / 4, 1.0))
            last = self._last_message or 0.0
            if self._clock() - last > idle:
                self._event("watchdog", silent_s=round(self._clock() - last, 3))
                raise WsClosedError(f"watchdog: {idle:g}초 동안 수신 없음")

    async def _register(self, connection: WsConnection) -> None:
        while True:
            await self._changed.wait()
            await self._sleep(self.config.reg_gather_s)
            self._changed.clear()
            for request in self.registry.changes():
                self._answers.append(request)
                await connection.send(json.dumps(request.frame(), ensure_ascii=False))
                verb = "reg" if request.verb == "REG" else "remove"
                self._event(verb, grp_no=request.grp_no, items=[item for _, item in request.pairs])

    async def _read(self, connection: WsConnection) -> None:
        while True:
            raw = await connection.receive()
            self._last_message = self._clock()
            frame = parse_frame(raw)
            trnm = frame.get("trnm")
            if trnm == "PING":
                await connection.send(raw)
            elif trnm == "REAL":
                self._deliver(frame)
            elif trnm in ("REG", "REMOVE"):
                await self._answered(str(trnm), frame)
            elif frame.get("return_code") not in (None, 0, "0"):
                detail = detail_code(str(frame.get("return_msg", "")))
                self._event("server_error", trnm=trnm, return_code=frame.get("return_code"), detail_code=detail)
                if detail == 8005:  # the token died mid-stream: the next LOGIN needs a new one
                    await self._tokens.rejected(self._token)

    async def _answered(self, trnm: str, frame: dict[str, Any]) -> None:
        index = next((i for i, request in enumerate(self._answers) if request.verb == trnm), None)
        if index is None:
            return
        request = self._answers.pop(index)
        if frame.get("return_code") in (0, "0"):
            self._refusals = 0
            return
        self.registry.refused(request)
        message = str(frame.get("return_msg", ""))
        detail = detail_code(message)
        self._event("reg_refused", grp_no=request.grp_no, return_code=frame.get("return_code"), detail_code=detail)
        unknown = _UNKNOWN_CODE.search(message)
        if detail == 1902 and unknown is not None:  # one bad code must not keep its whole group out
            rejected = [pair for pair in request.pairs if pair[1] == unknown.group(1)]
            for pair in self.registry.drop(rejected):
                self.book.forget(pair)
            self._event("rejected", items=[item for _, item in rejected])
            self._changed.set()
            return
        self._refusals += 1
        delay = min(self.config.backoff_max_s, self.config.backoff_base_s * 2**self._refusals)
        retry = asyncio.get_running_loop().create_task(self._ask_again(delay))
        self._retries.add(retry)
        retry.add_done_callback(self._retries.discard)

    async def _ask_again(self, delay: float) -> None:
        await self._sleep(delay)
        self._changed.set()

    # ------------------------------------------------------------------ ticks

    def _deliver(self, frame: dict[str, Any]) -> None:
        data = frame.get("data")
        if not isinstance(data, list):
            return
        now = self._clock()
        for entry in data:
            if not isinstance(entry, dict):
                continue
            kind, item, values = entry.get("type"), entry.get("item"), entry.get("values")
            if kind not in REAL_TYPES or not isinstance(values, dict):
                continue
            pair: Pair = (kind, str(item or ""))
            if pair not in self.registry.wanted:
                continue  # a push that raced a REMOVE
            self._seq += 1
            self._accept(Tick(kind, pair[1], {str(k): str(v) for k, v in values.items()}, now, self._seq))

    def _accept(self, tick: Tick) -> None:
        verdict = self.book.offer(tick)
        if verdict != "accepted":
            self._event(verdict, item=tick.item, kind=tick.kind)
            return
        self._listeners.notify(tick)

    async def _fill(self, codes: list[str], since: float) -> None:
        if self._backfill is None or not codes:
            return
        try:
            quotes = await self._backfill(codes)
        except Exception as exc:
            self._event("backfill_failed", codes=codes, error=type(exc).__name__)
            return
        filled = []
        for code, values in quotes.items():
            last = self.book.latest.get((QUOTE, code))
            if (QUOTE, code) not in self.registry.wanted or (last is not None and last.received_at >= since):
                continue  # the stream's own tick came first
            self._seq += 1
            self._accept(Tick(QUOTE, code, dict(values), self._clock(), self._seq, origin="backfill"))
            filled.append(code)
        self._event("backfill", codes=filled)
