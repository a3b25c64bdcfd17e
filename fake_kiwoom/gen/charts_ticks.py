"""ka10079 주식틱차트: the trades of the last trading day, drawn inside the minute bars ka10080 gives.

Each 1-minute bar of the day (``SyntheticMarket.minute_bars``) is split into a few trades,
seeded by (seed, code, minute): the first trades at the bar's open, the last at its close,
those between stay inside the bar's low and high on the tick grid, and their quantities sum
to the bar's volume. So ticks regrouped by minute give back ka10080's bars, the newest tick
is ka10001's current price and all ticks together carry the day's volume. The minute under
way shows its trades up to the current second; the closing auction is one trade at 15:30.

``tic_scope`` N groups the trades N at a time from the day's first; the newest bar may hold
fewer, and ``last_tic_cnt`` says how many. Newest first, ``minute_page_size`` (900) a page.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from krx.calendar import REGULAR_CLOSE

from ..auction import MinuteBar
from ..market import to_kst
from ..prices import price_limits, sign_code, tick_round
from ..tr_types import TrRequest
from .base import Answer, Generator, Values, paged
from .charts_base import asof, listing_of

#: Trades drawn inside one minute bar, at most (never more than its volume in shares).
MAX_TICKS_PER_MINUTE = 12


@dataclass(frozen=True, slots=True)
class Tick:
    time: datetime  # KST
    price: int
    qty: int
    prev_close: int


def _quantities(rng: random.Random, volume: int, n: int) -> list[int]:
    """``n`` positive quantities summing to ``volume`` (``n <= volume``)."""
    weights = [rng.random() + 0.05 for _ in range(n)]
    spare = volume - n
    parts = [1 + int(spare * w / sum(weights)) for w in weights]
    parts[-1] += volume - sum(parts)
    return parts


def minute_ticks(seed: int, code: str, bar: MinuteBar, *, etf: bool, last_second: int = 59) -> list[Tick]:
    """The trades of one 1-minute bar, oldest first, none stamped after ``last_second`` of its minute."""
    if bar.volume <= 0:
        return []
    if bar.time.time() == REGULAR_CLOSE:  # the closing auction's single execution
        return [Tick(bar.time, bar.close, bar.volume, bar.prev_close)]
    rng = random.Random(f"{seed}:{code}:{bar.time.isoformat()}:ticks")
    n = min(rng.randint(2, MAX_TICKS_PER_MINUTE), bar.volume, last_second + 1)
    seconds = sorted(rng.sample(range(last_second + 1), n))
    between = [tick_round(rng.uniform(bar.low, bar.high), etf=etf) for _ in range(n - 2)]
    prices = [bar.close] if n == 1 else [bar.open, *(min(max(p, bar.low), bar.high) for p in between), bar.close]
    start = bar.time - timedelta(minutes=1)
    return [
        Tick(start + timedelta(seconds=s), p, q, bar.prev_close)
        for s, p, q in zip(seconds, prices, _quantities(rng, bar.volume, n), strict=True)
    ]


def day_ticks(req: TrRequest, code: str, now: float, *, etf: bool) -> list[Tick]:
    """Every trade of the last trading day visible at ``now``, oldest first."""
    kst = to_kst(now)
    ticks: list[Tick] = []
    for bar in reversed(req.market.minute_bars(code, now, scope=1, days=1)):
        live = bar.time > kst  # the minute under way
        last = kst.second if live else 59
        ticks.extend(minute_ticks(req.market.seed, code, bar, etf=etf, last_second=last))
    return ticks


def tick_bar(group: list[Tick], *, etf: bool) -> Values:
    """One N-tick bar (its trades oldest first), stamped with its last trade."""
    last = group[-1]
    prev = last.prev_close
    lower, upper = price_limits(prev, etf=etf)
    return {
        "cur_prc": (last.price, prev),
        "trde_qty": sum(t.qty for t in group),
        "cntr_tm": last.time,
        "open_pric": (group[0].price, prev),
        "high_pric": (max(t.price for t in group), prev),
        "low_pric": (min(t.price for t in group), prev),
        "pred_pre": last.price - prev,
        "pred_pre_sig": sign_code(last.price, prev, lower, upper),
    }


def ka10079(req: TrRequest) -> Answer:
    listing = listing_of(req)
    scope = int(req.body["tic_scope"])
    ticks = day_ticks(req, listing.code, asof(req), etf=listing.is_etp)
    groups = [ticks[i : i + scope] for i in range(0, len(ticks), scope)]
    rows = [tick_bar(g, etf=listing.is_etp) for g in reversed(groups)]
    top: Values = {"stk_cd": req.body["stk_cd"], "last_tic_cnt": len(groups[-1]) if groups else 0}
    return paged(req, rows, req.config.minute_page_size, top)


GENERATORS: Mapping[str, Generator] = {"ka10079": ka10079}
