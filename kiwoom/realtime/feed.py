"""The seam between the hub and the socket: a :class:`TickFeed` delivers ticks for wanted pairs.

Two implementations: :class:`LocalFeed` runs one :class:`~kiwoom.realtime.stream.RealtimeStream`
in this process; the Redis feed (``redis_feed.py``) lets every worker want pairs while one
leader holds the only upstream socket for the app key and fans ticks out. The hub neither
knows nor cares which it has.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Generic, Literal, Protocol, TypeVar

from kiwoom.realtime.ticks import RealType, Tick

logger = logging.getLogger("kiwoom.realtime")

Pair = tuple[RealType, str]
TickListener = Callable[[Tick], None]
FeedState = Literal["stopped", "connecting", "up", "down"]


@dataclass(frozen=True, slots=True)
class FeedStatus:
    """What a tool says about the stream: is it up, since when, how often it reconnected.

    ``last_message_at`` is epoch seconds of the last frame of any kind (PING included): a
    stream that is up but silent for long is stale, and the tools fall back to REST.
    ``role`` is ``local`` for one process, ``leader``/``follower`` with Redis.
    """

    state: FeedState
    since: float | None = None
    last_message_at: float | None = None
    reconnects: int = 0
    subscribed: int = 0
    role: Literal["local", "leader", "follower"] = "local"
    last_error: str | None = None


class TickFeed(Protocol):
    """Ticks for the pairs someone wants; ``want`` is idempotent and cheap to repeat."""

    async def start(self) -> None:
        """Begin connecting in the background (returns at once)."""

    async def stop(self) -> None:
        """Close the upstream socket (if this process holds it) and stop every task."""

    async def want(self, pairs: Iterable[Pair]) -> None:
        """Make sure these pairs are registered upstream (batched; returns once asked, not once registered)."""

    async def drop(self, pairs: Iterable[Pair]) -> None:
        """Nobody here needs these pairs any more (REMOVE, unless another worker still wants them)."""

    def add_listener(self, listener: TickListener) -> Callable[[], None]:
        """Call ``listener`` for every accepted tick (on the event loop; it must not block); returns the remover."""

    def status(self) -> FeedStatus:
        """The stream's state now."""


Item = TypeVar("Item")


@dataclass
class Listeners(Generic[Item]):
    """Callbacks told of each new item; one that raises is logged and does not stop the others."""

    _callbacks: list[Callable[[Item], None]] = field(default_factory=list)

    def add(self, callback: Callable[[Item], None]) -> Callable[[], None]:
        """Register ``callback``; returns the function that removes it (safe to call twice)."""
        self._callbacks.append(callback)

        def remove() -> None:
            with contextlib.suppress(ValueError):
                self._callbacks.remove(callback)

        return remove

    def notify(self, item: Item) -> None:
        for callback in list(self._callbacks):
            try:
                callback(item)
            except Exception:
                logger.exception("실시간 리스너 실패")
