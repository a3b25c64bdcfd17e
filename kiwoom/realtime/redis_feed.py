"""``RedisFeed``: every worker of one app key reads ticks from a single upstream WebSocket.

Kiwoom allows one real-time socket per app key; with several workers behind one port one
of them, the leader, holds it (keys and scripts: :mod:`~kiwoom.state.redis.stream_leader`).

* **Election.** Every ``lease_s / 3`` each worker claims: take the lock if free, extend it if
  its own. A killed leader stops renewing, its lock lapses ``lease_s`` after the last
  renewal, and the next follower's claim (at most ``lease_s / 3`` later) takes it and opens
  one new socket: takeover ≤ ``4/3 · lease_s`` plus a round trip (≈ 6.7 s by default).
* **Wants.** Each worker keeps a lease on each pair it wants (renewed at each claim, lapsing
  ``wants_lease_s`` after it dies) and announces changes on the control channel; the leader
  reconciles on each announcement and at each claim (the net for a lost message): the
  stream wants the union and drops what nobody wants.
* **Ticks.** The leader queues its stream's ticks, conflated per pair so a slow Redis never
  grows memory, and publishes them; every worker, the leader included, delivers what it
  receives, so all see the same ticks. Pub/sub, not Streams: a live quote is worth only its
  latest value, so at-most-once with no backlog, retention or consumer offsets fits; a
  worker that missed a tick takes the next, and a tick's age tells the tools to use REST.
* **Status.** The leader writes its stream's status as a heartbeat at each claim; a follower
  reports it, or ``down`` when none came within ``lease_s``.
* **Redis down.** When a claim, want or publish cannot reach Redis, the worker runs its own
  stream (``role="local"``: one socket per process, as without Redis), delivers directly
  and logs it once; when Redis answers, it rejoins and closes its socket unless it leads.
  Every Redis call goes through :class:`~kiwoom.state.degrading.StorageHealth`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Literal

from redis.asyncio.client import PubSub

from kiwoom.periodic import Periodic
from kiwoom.realtime.feed import FeedStatus, Listeners, Pair, TickFeed, TickListener
from kiwoom.realtime.ticks import Tick
from kiwoom.state.degrading import StorageHealth
from kiwoom.state.redis.link import RedisLink
from kiwoom.state.redis.stream_leader import (
    WANTS_CHANGED,
    RedisStreamLeader,
    checked_pair,
    close_pubsub,
    decode_status,
    decode_tick,
    encode_status,
    encode_tick,
)

logger = logging.getLogger("kiwoom.realtime.redis_feed")

Role = Literal["leader", "follower", "local"]
#: How long one pub/sub read waits before the listener checks whether it must stop.
RECEIVE_S = 0.25
#: How long :meth:`RedisFeed.stop` waits for its tasks to notice before cancelling them.
STOP_WAIT_S = 1.0


async def _none() -> None:
    return None


async def _false() -> bool:
    return False


async def _unreachable() -> int:
    return -1


class RedisFeed:
    """A :class:`~kiwoom.realtime.feed.TickFeed` shared by every worker of one app key through Redis."""

    def __init__(
        self,
        link: RedisLink,
        app_key: str,
        worker_id: str,
        stream_factory: Callable[[], TickFeed],
        *,
        lease_s: float = 5.0,
        wants_lease_s: float | None = None,
        health: StorageHealth | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.worker_id = worker_id
        self.lease_s = lease_s
        self._interval_s = lease_s / 3
        self._shared = RedisStreamLeader(
            link, app_key, worker_id, lease_s=lease_s, wants_lease_s=wants_lease_s or 3 * lease_s
        )
        self._health = health or StorageHealth(link)
        self._factory, self._clock = stream_factory, clock
        self._role: Role = "follower"
        self._stream: TickFeed | None = None
        self._unlisten: Callable[[], None] | None = None
        self._upstream: set[Pair] = set()  # what this worker's stream was asked for
        self._wants: set[Pair] = set()  # what this worker's own consumers want
        self._listeners: Listeners[Tick] = Listeners()
        self._heartbeat: FeedStatus | None = None
        self._heard_at: float | None = None
        self._last_tick_at: float | None = None
        self._outbox: dict[Pair, Tick] = {}
        self._outbox_ready = asyncio.Event()
        self._reconcile_due = asyncio.Event()
        self._stopping = asyncio.Event()
        self._lock = asyncio.Lock()  # one state change at a time: claims, wants, reconciles
        self._pubsub: PubSub | None = None
        self._beat: Periodic | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.streams_opened = 0

    # ------------------------------------------------------------------ TickFeed

    async def start(self) -> None:
        """Subscribe and run the first claim now (a few bounded round trips), then keep claiming in the background."""
        if self._beat is not None:
            return
        self._stopping.clear()
        await self._health.attempt(self._subscribe, _none)
        await self._claim()
        self._tasks = [
            asyncio.create_task(self._listen(), name="kiwoom-stream-fanin"),
            asyncio.create_task(self._publish(), name="kiwoom-stream-fanout"),
            asyncio.create_task(self._reconciler(), name="kiwoom-stream-reconcile"),
        ]
        self._beat = Periodic(self._claim, self._interval_s, name="kiwoom-stream-leader")

    async def stop(self) -> None:
        """Hand the socket over: release the lock, withdraw this worker's wants, close the stream."""
        await self._halt(graceful=True)

    async def want(self, pairs: Iterable[Pair]) -> None:
        new = [checked_pair(pair) for pair in pairs]
        async with self._lock:
            self._wants.update(new)
            if self._role != "local":
                await self._tell(functools.partial(self._shared.hold_wants, new))
            if self._role == "local":
                await self._ask_upstream(new)

    async def drop(self, pairs: Iterable[Pair]) -> None:
        gone = set(pairs)
        async with self._lock:
            self._wants -= gone
            if self._role != "local":
                await self._tell(functools.partial(self._shared.drop_wants, gone))
            if self._role == "local" and self._stream is not None:
                await self._stream.drop(gone & self._upstream)  # alone, nobody else's wants are known
                self._upstream -= gone

    async def _tell(self, change: Callable[[], Awaitable[None]]) -> None:
        """Record a change of this worker's wants and tell the leader; go it alone when Redis is down."""

        async def shared() -> bool:
            await change()
            await self._shared.announce(WANTS_CHANGED)
            return True

        if not await self._health.attempt(shared, _false):
            await self._go_local()
        elif self._role == "leader":
            await self._reconcile()

    def add_listener(self, listener: TickListener) -> Callable[[], None]:
        return self._listeners.add(listener)

    def status(self) -> FeedStatus:
        if self._beat is None:
            return FeedStatus("stopped", role=self._role)
        if self._stream is not None and self._role != "follower":
            return dataclasses.replace(self._stream.status(), role=self._role)
        heard, beat = self._heartbeat, self._heard_at
        if heard is None or beat is None or self._clock() - beat > self.lease_s:
            return FeedStatus("down", role="follower", last_error="리더의 실시간 연결 상태 신호 없음")
        last = max(filter(None, (heard.last_message_at, self._last_tick_at)), default=None)
        return dataclasses.replace(heard, role="follower", last_message_at=last)

    def wanted(self) -> frozenset[Pair]:
        """This worker's own wants (the leader registers the union of every worker's)."""
        return frozenset(self._wants)

    # ------------------------------------------------------------------ election

    async def _claim(self) -> bool:
        """One renewal: refresh this worker's wants, take or keep the lock, act on who holds it."""
        try:
            async with self._lock:
                if self._stopping.is_set():
                    return False
                await self._claim_locked()
        except Exception:  # the loop must outlive a bad stream factory or listener
            logger.exception("실시간 리더 선출 처리 중 오류")
        return True

    async def _claim_locked(self) -> None:
        heartbeat = encode_status(self._stream.status() if self._stream else FeedStatus("connecting"))

        async def shared() -> tuple[str, str | None]:
            await self._shared.hold_wants(self._wants)
            return await self._shared.claim(heartbeat)

        claimed = await self._health.attempt(shared, _none)
        if claimed is None:
            await self._go_local()
            return
        holder, status = claimed
        was = self._role
        if was == "local":
            logger.warning("Redis 재연결: 실시간 시세 소켓을 다시 작업자들과 공유합니다")
        if holder == self.worker_id:
            if self._stream is None:
                await self._open_stream()
            self._role = "leader"
            if was != "leader":
                logger.info("실시간 시세 리더가 되었습니다 (작업자 %s)", self.worker_id)
            await self._reconcile()
            return
        if was == "leader":
            logger.warning("실시간 시세 리더 자격을 잃었습니다: 소켓을 닫습니다 (새 리더 %s)", holder)
        if self._stream is not None:
            await self._close_stream()
        self._role = "follower"
        self._heartbeat, self._heard_at = decode_status(status), self._clock()
        if was == "local":
            await self._health.attempt(self._shared.announce, _none)  # the leader learns our wants now

    async def _go_local(self) -> None:
        """Redis is unreachable: this process keeps (or opens) its own socket for its own wants."""
        if self._role != "local":
            logger.warning("Redis 연결 실패: 실시간 시세를 이 프로세스의 소켓으로 직접 받습니다 (복구되면 다시 공유)")
        self._role = "local"
        self._heartbeat = None
        if self._stream is None and not self._stopping.is_set():
            await self._open_stream()
        await self._ask_upstream(self._wants)

    async def _open_stream(self) -> None:
        stream = self._factory()
        self._unlisten = stream.add_listener(self._from_stream)
        self._stream, self._upstream = stream, set()
        self.streams_opened += 1
        await stream.start()

    async def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        self._upstream = set()
        self._outbox.clear()
        if stream is not None:
            await stream.stop()

    async def _ask_upstream(self, pairs: Iterable[Pair]) -> None:
        new = set(pairs) - self._upstream
        if self._stream is not None and new:
            await self._stream.want(sorted(new))
            self._upstream |= new

    async def _reconcile(self) -> None:
        """Leader only: the stream wants the union of live wants and drops what nobody wants."""
        union = await self._health.attempt(self._shared.live_wants, _none)
        stream = self._stream
        if union is None or stream is None or self._role == "follower":
            return
        wanted = union | self._wants
        new, gone = wanted - self._upstream, self._upstream - wanted
        if new:
            await stream.want(sorted(new))
        if gone:
            await stream.drop(sorted(gone))
        self._upstream = wanted

    async def _reconciler(self) -> None:
        while True:
            await self._reconcile_due.wait()
            self._reconcile_due.clear()
            if self._stopping.is_set():
                return
            try:
                async with self._lock:
                    if self._role == "leader":
                        await self._reconcile()
            except Exception:
                logger.exception("실시간 구독 조정 중 오류")

    # ------------------------------------------------------------------ ticks

    def _from_stream(self, tick: Tick) -> None:
        if self._role == "local":
            self._deliver(tick)
        elif self._role == "leader":
            self._outbox.pop(tick.key, None)  # conflate: the latest per pair, moved to the back
            self._outbox[tick.key] = tick
            self._outbox_ready.set()

    async def _publish(self) -> None:
        while True:
            await self._outbox_ready.wait()
            self._outbox_ready.clear()
            if self._stopping.is_set():
                return
            batch = list(self._outbox.values())
            self._outbox.clear()
            if not batch:
                continue
            send = functools.partial(self._shared.publish_ticks, [encode_tick(tick) for tick in batch])
            if await self._health.attempt(send, _unreachable) < 0:
                for tick in batch:  # this worker still sees them; the next claim goes local
                    self._deliver(tick)

    async def _subscribe(self) -> None:
        if self._pubsub is None:
            self._pubsub = await self._shared.subscribe()

    async def _receive(self) -> tuple[bool, tuple[str, str] | None]:
        await self._subscribe()
        assert self._pubsub is not None
        return True, await self._shared.receive(self._pubsub, RECEIVE_S)

    async def _listen(self) -> None:
        async def broken() -> tuple[bool, tuple[str, str] | None]:
            return False, None

        while not self._stopping.is_set():
            ok, message = await self._health.attempt(self._receive, broken)
            if not ok:
                await self._close_pubsub()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self._interval_s)
            elif message is not None:
                self._dispatch(*message)

    def _dispatch(self, channel: str, data: str) -> None:
        if channel == self._shared.control_channel:
            if data == WANTS_CHANGED and self._role == "leader":
                self._reconcile_due.set()
        elif channel == self._shared.ticks_channel and self._role != "local":
            tick = decode_tick(data)
            if tick is not None:
                self._last_tick_at = self._clock()
                self._deliver(tick)

    def _deliver(self, tick: Tick) -> None:
        self._listeners.notify(tick)

    # ------------------------------------------------------------------ shutdown

    async def _close_pubsub(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            await close_pubsub(pubsub)

    async def _halt(self, *, graceful: bool) -> None:
        """Stop every task; ``graceful=False`` leaves the lock and wants to lapse, as a killed worker does."""
        self._stopping.set()
        self._outbox_ready.set()
        self._reconcile_due.set()
        tasks, self._tasks = self._tasks, []
        if tasks:  # let a pending pub/sub read end by itself: a cancelled read can look like a Redis failure
            _, pending = await asyncio.wait(tasks, timeout=STOP_WAIT_S)
            for task in pending:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        async with self._lock:
            # Under the lock no claim is half-way through a Redis call, so cancelling the loop
            # cannot turn into a "Redis failed" that would open a local socket or skip the release.
            beat, self._beat = self._beat, None
            if beat is not None:
                await beat.stop()
            if graceful:
                await self._health.attempt(self._leave, _none)
            await self._close_stream()
            await self._close_pubsub()
            self._role, self._heartbeat = "follower", None

    async def _leave(self) -> None:
        if self._role == "leader":
            await self._shared.release()
        if self._wants:
            await self._shared.drop_wants(self._wants)
            await self._shared.announce(WANTS_CHANGED)
