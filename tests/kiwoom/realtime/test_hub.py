"""LiveHub over a scripted feed: lazy start, use and holds, the sweep, trust in a tick, first-tick wait, 0s."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from kiwoom.realtime.feed import Pair
from kiwoom.realtime.hub import OPERATION_PAIR, LiveHub
from kiwoom.realtime.ticks import MARKET_OPERATION, ORDERBOOK, QUOTE
from tests.support.clock import FakeTime
from tests.support.feeds import ScriptedFeed
from tests.support.streams import until

pytestmark = pytest.mark.anyio

SAMSUNG: Pair = (QUOTE, "005930")
HYNIX: Pair = (QUOTE, "000660")
BOOK: Pair = (ORDERBOOK, "005930")


@dataclass
class Rig:
    hub: LiveHub
    feed: ScriptedFeed
    time: FakeTime
    built: list[ScriptedFeed]


def make(wait_s: float = 0.05, market_operation: bool = False, auto_up: bool = True) -> Rig:
    t = FakeTime()
    feed = ScriptedFeed(t.clock, auto_up=auto_up)
    hub = LiveHub(stale_s=5, unused_s=300, first_tick_wait_s=wait_s, clock=t.clock, market_operation=market_operation)
    built: list[ScriptedFeed] = []

    def factory() -> ScriptedFeed:
        built.append(feed)
        return feed

    hub.attach(factory)
    return Rig(hub, feed, t, built)


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    r = make()
    yield r
    await r.hub.close()


async def test_nothing_starts_until_the_first_read(rig: Rig) -> None:
    assert rig.built == []
    assert rig.hub.started is False
    await rig.hub.read(SAMSUNG)
    await rig.hub.read(SAMSUNG)
    await rig.hub.read(HYNIX)
    assert rig.built == [rig.feed]
    assert rig.feed.starts == 1
    assert rig.feed.wants == [SAMSUNG, HYNIX]  # want once per pair, however often read


async def test_disabled_hub_answers_stream_disabled_and_builds_nothing() -> None:
    hub = LiveHub(stale_s=5, unused_s=300, first_tick_wait_s=1)
    hub.attach(None)
    reading = await hub.read(SAMSUNG)
    assert (reading.tick, reading.reason, reading.status) == (None, "stream_disabled", None)
    assert hub.enabled is False
    assert hub.started is False


async def test_a_tick_answers_with_its_age(rig: Rig) -> None:
    await rig.hub.read(SAMSUNG)
    tick = rig.feed.push(QUOTE, "005930")
    rig.time.advance(1.5)
    rig.feed.ping()
    reading = await rig.hub.read(SAMSUNG)
    assert reading.tick is tick
    assert reading.reason is None
    assert reading.age_s == pytest.approx(1.5)
    assert reading.status is not None
    assert reading.status.state == "up"


async def test_the_first_read_waits_for_the_first_tick() -> None:
    r = make(wait_s=2.0)

    async def tick_soon() -> None:
        await until(lambda: SAMSUNG in r.feed.wanted)
        r.feed.push(QUOTE, "005930")

    pusher = asyncio.create_task(tick_soon())
    reading = await asyncio.wait_for(r.hub.read(SAMSUNG), 1.0)  # answered by the tick, not by the 2 s wait
    await pusher
    assert reading.tick is not None
    assert reading.reason is None
    await r.hub.close()


async def test_up_and_pinging_without_a_tick_means_no_trade_and_waits_only_once() -> None:
    """A closed market: the stream is healthy, the code is silent. REST answers, without a wait each time."""
    r = make(wait_s=3.0)
    await r.hub.use(SAMSUNG)
    r.time.advance(4)  # the first-tick window has passed
    r.feed.ping()
    reading = await asyncio.wait_for(r.hub.read(SAMSUNG), 1.0)
    assert (reading.tick, reading.reason) == (None, "no_tick")
    await r.hub.close()


async def test_down_or_silent_stream_is_not_trusted(rig: Rig) -> None:
    await rig.hub.read(SAMSUNG)
    rig.feed.push(QUOTE, "005930")
    rig.time.advance(5.5)  # past stale_s with no frame at all
    assert (await rig.hub.read(SAMSUNG)).reason == "stream_stale"
    rig.feed.ping()
    assert (await rig.hub.read(SAMSUNG)).reason is None
    rig.feed.down()
    reading = await rig.hub.read(SAMSUNG)
    assert (reading.tick, reading.reason) == (None, "stream_down")
    assert reading.status is not None
    assert reading.status.last_error == "cut by test"


async def test_a_tick_from_before_a_reconnect_is_not_used(rig: Rig) -> None:
    await rig.hub.read(SAMSUNG)
    rig.feed.push(QUOTE, "005930")
    rig.time.advance(1)
    rig.feed.up()  # reconnected: what changed during the gap is unknown
    assert (await rig.hub.read(SAMSUNG)).reason == "no_tick"
    fresh = rig.feed.push(QUOTE, "005930", origin="backfill")
    reading = await rig.hub.read(SAMSUNG)
    assert reading.tick is fresh
    assert reading.tick.origin == "backfill"


async def test_unused_pairs_are_dropped_held_ones_kept(rig: Rig) -> None:
    await rig.hub.read(SAMSUNG)
    await rig.hub.hold(HYNIX)
    await rig.hub.hold(HYNIX)
    rig.time.advance(299)
    assert await rig.hub.sweep() == []
    rig.time.advance(2)
    assert await rig.hub.sweep() == [SAMSUNG]
    assert rig.feed.drops == [SAMSUNG]
    assert rig.hub.wanted() == {HYNIX}
    rig.hub.release(HYNIX)
    rig.time.advance(1000)
    assert await rig.hub.sweep() == []  # still one holder
    rig.hub.release(HYNIX)
    rig.hub.release(HYNIX)  # one release too many is harmless
    rig.time.advance(299)
    assert await rig.hub.sweep() == []  # the last release counts as a use
    rig.time.advance(2)
    assert await rig.hub.sweep() == [HYNIX]
    assert rig.hub.wanted() == frozenset()
    assert rig.hub.held() == frozenset()


async def test_a_read_after_a_drop_wants_again(rig: Rig) -> None:
    await rig.hub.read(SAMSUNG)
    rig.time.advance(301)
    await rig.hub.sweep()
    await rig.hub.read(SAMSUNG)
    assert rig.feed.wants == [SAMSUNG, SAMSUNG]
    assert SAMSUNG in rig.feed.wanted


async def test_forget_drops_at_once_unless_held(rig: Rig) -> None:
    await rig.hub.read(SAMSUNG)
    await rig.hub.hold(HYNIX)
    await rig.hub.forget(SAMSUNG)
    await rig.hub.forget(HYNIX)
    assert rig.feed.drops == [SAMSUNG]
    assert rig.hub.wanted() == {HYNIX}


async def test_listeners_hear_wanted_pairs_and_only_the_latest_is_kept(rig: Rig) -> None:
    heard: list[Pair] = []
    remove = rig.hub.add_listener(heard.append)
    await rig.hub.read(SAMSUNG)
    for price in range(70_000, 70_500, 100):
        rig.feed.wanted[BOOK] = None  # a pair someone else wants on a shared feed
        rig.feed.push(QUOTE, "005930", {"10": str(price)})
        rig.feed.push(ORDERBOOK, "005930")
    assert heard == [SAMSUNG] * 5
    reading = await rig.hub.read(SAMSUNG)
    assert reading.tick is not None
    assert reading.tick.values["10"] == "70400"
    assert len(rig.hub._latest) == 1  # one tick per wanted pair, whatever the traffic
    remove()
    rig.feed.push(QUOTE, "005930")
    assert len(heard) == 5


async def test_market_operation_is_wanted_at_start_pinned_and_read_today_only() -> None:
    r = make(market_operation=True)
    assert r.hub.market_operation() is None
    await r.hub.read(SAMSUNG)
    assert r.feed.wants[0] == OPERATION_PAIR
    assert r.hub.market_operation() is None  # no announcement yet: the calendar answers
    tick = r.feed.push(MARKET_OPERATION, "", {"215": "3", "20": "090000"})
    assert r.hub.market_operation() is tick
    r.time.advance(1000)
    assert await r.hub.sweep() == [SAMSUNG]  # 0s stays registered
    r.feed.ping()
    assert r.hub.market_operation() is tick
    r.feed.down()
    assert r.hub.market_operation() is None
    r.feed.up()
    r.time.advance(86_400)
    r.feed.ping()
    assert r.hub.market_operation() is None  # yesterday's announcement says nothing about today
    await r.hub.close()


async def test_without_market_operation_0s_is_never_wanted(rig: Rig) -> None:
    await rig.hub.read(SAMSUNG)
    assert OPERATION_PAIR not in rig.feed.wants
    assert rig.hub.market_operation() is None


async def test_close_stops_the_feed_and_releases_waiting_reads() -> None:
    r = make(wait_s=30.0, auto_up=False)
    reading = asyncio.create_task(r.hub.read(SAMSUNG))
    await until(lambda: SAMSUNG in r.feed.wanted)
    await r.hub.close()
    result = await asyncio.wait_for(reading, 1.0)
    assert result.tick is None
    assert r.feed.stops == 1
    assert r.hub.started is False


async def test_a_feed_that_cannot_be_built_reads_as_down() -> None:
    def broken() -> ScriptedFeed:
        raise RuntimeError("no route to host")

    hub = LiveHub(stale_s=5, unused_s=300, first_tick_wait_s=1)
    hub.attach(broken)
    reading = await hub.read(SAMSUNG)
    assert (reading.tick, reading.reason) == (None, "stream_down")
    assert hub.started is False
