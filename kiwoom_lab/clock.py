"""The two clocks a scenario can run on.

``real``: wall time; a backoff really waits, which is what a learner should feel once.
``virtual``: one clock shared by the fake (in uvicorn's thread) and the client (in the
runner's loop), which only moves when someone sleeps or the runner skips ahead. A 300 s
TTL or a 30 s breaker cooldown then costs no wall time, while the requests still cross a
real socket. A virtual clock cannot make a *client timeout* happen, because httpx2 times
out on the wall clock; scenarios about hangs run on the real clock with shrunk settings.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import datetime

from krx.calendar import KST

#: Where virtual time starts: a Thursday during regular KRX hours, so the synthetic price moves.
VIRTUAL_START = datetime(2026, 11, 26, 10, 0, tzinfo=KST).timestamp()


class RealClock:
    """Epoch seconds and real sleeps; the fake's sleeps can be cut short when the run ends."""

    virtual = False

    def __init__(self) -> None:
        self._stopping = threading.Event()

    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def server_sleep(self, seconds: float) -> None:
        """The fake's injected delays: a hang ends early once :meth:`stop` is called (from any thread).

        Otherwise stopping the server would have to wait out the hang, or cancel the
        request mid-sleep, which uvicorn reports as an error.
        """
        end = time.monotonic() + seconds
        while not self._stopping.is_set():
            left = end - time.monotonic()
            if left <= 0:
                return
            await asyncio.sleep(min(left, 0.05))

    def stop(self) -> None:
        self._stopping.set()


class VirtualClock:
    """Epoch seconds that move only when something sleeps; safe to share across threads."""

    virtual = True

    def __init__(self, start: float = VIRTUAL_START) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += max(0.0, seconds)

    async def sleep(self, seconds: float) -> None:
        """Skip ahead at once, then yield so other tasks see the new time."""
        self.advance(seconds)
        await asyncio.sleep(0)

    async def server_sleep(self, seconds: float) -> None:
        await self.sleep(seconds)

    def stop(self) -> None:
        """Nothing to cut short: virtual sleeps end at once."""


Clock = RealClock | VirtualClock
