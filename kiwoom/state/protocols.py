"""The state seam: what the guard, the token manager and the pacer need to share across workers.

Five small Protocols. :mod:`kiwoom.state.memory` implements them for one process,
:mod:`kiwoom.state.redis` for several workers behind one port, and
:mod:`kiwoom.state.degrading` puts the memory one behind the Redis one for when Redis is
unreachable. The consumers take these Protocols and never learn which backend they have,
so no storage decision is made anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

Data = dict[str, Any]


@dataclass(frozen=True, slots=True)
class StoredResult:
    """A result another worker (or this one) stored: its data, age and freshness window."""

    data: Data
    age_s: float
    ttl_s: float

    @property
    def fresh(self) -> bool:
        return self.age_s < self.ttl_s


class ResultStore(Protocol):
    """Results shared by every worker, and the flight lock that lets one of them load a key."""

    async def get(self, key: str) -> StoredResult | None:
        """The stored result for ``key``, fresh or stale, or None."""

    async def set(self, key: str, data: Data, ttl_s: float) -> None:
        """Store ``data`` as fresh for ``ttl_s`` (kept longer for stale-if-error)."""

    async def try_lock(self, key: str, owner: str, ttl_s: float) -> bool:
        """Take the right to load ``key`` for ``ttl_s``; False while another owner holds it.

        Re-entrant: when ``owner`` already holds it (a lock it left behind), it is extended and True.
        """

    async def renew(self, key: str, owner: str, ttl_s: float) -> bool:
        """Extend ``owner``'s lease on ``key`` to ``ttl_s`` from now; False if ``owner`` no longer holds it."""

    async def unlock(self, key: str, owner: str) -> None:
        """Give the right back, if ``owner`` still holds it."""


class TokenStore(Protocol):
    """One access token per app key, its issue lock and the leases of the workers using it."""

    async def load(self) -> tuple[str, float] | None:
        """(token, expires_at epoch seconds) if one is stored."""

    async def store(self, token: str, expires_at: float) -> None: ...

    async def discard(self, token: str) -> None:
        """Forget ``token`` only if it is still the stored one (a newer token stays)."""

    async def lock(self, owner: str, ttl_s: float) -> bool:
        """Take the right to issue a token; False while another owner holds it."""

    async def unlock(self, owner: str) -> None: ...

    async def join(self) -> int:
        """Take a user's lease on the token; the live users now (0: not counted).

        A lease, not a count: a worker killed without leaving stops renewing it, and it
        expires, so it cannot keep the token from being revoked.
        """

    async def renew(self) -> None:
        """Extend this process's lease (the heartbeat, while it uses the token)."""

    async def leave(self) -> int:
        """Drop this process's lease; the live users left (the last one out revokes the token)."""

    async def forget(self) -> None:
        """Drop the token and its users (after the last user revoked it)."""


class Presence(Protocol):
    """This worker's lease in the registry of live workers, from which each learns N.

    While Redis is down a worker paces on its own at 1/N of the budget
    (:mod:`kiwoom.state.share`); the registry is how it knows N beyond ``--workers``.
    """

    async def renew(self) -> None:
        """Extend this worker's lease and learn who else is live (the heartbeat)."""

    async def release(self) -> None:
        """Leave the registry (on close), so the others' share grows at once."""


class RateBudget(Protocol):
    """Per-api-id request budget of one app key (a token bucket)."""

    async def try_take(self, api_id: str) -> float:
        """0.0 when a request for ``api_id`` may go now (its token is taken), else seconds until one is due."""

    async def refund(self, api_id: str) -> None:
        """Give back a token that was taken for a request that was not sent."""


class BreakerStore(Protocol):
    """The circuit breaker's state and transitions, as the guard and the transport use them."""

    async def allow(self) -> bool:
        """May a load go upstream now? (admits the one half-open probe after the cool-down)."""

    async def is_open(self) -> bool:
        """True while cooling down; unlike :meth:`allow` it never admits a probe."""

    async def record_success(self) -> None:
        """One request was answered: a success in the window, or, half-open, close."""

    async def record_failure(self) -> None:
        """One request failed: open if the window's failure rate says so, or reopen after the probe."""

    async def release_probe(self) -> None:
        """The probe ended without a verdict (cancelled, answered from elsewhere): let another go."""

    async def snapshot(self) -> dict[str, Any]:
        """State, the window's requests and failures and time to the next probe, for health reports."""


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """What one batch request said about one code: its row, no row (an unknown code), or the batch's error.

    ``seq`` is the highest queue number the batch took: a waiter accepts an outcome only when
    it is at least the number its code was queued under, so an older batch never answers it.
    """

    seq: int
    row: Data | None = None
    error: str | None = None
    retryable: bool = False


class BatchQueue(Protocol):
    """Codes waiting for the next batch request of one TR, and the window in which one worker sends it.

    With Redis the queue and the window are the workers' together: whichever worker holds
    the window sends every worker's queued codes in one request and publishes an outcome
    per code, which the others read back. In memory there is one worker, and outcomes are
    handed to the waiting callers directly.
    """

    @property
    def shared(self) -> bool:
        """True when other workers' codes are sent here, and this worker's codes elsewhere."""

    async def enqueue(self, code: str) -> int:
        """Queue ``code`` for the next batch (once: a queued code keeps its place); its queue number."""

    async def claim(self, owner: str, window_s: float) -> float:
        """0: ``owner`` sends the next batch and holds the window for ``window_s``.

        Otherwise the seconds until the window is free (> 0), or -1 when nothing is queued.
        """

    async def take(self, limit: int) -> tuple[list[str], int]:
        """Up to ``limit`` queued codes, oldest first, and the highest queue number among them."""

    async def publish(self, outcomes: dict[str, BatchOutcome]) -> None:
        """Tell the other workers what the batch said about each code."""

    async def outcomes(self, codes: list[str]) -> dict[str, BatchOutcome]:
        """The latest published outcome of each of ``codes`` that has one."""
