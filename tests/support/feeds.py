"""A scripted :class:`~kiwoom.realtime.feed.TickFeed` for the hub and live-tool tests: the test pushes ticks.

No socket: ``push`` calls the listeners at once (as the real stream does, on the loop),
``up``/``down``/``ping`` set what ``status`` reports, and every ``want`` and ``drop`` is
recorded, so a test states exactly what the hub asked of the stream. With ``tick_every_s``
it also ticks by itself (each wanted quote and order book, the price moving by one step),
for servers on a port, whose loop runs in another thread than the test.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Mapping

from kiwoom.realtime.feed import FeedState, FeedStatus, Listeners, Pair, TickListener
from kiwoom.realtime.ticks import ORDERBOOK, QUOTE, Origin, RealType, Tick


def quote_values(
    price: int = 70_000, change: int = 500, volume: int = 1_234_567, time: str = "101500"
) -> dict[str, str]:
    """0B (주식체결) wire values as Kiwoom sends them: signed prices, a signed change, HHMMSS."""
    sign = "+" if change > 0 else "-" if change < 0 else ""
    rate = change / (price - change) * 100
    return {
        "20": time,
        "10": f"{sign}{price}",
        "11": f"{sign}{abs(change)}",
        "12": f"{sign}{abs(rate):.2f}",
        "13": str(volume),
        "14": str(volume * price // 1_000_000),
        "15": "+10",
        "16": f"{price - 200}",
        "17": f"{price + 300}",
        "18": f"{price - 400}",
        "25": "2" if change > 0 else "5" if change < 0 else "3",
        "27": f"{price + 100}",
        "28": f"{price}",
        "228": "101.50",
    }


def orderbook_values(best_ask: int = 70_100, time: str = "101500") -> dict[str, str]:
    """0D (주식호가잔량) wire values: ten asks from ``best_ask`` up, ten bids below it."""
    values = {"21": time, "121": "5500", "125": "6500"}
    for level in range(1, 11):
        values[str(40 + level)] = str(best_ask + (level - 1) * 100)
        values[str(60 + level)] = str(100 * level)
        values[str(50 + level)] = str(best_ask - level * 100)
        values[str(70 + level)] = str(200 * level)
    return values


class ScriptedFeed:
    """A feed whose state and ticks the test sets; records what was wanted and dropped."""

    def __init__(self, clock: Callable[[], float], *, auto_up: bool = True, tick_every_s: float | None = None) -> None:
        self.clock = clock
        self.auto_up = auto_up
        self.tick_every_s = tick_every_s
        self.pushed = 0
        self._ticker: asyncio.Task[None] | None = None
        self.state: FeedState = "stopped"
        self.since: float | None = None
        self.last_message_at: float | None = None
        self.reconnects = 0
        self.last_error: str | None = None
        self.wanted: dict[Pair, None] = {}
        self.wants: list[Pair] = []
        self.drops: list[Pair] = []
        self.starts = 0
        self.stops = 0
        self.seq = 0
        self._listeners: Listeners[Tick] = Listeners()

    async def start(self) -> None:
        self.starts += 1
        if self.auto_up:
            self.up()
        elif self.state == "stopped":
            self.state = "connecting"
        if self.tick_every_s is not None and self._ticker is None:
            self._ticker = asyncio.get_running_loop().create_task(self._tick(self.tick_every_s))

    async def stop(self) -> None:
        self.stops += 1
        self.state = "stopped"
        ticker, self._ticker = self._ticker, None
        if ticker is not None:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker

    async def _tick(self, every: float) -> None:
        step = 0
        while True:
            await asyncio.sleep(every)
            step += 1
            for kind, item in list(self.wanted):
                if kind == QUOTE:
                    self.push(kind, item, quote_values(price=70_000 + step * 100, volume=1_000 + step))
                elif kind == ORDERBOOK:
                    self.push(kind, item, orderbook_values(best_ask=70_100 + step * 100))

    async def want(self, pairs: Iterable[Pair]) -> None:
        for pair in pairs:
            self.wants.append(pair)
            self.wanted[pair] = None

    async def drop(self, pairs: Iterable[Pair]) -> None:
        for pair in pairs:
            self.drops.append(pair)
            self.wanted.pop(pair, None)

    def add_listener(self, listener: TickListener) -> Callable[[], None]:
        return self._listeners.add(listener)

    def status(self) -> FeedStatus:
        return FeedStatus(
            state=self.state,
            since=self.since,
            last_message_at=self.last_message_at,
            reconnects=self.reconnects,
            subscribed=len(self.wanted),
            last_error=self.last_error,
        )

    # ------------------------------------------------------------------ the test's controls

    def up(self) -> None:
        """Connected and logged in now (a reconnect if it was up before)."""
        if self.since is not None:
            self.reconnects += 1
        self.state = "up"
        self.since = self.last_message_at = self.clock()
        self.last_error = None

    def down(self, reason: str = "cut by test") -> None:
        self.state = "down"
        self.last_error = reason

    def ping(self) -> None:
        """A PING arrived: the stream is alive, whether or not anything traded."""
        self.last_message_at = self.clock()

    def push(
        self, kind: RealType, item: str, values: Mapping[str, str] | None = None, origin: Origin = "stream"
    ) -> Tick:
        """One accepted tick, delivered to the listeners if the pair is wanted (as the stream filters)."""
        if values is None:
            values = quote_values() if kind == QUOTE else orderbook_values() if kind == ORDERBOOK else {}
        self.seq += 1
        self.pushed += 1
        now = self.clock()
        self.last_message_at = now
        tick = Tick(kind, item, dict(values), now, self.seq, origin)
        if (kind, item) in self.wanted:
            self._listeners.notify(tick)
        return tick
