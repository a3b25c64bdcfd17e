"""Client-side pacing per api-id, so that callers wait instead of provoking 1700.

Kiwoom limits each TR to about one request a second with a burst of about two (measured,
not published), counted when requests *arrive*. A token bucket per api-id, on an
injectable clock and sleep, lets a request go only when a token is there at the moment it
is sent: a caller that finds the bucket empty sleeps until the next token is due, then
checks again. Taking the token at send time (rather than reserving a slot in advance)
keeps the spacing right even when the event loop sends late, and lets every waiter look
at ``still_wanted`` each time it wakes, so callers queued behind the limit are released
at once when the circuit breaker opens.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from kiwoom.state.memory import MemoryRateBudget
from kiwoom.state.protocols import RateBudget


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

    @property
    def interval_s(self) -> float:
        """Seconds between two requests of one api-id at the steady rate (0 when pacing is off)."""
        return 1.0 / self.rate_per_s if self.rate_per_s > 0 else 0.0


async def _always() -> bool:
    return True


class PacingCancelledError(Exception):
    """``still_wanted`` said no while waiting: the caller no longer wants to send."""


class RatePacer:
    """Waits for the :class:`RateBudget` of each api-id: ``burst`` back-to-back requests, then the rate."""

    def __init__(
        self,
        budget: RateBudget | None = None,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._budget: RateBudget = budget if budget is not None else MemoryRateBudget(0.0, 1)
        self._sleep = sleep

    async def acquire(self, api_id: str, still_wanted: Callable[[], Awaitable[bool]] = _always) -> float:
        """Wait until a request for ``api_id`` may be sent and take its token; returns the seconds waited.

        Raises :class:`PacingCancelledError` if ``still_wanted()`` turns False while waiting.
        """
        waited = 0.0
        while (wait := await self._budget.try_take(api_id)) > 0:
            await self._sleep(wait)
            waited += wait
            if not await still_wanted():
                raise PacingCancelledError(api_id)
        return waited

    async def refund(self, api_id: str) -> None:
        """Give back a token that was taken but not used (the request was not sent after all)."""
        await self._budget.refund(api_id)
