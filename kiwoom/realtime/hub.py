"""``LiveHub``: what the live tools and resources read: the latest tick per pair, with its age and trust.

The hub stands between the MCP layer and a :class:`~kiwoom.realtime.feed.TickFeed`:

* **Lazy.** The feed is built and started on the first live call or subscription, not at
  start-up: a server nobody asks for live data holds no socket (Kiwoom counts sockets per
  app key) and its journal stays as before.
* **Subscribe on use, drop when unused.** A read ``want``\\ s its pair and stamps its use; a
  sweep ``drop``\\ s pairs nobody read for ``unused_s`` unless a resource subscription holds
  them (holds are counted, so two subscribers of one code need two releases).
* **Latest only.** One tick per wanted pair is kept (memory is bounded by what is wanted);
  resource listeners are told *which* pair changed, never handed a queue.
* **Trust.** A tick answers only while the feed is ``up`` and its last frame (``PING``
  included) is younger than ``stale_s``, and only a tick received on the current connection
  (one from before a reconnect may have missed changes). A stream that is up and fresh but
  has no tick for a code means no trade lately (a closed market, say): the caller answers
  from REST and says so (``no_tick``). A newly wanted pair waits up to
  ``first_tick_wait_s`` for its first tick, once: later reads of a silent code answer at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from kiwoom.realtime.feed import FeedStatus, Listeners, Pair, TickFeed
from kiwoom.realtime.ticks import MARKET_OPERATION, Tick
from krx.calendar import KST

logger = logging.getLogger("kiwoom.realtime.hub")

#: Why a read has no usable tick (the live tools put it in ``stream_fallback``).
FallbackReason = Literal["stream_disabled", "stream_down", "stream_stale", "no_tick"]
#: The ``0s`` pair: one item-less registration for the market's phase announcements.
OPERATION_PAIR: Pair = (MARKET_OPERATION, "")
PairListener = Callable[[Pair], None]
FeedFactory = Callable[[], TickFeed]


@dataclass(frozen=True, slots=True)
class Reading:
    """One read of a pair: the tick to answer with, or why there is none, and the feed's state."""

    tick: Tick | None
    reason: FallbackReason | None
    status: FeedStatus | None
    age_s: float | None = None


class LiveHub:
    """Latest ticks of the pairs in use, over one feed started on first use."""

    def __init__(
        self,
        *,
        stale_s: float,
        unused_s: float,
        first_tick_wait_s: float,
        clock: Callable[[], float] = time.time,
        market_operation: bool = False,
    ) -> None:
        self.stale_s, self.unused_s, self.first_tick_wait_s = stale_s, unused_s, first_tick_wait_s
        self._clock = clock
        #: Register ``0s`` (the market's phase) with the first use; pinned, never swept.
        self.wants_market_operation = market_operation
        self._factory: FeedFactory | None = None
        self._feed: TickFeed | None = None
        self._starting = asyncio.Lock()
        self._remove_listener: Callable[[], None] | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._wanted: dict[Pair, float] = {}  # pair -> when it was wanted
        self._last_used: dict[Pair, float] = {}
        self._holds: Counter[Pair] = Counter()
        self._pinned: set[Pair] = set()
        self._latest: dict[Pair, Tick] = {}
        self._arrivals: dict[Pair, asyncio.Event] = {}
        self._listeners: Listeners[Pair] = Listeners()

    # ------------------------------------------------------------------ lifecycle

    def attach(self, factory: FeedFactory | None) -> None:
        """Where the feed comes from once needed; ``None``: the stream is off (reads say ``stream_disabled``)."""
        self._factory = factory

    @property
    def enabled(self) -> bool:
        return self._factory is not None

    @property
    def started(self) -> bool:
        return self._feed is not None

    async def _ensure_started(self) -> TickFeed | None:
        if self._feed is not None or self._factory is None:
            return self._feed
        async with self._starting:
            if self._feed is None and self._factory is not None:
                feed = self._factory()
                self._remove_listener = feed.add_listener(self._on_tick)
                await feed.start()
                self._feed = feed
                if self.wants_market_operation:
                    self._pinned.add(OPERATION_PAIR)
                    self._wanted[OPERATION_PAIR] = self._clock()
                    await feed.want([OPERATION_PAIR])
                self._sweeper = asyncio.get_running_loop().create_task(self._sweep_loop(), name="live-hub-sweep")
                logger.info("실시간 시세 스트림 시작 (첫 실시간 요청)")
        return self._feed

    async def close(self) -> None:
        """Stop the sweep and the feed; waiting reads return at once. The hub may start again later."""
        sweeper, self._sweeper = self._sweeper, None
        if sweeper is not None:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
        feed, self._feed = self._feed, None
        if self._remove_listener is not None:
            self._remove_listener()
            self._remove_listener = None
        for event in self._arrivals.values():
            event.set()
        self._arrivals.clear()
        self._wanted.clear()
        self._last_used.clear()
        self._latest.clear()
        self._pinned.clear()
        if feed is not None:
            await feed.stop()

    # ------------------------------------------------------------------ use and holds

    async def use(self, pair: Pair) -> TickFeed | None:
        """Stamp ``pair`` as used now and make sure it is wanted upstream; the feed (None when off)."""
        feed = await self._ensure_started()
        if feed is None:
            return None
        self._last_used[pair] = self._clock()
        if pair not in self._wanted:
            self._wanted[pair] = self._clock()
            await feed.want([pair])
        return feed

    async def hold(self, pair: Pair) -> None:
        """A subscriber needs ``pair`` until :meth:`release`: the sweep leaves it alone."""
        self._holds[pair] += 1
        await self.use(pair)

    def release(self, pair: Pair) -> None:
        """One holder is done; the pair then lives ``unused_s`` from now unless read again.

        Synchronous, so a session's cleanup can release even while it is being cancelled."""
        if self._holds[pair] <= 1:
            self._holds.pop(pair, None)
        else:
            self._holds[pair] -= 1
        if pair in self._wanted:
            self._last_used[pair] = self._clock()

    def held(self) -> frozenset[Pair]:
        return frozenset(self._holds)

    def wanted(self) -> frozenset[Pair]:
        return frozenset(self._wanted)

    async def forget(self, pair: Pair) -> None:
        """Drop ``pair`` now unless held (Kiwoom said the code does not exist, say)."""
        if self._holds.get(pair) or pair in self._pinned:
            return
        await self._drop([pair])

    async def sweep(self) -> list[Pair]:
        """Drop the pairs nobody used for ``unused_s`` and nobody holds; returns them."""
        now = self._clock()
        unused = [
            pair
            for pair, used in self._last_used.items()
            if now - used >= self.unused_s and not self._holds.get(pair) and pair not in self._pinned
        ]
        await self._drop(unused)
        return unused

    async def _drop(self, pairs: Iterable[Pair]) -> None:
        dropped = [pair for pair in pairs if self._wanted.pop(pair, None) is not None]
        for pair in dropped:
            self._last_used.pop(pair, None)
            self._latest.pop(pair, None)
            self._arrivals.pop(pair, None)
        if dropped and self._feed is not None:
            await self._feed.drop(dropped)
            logger.debug("실시간 등록 해제 (미사용): %s", dropped)

    async def _sweep_loop(self) -> None:
        every = min(max(self.unused_s / 4, 0.01), 30.0)
        while True:
            await asyncio.sleep(every)
            try:
                await self.sweep()
            except Exception:  # the sweep must outlive one failed drop
                logger.exception("실시간 미사용 종목 정리 실패")

    # ------------------------------------------------------------------ ticks

    def add_listener(self, listener: PairListener) -> Callable[[], None]:
        """Call ``listener(pair)`` after each accepted tick of a wanted pair (on the loop; must not block)."""
        return self._listeners.add(listener)

    def _on_tick(self, tick: Tick) -> None:
        pair = tick.key
        if pair not in self._wanted:
            return  # another worker's pair on a shared feed, or a push that raced a drop
        self._latest[pair] = tick
        arrived = self._arrivals.pop(pair, None)
        if arrived is not None:
            arrived.set()
        self._listeners.notify(pair)

    def status(self) -> FeedStatus | None:
        return self._feed.status() if self._feed is not None else None

    def _current(self, pair: Pair, status: FeedStatus) -> Tick | None:
        """The pair's tick if it came on the current connection (one from before a reconnect may be outdated)."""
        tick = self._latest.get(pair)
        if tick is None or (status.since is not None and tick.received_at < status.since):
            return None
        return tick

    def _verdict(self, status: FeedStatus) -> FallbackReason | None:
        """Why the feed cannot answer now (down, or silent past ``stale_s``), or None."""
        if status.state != "up":
            return "stream_down"
        last = status.last_message_at
        if last is None or self._clock() - last > self.stale_s:
            return "stream_stale"
        return None

    async def read(self, pair: Pair) -> Reading:
        """The pair's tick if the stream can vouch for it, else why not (the caller then asks REST)."""
        try:
            feed = await self.use(pair)
        except Exception:  # a feed that cannot even be built or asked: the caller still has REST
            logger.exception("실시간 스트림 사용 실패")
            return Reading(None, "stream_down", None)
        if feed is None:
            return Reading(None, "stream_disabled", None)
        status = feed.status()
        if self._current(pair, status) is None and status.state in ("up", "connecting"):
            await self._first_tick(pair, status)
            status = feed.status()
        reason = self._verdict(status)
        tick = self._current(pair, status) if reason is None else None
        if reason is None and tick is None:
            reason = "no_tick"
        age = None if tick is None else max(0.0, self._clock() - tick.received_at)
        return Reading(tick, reason, status, age)

    async def _first_tick(self, pair: Pair, status: FeedStatus) -> None:
        """Wait for the pair's first tick, within ``first_tick_wait_s`` of it being wanted on a live stream."""
        now = self._clock()
        opened = max(self._wanted.get(pair, now), status.since or now) if status.state == "up" else now
        remaining = opened + self.first_tick_wait_s - now
        if remaining <= 0:
            return
        arrived = self._arrivals.setdefault(pair, asyncio.Event())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(arrived.wait(), remaining)
        if self._arrivals.get(pair) is arrived and not arrived.is_set():
            del self._arrivals[pair]  # a code that stays silent leaves nothing behind

    def market_operation(self) -> Tick | None:
        """Today's last ``0s`` announcement while the stream vouches for it, else None (use the calendar)."""
        if self._feed is None or OPERATION_PAIR not in self._wanted:
            return None
        status = self._feed.status()
        tick = self._current(OPERATION_PAIR, status)  # an announcement from before a reconnect may be outdated
        if tick is None or self._verdict(status) is not None:
            return None
        today = datetime.fromtimestamp(self._clock(), KST).date()
        return tick if datetime.fromtimestamp(tick.received_at, KST).date() == today else None
