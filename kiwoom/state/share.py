"""This worker's share of the rate budget when it must pace alone (Redis down, or no Redis).

Kiwoom counts requests per app key, however many workers send them. With Redis the
workers share one bucket; without it each paces on its own, and N full-rate buckets are N
times the budget (measured: a third of the quotes got 1700 with two workers). So a
worker alone takes 1/N of the budget, N being the larger of ``--workers``
(``KIWOOM_WORKERS``) and the live workers it last saw in the registry while Redis was up.

Why the numbers are safe. Kiwoom's bucket admits a stream when, over every interval t,
it brings at most ``burst + rate·t`` requests. N buckets of rate R/N and capacity B/N
bring at most ``B + R·t`` together, and R already carries the rate margin, so they never
exceed it, with no coordination at all. A bucket must hold one whole token to send, so
this works while B/N ≥ 1. Beyond that (e.g. four workers, burst 2), N buckets of one
token could all fire at once; then the workers take turns instead: time is cut into slots
of 1/R seconds on the shared wall clock, and the worker of rank k sends at most once in
each slot whose index is k mod N. At most one request per slot from all of them means at
most ``2 + R·t`` over any interval, within a burst of 2 (the measured default; a burst of
1 with several workers is not covered). Ranks come from the registry's sorted ids; a
worker that never saw it picks one from its id, and two that collide only overlap.

Entering the outage, the shared bucket may just have been emptied, so :meth:`drain`
starts every local bucket empty (and holds the slots for two of them): the workers then
ramp up from nothing at their share of the rate, never above Kiwoom's refill.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from kiwoom.state.memory import MemoryRateBudget

_MIN_WAIT_S = 0.001


@dataclass(frozen=True, slots=True)
class Allowance:
    """One worker's pacing: its rate, its bucket capacity, and whether it must take turns."""

    rate_per_s: float
    capacity: float
    slotted: bool


def allowance(rate_per_s: float, burst: float, workers: int) -> Allowance:
    """The share of one of ``workers`` workers pacing alone (see the module docstring for why)."""
    n = max(1, workers)
    capacity = burst / n
    if capacity >= 1.0:
        return Allowance(rate_per_s / n, capacity, slotted=False)
    return Allowance(rate_per_s / n, 1.0, slotted=True)


class WorkerShare:
    """How many workers share the app key, and this one's rank, as last known.

    ``configured`` comes from ``--workers``; the live ids come from the registry each
    heartbeat while Redis answers, and are kept (not forgotten) when it stops answering,
    which is exactly when they are needed.
    """

    def __init__(self, me: str, configured: int = 1) -> None:
        self.me = me
        self.configured = max(1, configured)
        self.live: tuple[str, ...] = ()

    def remember(self, live: Iterable[str]) -> None:
        self.live = tuple(sorted(set(live)))

    @property
    def count(self) -> int:
        return max(self.configured, len(self.live))

    @property
    def rank(self) -> int:
        """This worker's turn among ``count``: its place among the live ids, else one from its id."""
        if self.me in self.live:
            return self.live.index(self.me) % self.count
        return int.from_bytes(self.me.encode(), "big") % self.count


class FairShareBudget(MemoryRateBudget):
    """A :class:`MemoryRateBudget` at this worker's share, re-read at each take (N may change)."""

    def __init__(
        self,
        rate_per_s: float,
        burst: int,
        share: WorkerShare,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(rate_per_s, burst, clock=clock)
        self.full_rate_per_s = rate_per_s
        self.full_burst = burst
        self.share = share
        self._wall = wall
        self._used_slot: dict[str, int] = {}
        self._hold_until = -math.inf

    def take_now(self, api_id: str) -> float:
        if self.full_rate_per_s <= 0:
            return 0.0
        share = allowance(self.full_rate_per_s, self.full_burst, self.share.count)
        if share.slotted:
            return self._take_turn(api_id)
        self.rate_per_s, self.burst = share.rate_per_s, share.capacity
        return super().take_now(api_id)

    def _take_turn(self, api_id: str) -> float:
        """Send only in this worker's own slots, once per slot (see the module docstring)."""
        held = self._hold_until - self._clock()
        if held > 0:
            return max(held, _MIN_WAIT_S)
        slot_s = 1.0 / self.full_rate_per_s
        now = self._wall()
        slot = math.floor(now / slot_s)
        workers, rank = self.share.count, self.share.rank
        ahead = (rank - slot) % workers
        if ahead == 0 and self._used_slot.get(api_id) != slot:
            self._used_slot[api_id] = slot
            return 0.0
        ahead = ahead or workers
        return max((slot + ahead) * slot_s - now, _MIN_WAIT_S)

    async def refund(self, api_id: str) -> None:
        if self.full_rate_per_s > 0 and allowance(self.full_rate_per_s, self.full_burst, self.share.count).slotted:
            self._used_slot.pop(api_id, None)
        else:
            await super().refund(api_id)

    def drain(self) -> None:
        """Start from nothing: the shared bucket this worker leaves may be empty."""
        super().drain()
        self._used_slot.clear()
        if self.full_rate_per_s > 0:
            self._hold_until = self._clock() + 2.0 / self.full_rate_per_s
