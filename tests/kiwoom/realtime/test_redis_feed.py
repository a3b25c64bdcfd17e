"""One upstream socket per app key across workers: a leased leader, wants in Redis, ticks over pub/sub.

Each "worker" is a :class:`RedisFeed` with its own :class:`RedisLink` (as separate processes
have), all in one namespace of the shared test Redis. The upstream is a scripted feed that
counts how many were started (each is one socket) and records what it was asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterable

import httpx2
import pytest
import redis.asyncio as aioredis

from fake_kiwoom import create_app
from fake_kiwoom.websocket import WS_PATH
from kiwoom.realtime.connector import NetworkConnector
from kiwoom.realtime.feed import FeedStatus, Pair, TickFeed, TickListener
from kiwoom.realtime.redis_feed import RedisFeed
from kiwoom.realtime.stream import RealtimeStream
from kiwoom.realtime.ticks import QUOTE, Tick
from kiwoom.state.redis import RedisLink
from kiwoom.state.redis.tokens import app_key_id
from kiwoom_lab.loopback import free_port, serve
from tests.support.fake import unlimited
from tests.support.redis import namespace, private_redis, shared_redis_url
from tests.support.streams import FAST_STREAM, FAST_WS, FakeTokens, RunningClock, until

pytestmark = [pytest.mark.anyio, pytest.mark.realtime]

LEASE_S = 0.3  # claims every 0.1 s: a takeover fits in a test
APP_KEY = "app-key"
SAMSUNG: Pair = (QUOTE, "005930")
HYNIX: Pair = (QUOTE, "000660")
NAVER: Pair = (QUOTE, "035420")


class ScriptedUpstream:
    """One upstream socket: records wants and drops; the test pushes its ticks."""

    def __init__(self) -> None:
        self.running = False
        self.wanted: set[Pair] = set()
        self.listeners: list[TickListener] = []
        self.seq = 0

    async def start(self) -> None:
        self.running = True

    async def stop(self) -> None:
        self.running = False

    async def want(self, pairs: Iterable[Pair]) -> None:
        self.wanted |= set(pairs)

    async def drop(self, pairs: Iterable[Pair]) -> None:
        self.wanted -= set(pairs)

    def add_listener(self, listener: TickListener) -> Callable[[], None]:
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)

    def status(self) -> FeedStatus:
        return FeedStatus("up" if self.running else "stopped", since=1.0, last_message_at=2.0, subscribed=3)

    def push(self, pair: Pair, price: str) -> Tick:
        self.seq += 1
        tick = Tick(pair[0], pair[1], {"10": price}, 1_700_000_000.5, self.seq)
        for listener in list(self.listeners):
            listener(tick)
        return tick


class Upstreams:
    """The stream factory every worker shares: each call is one upstream socket opened."""

    def __init__(self) -> None:
        self.built: list[ScriptedUpstream] = []

    def __call__(self) -> TickFeed:
        self.built.append(ScriptedUpstream())
        return self.built[-1]

    @property
    def live(self) -> list[ScriptedUpstream]:
        return [stream for stream in self.built if stream.running]


class Workers:
    def __init__(self, url: str, ns: str, upstreams: Upstreams) -> None:
        self.url, self.ns, self.upstreams = url, ns, upstreams
        self.feeds: list[RedisFeed] = []
        self.links: list[RedisLink] = []
        self.seen: list[list[Tick]] = []

    async def add(self, factory: Callable[[], TickFeed] | None = None) -> RedisFeed:
        link = RedisLink(self.url, namespace=self.ns)
        feed = RedisFeed(link, APP_KEY, f"worker-{len(self.feeds)}", factory or self.upstreams, lease_s=LEASE_S)
        seen: list[Tick] = []
        feed.add_listener(seen.append)
        self.links.append(link)
        self.feeds.append(feed)
        self.seen.append(seen)
        await feed.start()
        return feed

    def leaders(self) -> list[RedisFeed]:
        return [feed for feed in self.feeds if feed.status().role == "leader"]


@contextlib.asynccontextmanager
async def workers(count: int, factory: Callable[[], TickFeed] | None = None) -> AsyncIterator[Workers]:
    url, ns = shared_redis_url(), namespace()
    group = Workers(url, ns, Upstreams())
    try:
        for _ in range(count):
            await group.add(factory)
        yield group
    finally:
        await asyncio.gather(*(feed.stop() for feed in group.feeds))
        for link in group.links:
            await link.close()
        redis = aioredis.Redis.from_url(url)
        keys = [k async for k in redis.scan_iter(f"{ns}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


async def kill(feed: RedisFeed) -> None:
    """As ``kill -9``: the tasks and the socket end, the lock and wants are left to lapse."""
    await feed._halt(graceful=False)


@pytest.mark.parametrize("count", [2, 3])
async def test_the_workers_of_one_app_key_open_exactly_one_upstream_socket(count: int) -> None:
    async with workers(count) as group:
        await until(lambda: all(feed.status().role == "follower" for feed in group.feeds[1:]))
        await until(lambda: all(feed.status().state == "up" for feed in group.feeds))  # followers read the heartbeat
        assert [feed.status().role for feed in group.feeds] == ["leader"] + ["follower"] * (count - 1)
        for _ in range(3):  # claims keep coming, the socket count stays
            await group.feeds[-1]._claim()
        assert len(group.upstreams.built) == 1
        assert group.feeds[1].status().subscribed == 3  # the leader's stream status, as its heartbeat says


async def test_ticks_from_the_leaders_socket_reach_every_worker() -> None:
    async with workers(3) as group:
        await group.feeds[2].want([SAMSUNG])
        await until(lambda: SAMSUNG in group.upstreams.built[0].wanted)
        tick = group.upstreams.built[0].push(SAMSUNG, "+70100")
        await until(lambda: all(group.seen))
        assert group.seen == [[tick]] * 3  # the same tick, seq and all, in every worker


async def test_a_pair_stays_upstream_until_every_worker_dropped_it() -> None:
    async with workers(3) as group:
        leader, first, second = group.feeds
        upstream = group.upstreams.built[0]
        await first.want([SAMSUNG, HYNIX])
        await second.want([SAMSUNG])
        await until(lambda: upstream.wanted == {SAMSUNG, HYNIX})
        await first.drop([SAMSUNG, HYNIX])
        await until(lambda: upstream.wanted == {SAMSUNG})
        await leader._claim()  # a reconcile on the safety-net path changes nothing
        assert upstream.wanted == {SAMSUNG}
        await second.drop([SAMSUNG])
        await until(lambda: not upstream.wanted)


async def test_a_bad_pair_fails_in_the_worker_that_asked() -> None:
    async with workers(2) as group:
        with pytest.raises(ValueError, match="0B"):
            await group.feeds[1].want([("XX", "005930")])  # type: ignore[list-item]


async def test_a_killed_leader_is_replaced_by_one_new_socket_wanting_the_union() -> None:
    async with workers(3) as group:
        leader, first, second = group.feeds
        await leader.want([NAVER])
        await first.want([SAMSUNG])
        await second.want([HYNIX])
        await until(lambda: group.upstreams.built[0].wanted == {NAVER, SAMSUNG, HYNIX})
        await kill(leader)
        await until(lambda: len(group.leaders()) == 1, timeout_s=LEASE_S * 4 + 2)
        assert len(group.upstreams.built) == 2
        assert len(group.upstreams.live) == 1
        replacement = group.upstreams.live[0]
        await until(lambda: {SAMSUNG, HYNIX} <= replacement.wanted)
        await until(lambda: NAVER not in replacement.wanted, timeout_s=3 * LEASE_S + 2)  # the dead worker's want lapses
        tick = replacement.push(HYNIX, "+180000")
        await until(lambda: tick in group.seen[1] and tick in group.seen[2])
        assert tick not in group.seen[0]


async def test_a_stopped_leader_hands_the_socket_over() -> None:
    async with workers(2) as group:
        leader, follower = group.feeds
        await follower.want([SAMSUNG])
        await leader.stop()
        assert leader.status().state == "stopped"
        await until(lambda: follower.status().role == "leader")
        assert len(group.upstreams.live) == 1
        await until(lambda: group.upstreams.live[0].wanted == {SAMSUNG})


async def test_a_follower_without_a_leader_heartbeat_reports_the_stream_down() -> None:
    async with workers(0) as group:
        probe = RedisLink(group.url, namespace=group.ns)
        group.links.append(probe)
        lock = probe.key("stream-leader", app_key_id(APP_KEY))
        await probe.redis.set(lock, "a-worker-that-never-beats", px=60_000)
        follower = await group.add()
        status = follower.status()
        assert (status.role, status.state) == ("follower", "down")
        assert group.upstreams.built == []


async def test_without_redis_each_worker_runs_its_own_socket(caplog: pytest.LogCaptureFixture) -> None:
    upstreams = Upstreams()
    link = RedisLink(f"redis://127.0.0.1:{free_port()}/0", namespace=namespace(), timeout_s=0.2)
    feed = RedisFeed(link, APP_KEY, "alone", upstreams, lease_s=LEASE_S)
    seen: list[Tick] = []
    feed.add_listener(seen.append)
    caplog.set_level(logging.WARNING, logger="kiwoom.realtime.redis_feed")
    try:
        await feed.start()
        await feed.want([SAMSUNG])
        await feed._claim()
        assert feed.status().role == "local"
        assert len(upstreams.built) == 1
        assert upstreams.built[0].wanted == {SAMSUNG}
        tick = upstreams.built[0].push(SAMSUNG, "+70000")
        assert seen == [tick]  # delivered in-process, no Redis on the way
        await feed.drop([SAMSUNG])
        assert upstreams.built[0].wanted == set()
        alone = [r for r in caplog.records if "이 프로세스의 소켓" in r.getMessage()]
        assert len(alone) == 1  # said once, not at every claim
    finally:
        await feed.stop()
        await link.close()
    assert upstreams.live == []


async def test_workers_go_it_alone_while_redis_is_down_and_share_one_socket_again_after() -> None:
    port, ns, upstreams = free_port(), namespace(), Upstreams()
    links = [RedisLink(f"redis://127.0.0.1:{port}/0", namespace=ns, timeout_s=0.3, retry_s=0.05) for _ in range(2)]
    feeds = [RedisFeed(link, APP_KEY, f"w{i}", upstreams, lease_s=LEASE_S) for i, link in enumerate(links)]
    seen: list[Tick] = []
    feeds[1].add_listener(seen.append)
    try:
        with private_redis(port) as server:
            for feed in feeds:
                await feed.start()
            await feeds[1].want([SAMSUNG])
            server.kill()
            server.wait(timeout=10)
            await until(lambda: [feed.status().role for feed in feeds] == ["local", "local"])
            assert len(upstreams.live) == 2  # one socket per process, as without Redis
            assert upstreams.live[1].wanted == {SAMSUNG}
        with private_redis(port):
            await until(lambda: sorted(feed.status().role for feed in feeds) == ["follower", "leader"])
            assert (len(upstreams.built), len(upstreams.live)) == (2, 1)  # the winner kept its socket
            await until(lambda: SAMSUNG in upstreams.live[0].wanted)

            async def delivered() -> None:
                while not seen:
                    upstreams.live[0].push(SAMSUNG, "+70500")
                    await asyncio.sleep(0.05)

            await asyncio.wait_for(delivered(), 3)
            await asyncio.gather(*(feed.stop() for feed in feeds))
    finally:
        await asyncio.gather(*(feed.stop() for feed in feeds))
        for link in links:
            await link.close()


async def test_two_workers_on_the_fakes_socket_log_in_once_and_both_get_ticks() -> None:
    app = create_app(unlimited(), clock=RunningClock())
    app.state.ws_settings = FAST_WS
    with serve(app) as base:
        async with httpx2.AsyncClient(base_url=base) as http:
            tokens = FakeTokens(http)
            url = base.replace("http://", "ws://") + WS_PATH

            def real_stream() -> TickFeed:
                return RealtimeStream(url, tokens, NetworkConnector(2.0), config=FAST_STREAM)

            async with workers(2, real_stream) as group:
                await group.feeds[1].want([SAMSUNG])
                await until(lambda: all(any(t.key == SAMSUNG for t in seen) for seen in group.seen), timeout_s=5)
                assert group.feeds[1].status().role == "follower"
        logins = [e for e in app.state.journal.entries() if e.path == WS_PATH and e.api_id == "LOGIN"]
        assert len(logins) == 1
