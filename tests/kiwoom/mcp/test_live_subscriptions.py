"""Subscriptions without a socket: conflation per (session, URI), holds and releases, URI checks, 0s sessions.

A client that does not read must cost one pending notification per URI however many ticks
come: the sender here blocks on a gate while the feed pushes a burst.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, cast

import mcp_types as types
import pytest
from mcp.server.context import ServerRequestContext
from mcp.server.subscriptions import InMemorySubscriptionBus
from mcp.shared.exceptions import MCPError
from mcp.shared.subscriptions import SUBSCRIPTION_ID_META_KEY, ResourceUpdated

from kiwoom.errors import InvalidInputError
from kiwoom.mcp.live_listen import LiveListen
from kiwoom.mcp.live_resources import LegacySubscriptions, UpdateFanOut, pair_of, uri_of
from kiwoom.operations.market_status import with_operation
from kiwoom.realtime.hub import LiveHub
from kiwoom.realtime.ticks import ORDERBOOK, QUOTE
from tests.support.clock import FakeTime
from tests.support.feeds import ScriptedFeed

pytestmark = pytest.mark.anyio

URI = "kiwoom://quote/005930"


@dataclass
class Connection:
    exit_stack: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)


@dataclass
class GatedSession:
    """A session whose sends after the first ``free`` block until the gate opens (a client not reading)."""

    free: int = 0
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    sent: list[Any] = field(default_factory=list)
    _connection: Connection = field(default_factory=Connection)

    async def send_resource_updated(self, uri: str) -> None:
        await self._send(uri)

    async def send_notification(self, notification: Any, related_request_id: Any = None) -> None:
        await self._send(notification)

    async def _send(self, item: Any) -> None:
        self.sent.append(item)
        if len(self.sent) > self.free:
            await self.gate.wait()


def context(session: GatedSession, request_id: int = 7) -> ServerRequestContext[Any, Any]:
    return ServerRequestContext(
        session=cast(Any, session), lifespan_context={}, protocol_version="x", method="m", request_id=request_id
    )


@dataclass
class Rig:
    hub: LiveHub
    feed: ScriptedFeed
    fanout: UpdateFanOut


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    t = FakeTime()
    feed = ScriptedFeed(t.clock)
    hub = LiveHub(stale_s=5, unused_s=300, first_tick_wait_s=0, clock=t.clock)
    hub.attach(lambda: feed)
    fanout = UpdateFanOut(hub, InMemorySubscriptionBus())
    yield Rig(hub, feed, fanout)
    await fanout.close()
    await hub.close()


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_a_slow_legacy_client_has_one_pending_notification_per_uri(rig: Rig) -> None:
    legacy = LegacySubscriptions(rig.fanout)
    session = GatedSession()
    await legacy.subscribe(context(session), types.SubscribeRequestParams(uri=URI))
    await legacy.subscribe(context(session), types.SubscribeRequestParams(uri=URI))  # again: no second hold
    assert rig.hub.held() == {(QUOTE, "005930")}
    assert rig.fanout.watched() == {URI: 1}
    for _ in range(100):
        rig.feed.push(QUOTE, "005930")
        await asyncio.sleep(0)
    await settle()
    subscriber = next(iter(legacy._subscribers.values()))
    assert [n.params.uri for n in session.sent] == [URI]  # the first, stuck in a client that does not read
    assert list(subscriber.pending.events) == [ResourceUpdated(URI)]
    session.gate.set()
    await settle()
    assert [n.params.uri for n in session.sent] == [URI, URI]  # 100 ticks, 2 notifications: the rest were conflated
    await session._connection.exit_stack.aclose()  # the session ends
    await settle()
    assert rig.hub.held() == frozenset()
    assert legacy.sessions() == 0
    assert rig.fanout.watched() == {}


async def test_unsubscribe_releases_and_bad_uris_are_refused_before_anything(rig: Rig) -> None:
    legacy = LegacySubscriptions(rig.fanout)
    session = GatedSession(free=10)
    for bad in ("kiwoom://quote/A005930", "kiwoom://trades/005930", "file:///etc/passwd", "kiwoom://quote/"):
        with pytest.raises(MCPError) as raised:
            await legacy.subscribe(context(session), types.SubscribeRequestParams(uri=bad))
        assert raised.value.error.code == types.INVALID_PARAMS
    assert rig.feed.starts == 0
    assert legacy.sessions() == 0
    await legacy.subscribe(context(session), types.SubscribeRequestParams(uri=URI))
    await legacy.unsubscribe(context(session), types.UnsubscribeRequestParams(uri=URI))
    await legacy.unsubscribe(context(session), types.UnsubscribeRequestParams(uri=URI))  # twice: harmless
    assert rig.hub.held() == frozenset()
    assert rig.fanout.watched() == {}
    rig.feed.push(QUOTE, "005930")
    await settle()
    assert session.sent == []


async def test_a_slow_listen_stream_conflates_and_closes_gracefully(rig: Rig) -> None:
    listen = LiveListen(rig.fanout.bus, rig.fanout)
    session = GatedSession(free=2)  # the acknowledgment and one event go out, then the client stops reading
    notifications = types.SubscriptionFilter(resource_subscriptions=[URI, "kiwoom://quote/nope"])
    stream = asyncio.create_task(
        listen(context(session), types.SubscriptionsListenRequestParams(notifications=notifications))
    )
    await settle()
    ack = session.sent[0]
    assert isinstance(ack, types.SubscriptionsAcknowledgedNotification)
    assert ack.params.notifications.resource_subscriptions == [URI]
    assert rig.hub.held() == {(QUOTE, "005930")}
    for _ in range(100):
        rig.feed.push(QUOTE, "005930")
        await asyncio.sleep(0)
    await settle()
    assert len(session.sent) == 3  # ack, one event, one stuck in the transport
    session.gate.set()
    await settle()
    assert len(session.sent) == 4  # and one pending: 100 ticks, 3 events
    event = session.sent[1]
    assert isinstance(event, types.ResourceUpdatedNotification)
    assert str(event.params.uri) == URI
    assert event.params.meta is not None
    assert event.params.meta[SUBSCRIPTION_ID_META_KEY] == 7
    listen.close()
    result = await asyncio.wait_for(stream, 1)
    assert result.meta is not None
    assert result.meta[SUBSCRIPTION_ID_META_KEY] == 7
    assert rig.hub.held() == frozenset()
    assert listen.streams() == 0


async def test_a_cancelled_listen_stream_releases_its_codes(rig: Rig) -> None:
    listen = LiveListen(rig.fanout.bus, rig.fanout)
    notifications = types.SubscriptionFilter(resource_subscriptions=["kiwoom://orderbook/000660"])
    stream = asyncio.create_task(
        listen(context(GatedSession(free=5)), types.SubscriptionsListenRequestParams(notifications=notifications))
    )
    await settle()
    assert rig.hub.held() == {(ORDERBOOK, "000660")}
    stream.cancel()  # the client went away
    with contextlib.suppress(asyncio.CancelledError):
        await stream
    assert rig.hub.held() == frozenset()
    assert listen.streams() == 0


def test_uris_and_pairs_round_trip() -> None:
    assert pair_of("kiwoom://quote/005930") == (QUOTE, "005930")
    assert pair_of("kiwoom://orderbook/005930_NX") == (ORDERBOOK, "005930_NX")
    assert uri_of((ORDERBOOK, "000660")) == "kiwoom://orderbook/000660"
    assert uri_of(("0s", "")) is None
    with pytest.raises(InvalidInputError, match="uri"):
        pair_of("kiwoom://quote/삼성전자")  # a URI names a code, never a name


CALENDAR = {
    "market_open": True,
    "status": "OPEN",
    "session": "regular",
    "session_name": "정규장",
    "reason": "정규장",
    "source": "calendar",
    "simulated": False,
    "basis": "KRX 거래 달력과 현재 시각 (시세 TR 없음)",
}


def test_pre_open_code_keeps_the_calendars_pre_open_session() -> None:
    """0 covers both sessions of 08:30-09:00; the calendar tells which, while it agrees the market is pre-open."""
    pre_market = {**CALENDAR, "session": "pre_market_close_price"}
    assert with_operation(pre_market, {"operation_code": "0"}, simulated=False)["session"] == "pre_market_close_price"
    assert with_operation(CALENDAR, {"operation_code": "0"}, simulated=False)["session"] == "opening_auction"


def test_an_announcement_sets_the_session_and_keeps_the_calendars_beside_it() -> None:
    closed = with_operation(
        CALENDAR, {"operation_code": "d", "operation": "KRX 시간외 단일가 마감", "announced_at": "x"}, simulated=False
    )
    assert (closed["market_open"], closed["status"], closed["session"], closed["source"]) == (
        False,
        "CLOSED",
        "closed",
        "stream",
    )
    assert closed["reason"] == "KRX 시간외 단일가 마감"
    assert closed["calendar_session"] == "regular"
    nextrade = with_operation(CALENDAR, {"operation_code": "R", "operation": "NXT 메인마켓 시작"}, simulated=True)
    assert nextrade["source"] == "calendar"
    assert nextrade["session"] == "regular"
    assert nextrade["operation"]["operation_code"] == "R"
    assert "calendar_session" not in nextrade
