"""What REAL frames leave one connection: ticks, 0s announcements, and the data faults on them.

Kept apart from the connection loop (``websocket.py``) so the loop only decides *when*
to push; this decides *what*: every registered ``0B``/``0D`` pair from the synthetic
market at the clock's instant (the same quote ka10001 answers then), ``0s`` when the
operation code changed, chunked into frames of ``frame_items``. Each frame then goes
through :meth:`ConnectionFaults.on_real`: repeated (``duplicate_every``), followed by the
previous, older frame (``out_of_order_every``), or followed by a drop
(``drop_after_messages``). Those are the only deviations from the market.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

from .state import FakeState
from .ws_faults import ConnectionFaults
from .ws_frames import (
    MARKET_OPERATION,
    Frame,
    Registrations,
    TickMemory,
    market_operation,
    operation_item,
    real_frames,
    tick_items,
)

Send = Callable[[str], Awaitable[None]]


def dumps(frame: Frame) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


class Pusher:
    """One connection's outgoing REAL frames.

    ``send`` sends a text frame; ``event(api_id, fault)`` journals a data fault; ``drop``
    ends the connection when ``drop_after_messages`` is reached.
    """

    def __init__(
        self,
        state: FakeState,
        regs: Registrations,
        faults: ConnectionFaults,
        frame_items: int,
        *,
        send: Send,
        event: Callable[[str, str], None],
        drop: Callable[[], Awaitable[None]],
        spread_s: float = 0.0,
    ) -> None:
        self.state = state
        self.regs = regs
        self.faults = faults
        self.frame_items = frame_items
        self.spread_s = spread_s
        self._send, self._event, self._drop = send, event, drop
        self.memory = TickMemory()
        self.operation_sent: str | None = None
        self.last_real: str | None = None
        self.closed = False

    async def push(self, now: float) -> None:
        """One push: every 0B/0D pair, plus 0s when its code changed since it was last pushed."""
        items = tick_items(self.state.market, self.regs.pairs(), now, self.memory)
        if self.regs.has((MARKET_OPERATION, "")):
            code, _ = market_operation(self.state.market.calendar, now)
            if code != self.operation_sent:
                items.insert(0, operation_item(self.state.market.calendar, now))
                self.operation_sent = code
        await self._frames(items)

    async def run(self, period_s: Callable[[], float], *, stalled: Callable[[], bool], closed: asyncio.Event) -> None:
        """Push every period until ``closed``; stalled, keep time but send nothing.

        One burst per period (the default) sleeps a period after each push. Spread pushes
        (trades arriving through the second) keep a fixed rate instead: each push starts one
        period after the previous one started, so the time a push takes (computing 991 ticks,
        spreading its frames, a slow reader's backpressure) does not stretch the period and 991
        items at 1 s give 991 ticks a second. A fixed-rate loop that fell more than a period
        behind starts afresh rather than bursting to catch up.
        """
        due: float | None = None
        while not closed.is_set():
            now = self.state.clock()
            if due is None or not self.spread_s:
                wait = max(0.0, period_s() - self.spread_s)
                due = now + wait
            else:
                due = now if due < now - period_s() else due
                wait = max(0.0, due - now)
            await self.state.sleep(wait)
            due += period_s()
            if not stalled():
                await self.push(self.state.clock())

    async def operation_now(self, now: float) -> None:
        """The current 0s state at once (on REG), not only at the next change."""
        self.operation_sent, _ = market_operation(self.state.market.calendar, now)
        await self._frames([operation_item(self.state.market.calendar, now)])

    async def _frames(self, items: list[Frame]) -> None:
        """Send ``items`` as REAL frames: at once, or spread evenly over ``spread_s`` on the clock.

        Spread frames are placed on the clock (frame i at ``start + i × step``), not slept
        between, so the time each send takes does not stretch the push past its period.
        """
        frames = real_frames(items, self.frame_items)
        start = self.state.clock()
        for index, frame in enumerate(frames):
            if self.closed:
                return
            if index and self.spread_s > 0:
                await self.state.sleep(max(0.0, start + index * self.spread_s / len(frames) - self.state.clock()))
            await self._send_real(dumps(frame))

    async def _send_real(self, text: str) -> None:
        fate = self.faults.on_real()
        await self._send(text)
        if fate.duplicate:
            self._event("DUPLICATE", "duplicate")
            await self._send(text)
        if fate.out_of_order and self.last_real is not None:
            self._event("OUT_OF_ORDER", "out_of_order")
            await self._send(self.last_real)
        self.last_real = text
        if fate.drop:
            self.closed = True
            await self._drop()
