"""What the stream is given and what it reports: its settings, token source, backfill and observer.

Kept apart from :mod:`kiwoom.realtime.stream` so that builders (``build.py``), the Redis
feed and tests can name these without the connection loop.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from kiwoom.realtime.feed import Pair
from kiwoom.realtime.ticks import REAL_TYPES, RealType


@dataclass(frozen=True, slots=True)
class StreamConfig:
    idle_timeout_s: float = 30.0
    backoff_base_s: float = 0.25
    backoff_max_s: float = 30.0
    reg_gather_s: float = 0.05
    group_size: int = 100
    buffer_max: int = 5000
    login_timeout_s: float = 10.0


class TokenSource(Protocol):
    async def token(self) -> str:
        """A token to LOGIN with."""

    async def rejected(self, token: str) -> None:
        """LOGIN refused ``token``: the next :meth:`token` must be a new one."""


#: codes → 0B-style wire values per code, from a REST quote (used after a gap).
Backfill = Callable[[list[str]], Awaitable[Mapping[str, Mapping[str, str]]]]


class StreamObserver(Protocol):
    def stream_event(self, event: str, detail: Mapping[str, object]) -> None:
        """One thing that happened to the stream (for a timeline lane, metrics or logs)."""


class QuietObserver:
    def stream_event(self, event: str, detail: Mapping[str, object]) -> None:
        return None


class LoginRefusedError(Exception):
    pass


def checked_pair(pair: Pair) -> Pair:
    kind, item = pair
    if kind not in REAL_TYPES:
        raise ValueError(f"실시간 항목 type 은 {', '.join(REAL_TYPES)} 중 하나여야 합니다: {kind!r}")
    real: RealType = kind
    return (real, item)


def parse_frame(raw: str) -> dict[str, Any]:
    try:
        frame = json.loads(raw)
    except ValueError:
        return {}
    return frame if isinstance(frame, dict) else {}
