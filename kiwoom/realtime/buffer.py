"""What the stream keeps per pair: the latest tick, order checks, and a conflating buffer.

A consumer slower than the market must never make memory grow, so the buffer holds at
most one unread tick per pair (latest wins, the older one is counted as conflated) and
at most ``max_pairs`` pairs. Duplicates and ticks older than the last accepted one (a
replay after a reconnect, or an out-of-order push) are dropped here, before anyone sees
them: the order key of a 체결 is (cumulative volume, time), of a 호가 its time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from kiwoom.realtime.feed import Pair
from kiwoom.realtime.ticks import ORDERBOOK, QUOTE, Tick
from krx.calendar import KST

Verdict = Literal["accepted", "duplicate", "out_of_order"]


def _int(values: Mapping[str, str], key: str) -> int:
    raw = values.get(key, "").strip().lstrip("+-")
    return int(raw) if raw.isdigit() else -1


def _order_key(tick: Tick) -> tuple[int, ...]:
    if tick.kind == QUOTE:
        return (_int(tick.values, "13"), _int(tick.values, "20"))
    if tick.kind == ORDERBOOK:
        return (_int(tick.values, "21"),)
    return ()


def _day(tick: Tick) -> str:
    return datetime.fromtimestamp(tick.received_at, KST).strftime("%Y%m%d")


@dataclass
class Counters:
    accepted: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    conflated: int = 0
    evicted: int = 0


@dataclass
class TickBook:
    max_pairs: int = 5000
    latest: dict[Pair, Tick] = field(default_factory=dict)
    pending: dict[Pair, Tick] = field(default_factory=dict)
    counters: Counters = field(default_factory=Counters)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    #: Set once a consumer iterates; until then only ``latest`` is kept (listeners need no buffer).
    buffering: bool = True

    def judge(self, tick: Tick) -> Verdict:
        """Whether ``tick`` is new, a repeat of the last one, or older than it (same trading day)."""
        last = self.latest.get(tick.key)
        if last is None or last.origin == "backfill" or tick.origin == "backfill" or _day(last) != _day(tick):
            return "accepted"
        if dict(last.values) == dict(tick.values):
            return "duplicate"
        new, old = _order_key(tick), _order_key(last)
        if new and new < old:
            return "out_of_order"
        return "accepted"

    def offer(self, tick: Tick) -> Verdict:
        """Keep ``tick`` as the pair's latest and queue it for the consumer, unless it is stale."""
        verdict = self.judge(tick)
        if verdict == "duplicate":
            self.counters.duplicates += 1
            return verdict
        if verdict == "out_of_order":
            self.counters.out_of_order += 1
            return verdict
        self.counters.accepted += 1
        self.latest[tick.key] = tick
        if not self.buffering:
            return verdict
        if tick.key in self.pending:
            self.counters.conflated += 1
        elif len(self.pending) >= self.max_pairs:
            self.pending.pop(next(iter(self.pending)))
            self.counters.evicted += 1
        self.pending[tick.key] = tick
        self.ready.set()
        return verdict

    def forget(self, pair: Pair) -> None:
        self.latest.pop(pair, None)
        self.pending.pop(pair, None)

    def take(self) -> Tick | None:
        """The oldest unread pair's latest tick, or None when nothing is unread."""
        if not self.pending:
            self.ready.clear()
            return None
        key = next(iter(self.pending))
        return self.pending.pop(key)
