"""Live resources ``kiwoom://quote/{code}`` and ``kiwoom://orderbook/{code}``, and their update notifications.

Reading one gives the envelope ``get_live_quote``/``get_live_orderbook`` give (as JSON). A
client that subscribes is told ``notifications/resources/updated`` after each tick, and
reads again when it wants the data: the notification carries only the URI, as the MCP
specification has it. Both protocol eras of the MCP SDK in use are served:

* handshake era (2025-*): ``resources/subscribe``/``resources/unsubscribe`` requests, kept
  per connection (:class:`LegacySubscriptions`) and ended with it (the SDK unwinds the
  connection's ``exit_stack`` when a session ends); notifications go on the session's
  standalone stream;
* 2026-07-28: ``subscriptions/listen`` streams (:mod:`kiwoom.mcp.live_listen`).

One path feeds both: a tick of a watched pair marks its URI; one publisher task hands each
marked URI to the :class:`~mcp.server.subscriptions.SubscriptionBus` (in-process today, a
Redis bus could fan out across workers), and every subscriber keeps at most one pending
notification per URI (a set, not a queue): a tick that comes while one is pending changes
nothing, so a slow client costs a bounded amount of memory however fast the market moves.
Subscribing holds the pair in the hub (registered upstream at the first subscriber, released
with the last unsubscribe or the session's end).

Each notification's ``_meta`` carries :data:`RECEIVED_AT_META_KEY`: the wall time (epoch
seconds) the URI's latest tick reached the server, so a client (or ``bench/streaming.py``)
can measure tick-to-notification latency without guessing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final

import mcp_types as types
from fastmcp import FastMCP
from fastmcp.exceptions import ResourceError
from mcp.server.context import ServerRequestContext
from mcp.server.session import ServerSession
from mcp.server.subscriptions import ResourceUpdated, ServerEvent, SubscriptionBus
from mcp.shared.exceptions import MCPError

from kiwoom.errors import InvalidInputError, KiwoomError
from kiwoom.mcp import envelope
from kiwoom.mcp.live_tools import LiveAnswers
from kiwoom.operations import validation
from kiwoom.realtime.feed import Pair
from kiwoom.realtime.hub import LiveHub
from kiwoom.realtime.ticks import ORDERBOOK, QUOTE, RealType

logger = logging.getLogger("kiwoom.server")

SCHEME: Final = "kiwoom://"
#: URI path word → real type, and back.
KINDS: Final[dict[str, RealType]] = {"quote": QUOTE, "orderbook": ORDERBOOK}
WORDS: Final[dict[RealType, str]] = {kind: word for word, kind in KINDS.items()}
LABELS: Final[dict[RealType, str]] = {QUOTE: "실시간 시세 조회", ORDERBOOK: "실시간 호가 조회"}
#: ``_meta`` key of a notification: when the URI's latest tick reached this server (epoch seconds, wall clock).
RECEIVED_AT_META_KEY: Final = "io.kiwoom/received_at"
STATELESS_REFUSAL: Final = (
    "리소스 구독은 세션을 유지하는 서버에서만 가능합니다 (--workers 는 stateless HTTP): get_live_quote 로 조회하세요"
)


def uri_of(pair: Pair) -> str | None:
    kind, code = pair
    word = WORDS.get(kind)
    return f"{SCHEME}{word}/{code}" if word is not None else None


def pair_of(uri: str) -> Pair:
    """The pair a live resource URI names; :class:`InvalidInputError` for anything else (no upstream cost)."""
    word, _, code = uri.removeprefix(SCHEME).partition("/") if uri.startswith(SCHEME) else ("", "", "")
    if word not in KINDS:
        raise InvalidInputError("uri", "kiwoom://quote/{종목코드} 또는 kiwoom://orderbook/{종목코드} 여야 합니다")
    return (KINDS[word], validation.stock_code(code, "uri"))


Known = Callable[[str], Awaitable[bool]]


class UpdateFanOut:
    """Ticks of watched pairs → conflated ``ResourceUpdated`` events on the bus; watches hold pairs in the hub.

    ``known`` vets a code before its first subscriber holds it: a code Kiwoom does not know
    would be refused by ``REG``, and a refused ``REG`` takes its whole group with it.
    """

    def __init__(self, hub: LiveHub, bus: SubscriptionBus, known: Known | None = None) -> None:
        self.hub = hub
        self.bus = bus
        self._known = known
        self._watched: Counter[str] = Counter()
        self._pending: dict[str, None] = {}
        self._wake = asyncio.Event()
        self._publisher: asyncio.Task[None] | None = None
        #: URI → wall time of its latest tick (wall clock, not the hub's: latency is measured across processes).
        self.received_at: dict[str, float] = {}
        hub.add_listener(self._ticked)

    def _ticked(self, pair: Pair) -> None:
        uri = uri_of(pair)
        if uri is not None and self._watched[uri] > 0:
            self.received_at[uri] = time.time()
            self._pending[uri] = None
            self._wake.set()

    def meta(self, uri: str) -> dict[str, Any]:
        """The ``_meta`` of a notification about ``uri``: when its latest tick arrived, if one did."""
        received = self.received_at.get(uri)
        return {RECEIVED_AT_META_KEY: received} if received is not None else {}

    async def admit(self, uri: str, pair: Pair) -> bool:
        """Whether ``uri`` may be subscribed: already watched, or its code known upstream."""
        return self._watched[uri] > 0 or self._known is None or await self._known(pair[1])

    async def watch(self, uri: str, pair: Pair) -> None:
        """One more subscriber of ``uri``: hold its pair (the first subscriber subscribes upstream)."""
        if self._publisher is None or self._publisher.done():
            self._publisher = asyncio.get_running_loop().create_task(self._publish(), name="live-resource-publish")
        self._watched[uri] += 1
        await self.hub.hold(pair)

    def unwatch(self, uri: str, pair: Pair) -> None:
        """One subscriber fewer (synchronous: it runs in cleanups that may be cancelled)."""
        if self._watched[uri] <= 1:
            self._watched.pop(uri, None)
            self._pending.pop(uri, None)
            self.received_at.pop(uri, None)
        else:
            self._watched[uri] -= 1
        self.hub.release(pair)

    def watched(self) -> dict[str, int]:
        return dict(self._watched)

    async def _publish(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                uri = next(iter(self._pending))
                del self._pending[uri]
                try:
                    await self.bus.publish(ResourceUpdated(uri))
                except Exception:  # one failed delivery must not end every subscriber's notifications
                    logger.exception("리소스 갱신 알림 실패: %s", uri)

    async def close(self) -> None:
        task, self._publisher = self._publisher, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


class Pending:
    """At most one pending event per key (latest wins by construction: an event carries no data)."""

    def __init__(self) -> None:
        self.events: dict[ServerEvent, None] = {}
        self.wake = asyncio.Event()
        self.closed = False

    def add(self, event: ServerEvent) -> None:
        if not self.closed:
            self.events[event] = None
            self.wake.set()

    async def next(self) -> ServerEvent | None:
        """The oldest pending event, waiting for one; None once closed."""
        while not self.events:
            if self.closed:
                return None
            await self.wake.wait()
            self.wake.clear()
        event = next(iter(self.events))
        del self.events[event]
        return event

    def close(self) -> None:
        self.closed = True
        self.wake.set()


@dataclass
class _Subscriber:
    session: ServerSession
    uris: dict[str, Pair] = field(default_factory=dict)
    pending: Pending = field(default_factory=Pending)
    task: asyncio.Task[None] | None = None
    unsubscribe: Callable[[], None] | None = None


class LegacySubscriptions:
    """``resources/subscribe`` and ``resources/unsubscribe`` (handshake era), per connection."""

    def __init__(self, fanout: UpdateFanOut) -> None:
        self.fanout = fanout
        #: Set by the HTTP app in stateless mode (``--workers``), where a subscription could never be served.
        self.stateless = False
        self._subscribers: dict[int, _Subscriber] = {}

    def sessions(self) -> int:
        return len(self._subscribers)

    async def subscribe(
        self, ctx: ServerRequestContext[Any, Any], params: types.SubscribeRequestParams
    ) -> types.EmptyResult:
        uri = str(params.uri)
        pair = _checked(uri)
        if not await self.fanout.admit(uri, pair):
            raise MCPError(types.INVALID_PARAMS, f"uri: 종목코드 {pair[1]} 에 해당하는 종목이 없습니다", {"uri": uri})
        connection = getattr(ctx.session, "_connection", None)  # as FastMCP reaches it: the SDK has no accessor
        if connection is None or self.stateless:
            # Stateless HTTP (--workers) ends the "session" with the request: nothing could ever be sent.
            raise MCPError(types.INVALID_REQUEST, STATELESS_REFUSAL, {"uri": uri})
        key = id(connection)
        subscriber = self._subscribers.get(key)
        if subscriber is None:
            subscriber = self._subscribers[key] = self._open(ctx.session)
            connection.exit_stack.push_async_callback(self._end, key)
        if uri not in subscriber.uris:
            subscriber.uris[uri] = pair
            await self.fanout.watch(uri, pair)
        return types.EmptyResult()

    def _open(self, session: ServerSession) -> _Subscriber:
        subscriber = _Subscriber(session)
        subscriber.unsubscribe = self.fanout.bus.subscribe(lambda event: _offer(subscriber, event))
        subscriber.task = asyncio.get_running_loop().create_task(
            _send(subscriber, self.fanout), name="live-resource-send"
        )
        return subscriber

    async def unsubscribe(
        self, ctx: ServerRequestContext[Any, Any], params: types.UnsubscribeRequestParams
    ) -> types.EmptyResult:
        connection = getattr(ctx.session, "_connection", None)
        subscriber = self._subscribers.get(id(connection) if connection is not None else id(ctx.session))
        pair = subscriber.uris.pop(str(params.uri), None) if subscriber is not None else None
        if subscriber is not None and pair is not None:
            subscriber.pending.events.pop(ResourceUpdated(str(params.uri)), None)
            self.fanout.unwatch(str(params.uri), pair)
        return types.EmptyResult()

    async def _end(self, key: int) -> None:
        """The session ended: stop its sender and release every pair it held."""
        subscriber = self._subscribers.pop(key, None)
        if subscriber is None:
            return
        if subscriber.unsubscribe is not None:
            subscriber.unsubscribe()
        subscriber.pending.close()
        for uri, pair in subscriber.uris.items():
            self.fanout.unwatch(uri, pair)
        subscriber.uris.clear()
        if subscriber.task is not None:
            subscriber.task.cancel()

    async def close(self) -> None:
        for key in list(self._subscribers):
            await self._end(key)


def _offer(subscriber: _Subscriber, event: ServerEvent) -> None:
    if isinstance(event, ResourceUpdated) and event.uri in subscriber.uris:
        subscriber.pending.add(event)


async def _send(subscriber: _Subscriber, fanout: UpdateFanOut) -> None:
    """Deliver one subscriber's pending notifications, one at a time, on its session's standalone stream."""
    while (event := await subscriber.pending.next()) is not None:
        if not isinstance(event, ResourceUpdated):
            continue
        params = types.ResourceUpdatedNotificationParams(uri=event.uri, _meta=fanout.meta(event.uri) or None)
        try:
            await subscriber.session.send_notification(types.ResourceUpdatedNotification(params=params))
        except Exception as exc:  # a broken stream: the session's end will clean up
            logger.debug("resources/updated 전송 실패 (%s): %s", event.uri, type(exc).__name__)


def _checked(uri: str) -> Pair:
    try:
        return pair_of(uri)
    except InvalidInputError as exc:
        raise MCPError(types.INVALID_PARAMS, str(exc), {"uri": uri[:200]}) from None


def register_resources(fastmcp: FastMCP[Any], answers: LiveAnswers, toolset: str) -> None:
    """The two resource templates; reading one answers as the matching live tool does."""

    async def read(kind: RealType, code: str) -> str:
        try:
            checked = validation.stock_code(code, "uri")
        except InvalidInputError as exc:
            raise ResourceError(str(exc)) from None
        label = f"{checked} {LABELS[kind]}"
        try:
            result = envelope.success(await answers.answer(kind, checked), label)
        except KiwoomError as exc:
            result = envelope.failure(str(exc), f"{label} 실패")
        return json.dumps(result.model_dump(mode="json"), ensure_ascii=False)

    async def live_quote(code: str) -> str:
        return await read(QUOTE, code)

    async def live_orderbook(code: str) -> str:
        return await read(ORDERBOOK, code)

    common: dict[str, Any] = {"mime_type": "application/json", "tags": {toolset}}
    fastmcp.resource(
        f"{SCHEME}quote/{{code}}",
        name="live_quote",
        description="Real-time quote of one KRX stock (as get_live_quote); subscribe for an update notice per tick",
        **common,
    )(live_quote)
    fastmcp.resource(
        f"{SCHEME}orderbook/{{code}}",
        name="live_orderbook",
        description="Real-time order book of one KRX stock (as get_live_orderbook); subscribe for updates per tick",
        **common,
    )(live_orderbook)
