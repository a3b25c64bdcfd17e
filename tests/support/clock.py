"""A controllable clock and sleep for tests that must not wait for real time."""

from __future__ import annotations

from datetime import datetime

from krx.calendar import KST

#: A Thursday during regular KRX trading hours.
TRADING_MOMENT = datetime(2026, 11, 26, 10, 0, tzinfo=KST).timestamp()


class FakeTime:
    """Epoch-seconds clock that only moves when told to, or when something sleeps."""

    def __init__(self, start: float = TRADING_MOMENT) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
