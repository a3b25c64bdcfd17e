"""Client-side pacing per api-id, so that callers wait instead of provoking 1700.

Kiwoom limits each TR to about one request a second with a burst of about two (measured,
not published), counted when requests *arrive*, each TR on its own. A token bucket per
api-id, on an injectable clock and sleep, lets a request go only when a token is there at
the moment it is sent. Taking the token at send time (rather than reserving a slot in
advance) keeps the spacing right even when the event loop sends late, and lets the waiter
look at ``still_wanted`` each time it wakes, so callers queued behind the limit are
released at once when the circuit breaker opens.

Callers of one api-id queue in a **lane**, served first come, first served: only the head
of the lane polls the budget, so a caller paging through a long history goes back to the
end of the lane for each page and cannot starve the callers behind it. A lane is bounded
(``queue_max``), and a caller whose turn cannot come before its call deadline (the
``CALL_DEADLINE`` the guard sets) is refused at once with
:class:`~kiwoom.errors.QueueRefusedError`, so it falls back now instead of waiting out the
deadline behind calls that will be served.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field

from kiwoom.errors import QueueRefusedError
from kiwoom.state.memory import MemoryRateBudget
from kiwoom.state.protocols import RateBudget

#: When the current call must be done, on the client's monotonic clock (None: no deadline).
#: Set by the guard for each call; read here to refuse a place in a lane that comes too late.
CALL_DEADLINE: ContextVar[float | None] = ContextVar("kiwoom_call_deadline", default=None)


@dataclass(frozen=True, slots=True)
class PacingConfig:
    """Client pacing per api-id, with the safety margin already applied to the rate.

    Built once from the settings (``rate_limit_per_s * rate_limit_margin``), so the pacer's
    interval and the retry wait after a 1700 can never disagree.
    """

    rate_per_s: float
    burst: int
    page_delay_s: float = 0.2
    max_pages: int = 20
    #: Callers one api-id's lane holds in this worker; one more is refused at once.
    queue_max: int = 100

    @property
    def interval_s(self) -> float:
        """Seconds between two requests of one api-id at the steady rate (0 when pacing is off)."""
        return 1.0 / self.rate_per_s if self.rate_per_s > 0 else 0.0


async def _always() -> bool:
    return True


class PacingCancelledError(Exception):
    """``still_wanted`` said no while waiting: the caller no longer wants to send."""


class WouldWaitError(Exception):
    """A caller that will not wait found the lane busy or the budget spent (it has another way to ask)."""


@dataclass(slots=True)
class _Lane:
    """The callers of one api-id: ``queued`` of them, served in order by ``turn`` (a FIFO lock)."""

    turn: asyncio.Lock = field(default_factory=asyncio.Lock)
    queued: int = 0


#: Told ``(api_id, wait_s, declined)`` when the budget makes a caller wait (or it declines to).
OnWait = Callable[[str, float, bool], None]


def _unreported(api_id: str, wait_s: float, declined: bool) -> None:
    """The default ``on_wait``: nobody is told."""


class RatePacer:
    """Waits for the :class:`RateBudget` of each api-id in a first-come lane: ``burst`` back-to-back, then the rate."""

    def __init__(
        self,
        budget: RateBudget | None = None,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        config: PacingConfig | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        on_wait: OnWait = _unreported,
    ) -> None:
        self._budget: RateBudget = budget if budget is not None else MemoryRateBudget(0.0, 1)
        self._sleep = sleep
        self._config = config
        self._monotonic = monotonic
        self._on_wait = on_wait
        self._lanes: dict[str, _Lane] = {}

    async def acquire(
        self, api_id: str, still_wanted: Callable[[], Awaitable[bool]] = _always, *, wait: bool = True
    ) -> float:
        """Wait for this caller's turn in ``api_id``'s lane and a token of the budget; returns the seconds it slept.

        Raises :class:`QueueRefusedError` at once when the lane is full or the turn would come
        after the call's deadline, and :class:`PacingCancelledError` if ``still_wanted()`` turns
        False while waiting. With ``wait=False`` it takes a token only if one is there now and
        nobody is queued, else raises :class:`WouldWaitError` without queuing.
        """
        lane = self._lanes.setdefault(api_id, _Lane())
        if not wait:
            due_s = 0.0 if lane.queued else await self._budget.try_take(api_id)
            if lane.queued or due_s > 0:
                self._on_wait(api_id, due_s, True)
                raise WouldWaitError(api_id)
            return 0.0
        self._admit(api_id, lane.queued)
        lane.queued += 1
        slept = 0.0
        try:
            async with lane.turn:
                while (due_s := await self._budget.try_take(api_id)) > 0:
                    self._on_wait(api_id, due_s, False)
                    await self._sleep(due_s)
                    slept += due_s
                    if not await still_wanted():
                        raise PacingCancelledError(api_id)
        finally:
            lane.queued -= 1
        return slept

    def _admit(self, api_id: str, ahead: int) -> None:
        """Refuse a place behind ``ahead`` callers when the lane is full or the turn is sure to come too late."""
        config = self._config
        if config is None or ahead == 0:
            return
        if ahead >= config.queue_max:
            raise QueueRefusedError(api_id, f"대기 {ahead}건으로 대기열이 가득 찼습니다 (최대 {config.queue_max}건)")
        deadline = CALL_DEADLINE.get()
        if deadline is None or config.rate_per_s <= 0:
            return
        # At best the bucket is full now: the callers ahead and this one need ahead + 1 tokens.
        soonest_s = max(ahead + 1 - config.burst, 0) * config.interval_s
        left_s = deadline - self._monotonic()
        if soonest_s > left_s:
            raise QueueRefusedError(
                api_id,
                f"앞선 요청 {ahead}건 때문에 빨라도 {math.ceil(soonest_s)}초 뒤에 차례가 와서 "
                f"남은 호출 기한 {max(left_s, 0):.1f}초 안에 보낼 수 없습니다",
            )

    async def refund(self, api_id: str) -> None:
        """Give back a token that was taken but not used (the request was not sent after all)."""
        await self._budget.refund(api_id)
