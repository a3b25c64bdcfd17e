"""The ``expect.workers`` block: a lesson about several workers sharing one Redis.

Agent fleets run ``kiwoom-mcp --workers N`` with Redis as the shared state (token, cache,
rate budget, flight locks). Two things go wrong there that a single process never shows:

* **Redis goes away** (``redis_cut``): every worker must keep answering from its own memory,
  say so once, and rejoin when Redis is back; what it costs is that the workers stop
  sharing (each fetches what another already has, each paces on its own share);
* **a worker dies mid-call** (``crash``): it took the flight lock for a code and will never
  release it; the others must take the lock over once its lease lapses instead of waiting
  for a value that is never coming.

Shape::

    expect:
      workers:
        count: 2                 # in-process workers (clients) sharing one Redis
        calls_on: [0, 1, 0, 1]   # which worker makes call i (default: i % count)
        redis_cut: {before_call: 2, restore_before_call: 4}
        storage_events: [down, up]
        # or: crash: {}          # a worker process starts the call first and is killed (SIGKILL)
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, PositiveFloat, model_validator

#: Where the lab finds Redis for fleet lessons (``KIWOOM_LAB_REDIS_URL``); each run uses its own namespace.
DEFAULT_LAB_REDIS_URL = "redis://127.0.0.1:6379/15"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RedisCut(_Strict):
    """Redis becomes unreachable just before call ``before_call`` (0-based), back before ``restore_before_call``."""

    before_call: NonNegativeInt
    restore_before_call: NonNegativeInt | None = None

    @model_validator(mode="after")
    def _ordered(self) -> RedisCut:
        if self.restore_before_call is not None and self.restore_before_call <= self.before_call:
            raise ValueError("restore_before_call must come after before_call")
        return self


class Crash(_Strict):
    """A worker process starts the tool call first and is killed with SIGKILL once its request reaches the fake.

    The kill comes ``after_request_s`` after the fake journaled that request, so the dead
    worker holds the code's flight lock (and the token it issued) when it dies.
    """

    after_request_s: PositiveFloat = 0.2


class FleetExpect(_Strict):
    """How many workers, which worker makes each call, and what happens to the fleet."""

    count: int = Field(2, ge=2, le=8)
    calls_on: list[NonNegativeInt] | None = None
    redis_cut: RedisCut | None = None
    crash: Crash | None = None
    #: The storage health changes the workers must report, in order (``down`` when Redis is lost).
    storage_events: list[Literal["down", "up"]] | None = None

    @model_validator(mode="after")
    def _workers_exist(self) -> FleetExpect:
        for index, worker in enumerate(self.calls_on or []):
            if worker >= self.count:
                raise ValueError(
                    f"calls_on[{index}] names worker {worker}; the fleet has workers 0 to {self.count - 1}"
                )
        return self

    def worker_of(self, call_index: int) -> int:
        """The worker that makes call ``call_index``."""
        if self.calls_on:
            return self.calls_on[call_index % len(self.calls_on)]
        return call_index % self.count

    def check_calls(self, calls: int) -> None:
        """Cross-checks against the ``expect`` block's call count (raised as the block's ValueError)."""
        if self.calls_on is not None and len(self.calls_on) != calls:
            raise ValueError(f"workers.calls_on lists {len(self.calls_on)} workers for {calls} calls")
        cut = self.redis_cut
        if cut is not None:
            last = cut.restore_before_call if cut.restore_before_call is not None else cut.before_call
            if last >= calls:
                raise ValueError(f"workers.redis_cut refers to call {last}; the run makes calls 0 to {calls - 1}")
