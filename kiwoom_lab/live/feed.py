"""A feed of messages for the live page: published on the server's event loop, followed by any number of pages.

Every message is one server-sent event (``event: NAME``, ``data: JSON``). A page that connects
late, or reconnects, first gets what was already published (up to ``keep`` messages), then each
new one as it comes: a learner who opens the page halfway through a lesson still sees its start.

Messages the page understands (the ``data`` of each is a JSON object):

``event``      one timeline row: an :class:`~kiwoom_lab.timeline.Event` plus ``key`` (a row with a
               key already shown replaces it: a call's row is filled in when the call ends, a
               request's when the fake answers it) and ``side`` (``client`` or ``fake``);
``timeline``   ``{"events": [...]}``: the run's final, merged timeline, replacing the live rows;
``checks``     ``{"passed": bool, "checks": [...], "wall_s": float}``: the verdict;
``status``     ``{"ok": bool, "message": str}``: the fake is (un)reachable, a run failed (and why);
``done``       the feed is closed: nothing more will come.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal

from kiwoom_lab.timeline import Event

Side = Literal["client", "fake"]


@dataclass(frozen=True, slots=True)
class Message:
    seq: int
    name: str
    data: dict[str, Any]

    def sse(self) -> dict[str, str]:
        """The fields of a server-sent event (``id`` lets a reconnecting EventSource say where it was)."""
        return {"id": str(self.seq), "event": self.name, "data": json.dumps(self.data, ensure_ascii=False)}


def event_row(key: str, side: Side, event: Event) -> dict[str, Any]:
    """The ``event`` message's data: the timeline event with the row key and which side saw it."""
    return {"key": key, "side": side, **event.to_dict()}


class Feed:
    """Messages in order, kept on the event loop that publishes them (no locks: one thread)."""

    def __init__(self, keep: int = 5000) -> None:
        self._messages: deque[Message] = deque(maxlen=keep)
        self._seq = itertools.count(1)
        self._wake = asyncio.Event()
        self.closed = False

    def publish(self, name: str, data: dict[str, Any]) -> None:
        if self.closed:
            return
        self._messages.append(Message(next(self._seq), name, data))
        self._wake.set()
        self._wake = asyncio.Event()

    def close(self) -> None:
        """Publish ``done`` and stop every follower once it has read everything."""
        self.publish("done", {})
        self.closed = True

    def after(self, seq: int) -> list[Message]:
        """The kept messages newer than ``seq``."""
        return [message for message in self._messages if message.seq > seq]

    async def follow(self, after: int = 0) -> AsyncIterator[Message]:
        """Every kept message newer than ``after``, then each new one, until the feed is closed."""
        seen = after
        while True:
            wake = self._wake  # taken before reading, so a publish in between is not missed
            batch = self.after(seen)
            for message in batch:
                seen = message.seq
                yield message
            if self.closed and not self.after(seen):
                return
            if not batch:
                await wake.wait()
