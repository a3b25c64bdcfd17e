"""The one fake clock of the tests: a controllable clock and sleep, so nothing waits for real time.

It starts where the lab's :class:`~kiwoom_lab.clock.VirtualClock` starts (``VIRTUAL_START``,
a Thursday during regular KRX hours), so a test and a scenario see the same market. It is
not that class because the tests need what a scenario run must not have: a record of every
requested sleep (``sleeps``), a ``now`` they can set directly, and sleeps that return
without yielding to the event loop, which keeps interleavings deterministic.
"""

from __future__ import annotations

from kiwoom_lab.clock import VIRTUAL_START


class FakeTime:
    """Epoch-seconds clock that only moves when told to, or when something sleeps."""

    def __init__(self, start: float = VIRTUAL_START) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def __call__(self) -> float:
        """The instance itself can be passed wherever a ``clock: Callable[[], float]`` is expected."""
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
