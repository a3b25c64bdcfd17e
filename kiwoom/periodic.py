"""A background renewal loop that always stops when told to, even when a call inside it swallows cancellation.

Leases (the cross-worker flight lock, the token users, the worker registry) are kept alive
by a task that renews them every so often. Stopping such a task by cancelling it alone is
not enough: a cancelled Redis read can surface as a connection error instead of
``CancelledError`` (redis-py turns some cancelled reads into ``ConnectionError``), which
the degrading store then answers from memory, and the loop goes on renewing, so whoever
awaits the task waits for ever. Here stopping also sets an event the loop checks after
every renewal, and the wait for the task to end is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger("kiwoom")

#: How long :meth:`Periodic.stop` waits for the loop to end before leaving it behind.
STOP_BOUND_S = 2.0


class Periodic:
    """Calls ``beat`` every ``interval_s`` (real time) until stopped or until ``beat`` returns False."""

    def __init__(
        self, beat: Callable[[], Awaitable[bool]], interval_s: float, *, name: str, immediately: bool = False
    ) -> None:
        self._beat = beat
        self._interval_s = interval_s
        self._immediately = immediately
        self._stopped = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name=name)

    async def _run(self) -> None:
        wait_first = not self._immediately
        while not self._stopped.is_set():
            if wait_first:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopped.wait(), self._interval_s)  # wakes at once on stop
                if self._stopped.is_set():
                    return
            wait_first = True
            if not await self._beat():
                return

    @property
    def task(self) -> asyncio.Task[None]:
        return self._task

    async def stop(self) -> BaseException | None:
        """Stop the loop and wait (bounded) for it to end; the error it ended with, if any."""
        self._stopped.set()
        self._task.cancel()
        done, _ = await asyncio.wait([self._task], timeout=STOP_BOUND_S)
        if not done:
            logger.warning(
                "백그라운드 갱신 작업이 %.0f초 안에 끝나지 않아 두고 갑니다 (%s)", STOP_BOUND_S, self._task.get_name()
            )
            return None
        return None if self._task.cancelled() else self._task.exception()
