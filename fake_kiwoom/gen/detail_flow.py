"""Executions and execution strength (체결강도): ka10046, ka10047 and ka10003.

Execution strength is buyer-initiated volume over seller-initiated volume, times 100. The
fake splits every 1-minute bar of the synthetic market (``SyntheticMarket.minute_bars``)
into the two sides: the buyers' share leans with the bar's move (a bar that closes ticks
above its open was mostly bought into) plus a draw fixed per (seed, code, day, minute),
so the split never changes once a minute has traded and every TR tells the same story:

* ka10046 lists today's minutes (the last trading day's before 09:00), newest first: the
  minute's volume signed by the side that dominated, the cumulative volume and value, the
  day's strength so far and over the last 5, 20 and 60 minutes. Its newest row's
  cumulative volume and value are the day's ``trde_qty`` and traded value ka10001 and
  ka10007 report for the same venue at the same instant.
* ka10003 lists the same minutes as executions (the minute's last trade): price, best ask
  one tick above and best bid at the price (the order book's model), the signed volume,
  cumulative volume and value in won, and the strength.
* ka10047 gives one row per trading day of ka10081's bars: the close, the day's volume and
  value, the day's strength (the one ka10046 ends the day with) and its 5-, 20- and 60-day
  averages. Like the charts it shows KRX on every venue; ``trde_qty`` stays blank, as live.

Intraday volumes follow the venue of the code's suffix as ``venues.py`` defines it (NXT a
fixed share of KRX's continuous trading, none of the closing auction).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from krx.calendar import KST, REGULAR_OPEN

from ..auction import CONTINUOUS_MINUTES, SESSION_MINUTES, MinuteBar
from ..listings import Listing
from ..market import SyntheticMarket, to_kst
from ..prices import change_rate, price_limits, step_up, tick_size
from ..tr_types import TrRequest
from ..venues import KRX, NXT, nxt_share, require_venue
from .base import Answer, Generator, Values, paged
from .detail_common import VENUE_NAMES, asof, sign_of

#: Rows a page: ka10046 and ka10047 were measured answering 60 rows with ``cont-yn: Y``.
STRENGTH_PAGE = 60
EXECUTION_PAGE = 100
#: Trading days ka10047 reaches back.
DAILY_ROWS = 120
WINDOWS: tuple[int, int, int] = (5, 20, 60)
#: Strength when nothing was sold against something bought.
MAX_STRENGTH = 999.99


def buy_share(bar: MinuteBar, draw: float, *, etf: bool) -> float:
    """The buyer-initiated share of a minute's volume: leans with the minute's move in ticks, plus noise."""
    ticks = (bar.close - bar.open) / tick_size(bar.open, etf=etf)
    return min(0.95, max(0.05, 0.5 + 0.3 * math.tanh(ticks / 2) + 0.2 * (draw - 0.5)))


def strength(buy: int, sell: int) -> float:
    """Buyer- over seller-initiated volume, times 100; 0 with no volume."""
    if sell <= 0:
        return 0.0 if buy <= 0 else MAX_STRENGTH
    return min(MAX_STRENGTH, buy / sell * 100)


def _draws(market: SyntheticMarket, listing: Listing, day: date) -> list[float]:
    rng = random.Random(f"{market.seed}:{listing.code}:{day.isoformat()}:flow")
    return [rng.random() for _ in range(SESSION_MINUTES)]


def _minute(bar: MinuteBar) -> int:
    """The bar's minute of the session, 0-based (its label is the end of the minute)."""
    opening = datetime.combine(bar.time.date(), REGULAR_OPEN, tzinfo=KST)
    return min(SESSION_MINUTES, max(1, (bar.time - opening) // timedelta(minutes=1))) - 1


def _buys(bars: Sequence[MinuteBar], volumes: Sequence[int], draws: Sequence[float], *, etf: bool) -> list[int]:
    return [round(v * buy_share(b, draws[_minute(b)], etf=etf)) for b, v in zip(bars, volumes, strict=True)]


@dataclass(frozen=True, slots=True)
class Execution:
    """One minute of a day's trading on one venue, with everything accumulated up to it."""

    time: datetime
    price: int
    prev_close: int
    volume: int
    buy: int
    acc_volume: int
    acc_value: int  # won
    strength: float
    windows: tuple[float, ...]

    @property
    def signed_volume(self) -> int:
        """The minute's volume, positive when buyers initiated most of it."""
        return self.volume if 2 * self.buy >= self.volume else -self.volume


def _venue_totals(bars: Sequence[MinuteBar], listing: Listing, suffix: str) -> list[tuple[int, int]]:
    """Cumulative (volume, value in won) after each bar on the venue, as ``venues.venue_quote`` reports them."""
    share = nxt_share(listing)
    opening, high, low = bars[0].open, bars[0].high, bars[0].low
    continuous = 0
    totals: list[tuple[int, int]] = []
    for bar in bars:
        high, low = max(high, bar.high), min(low, bar.low)
        if _minute(bar) < CONTINUOUS_MINUTES:  # the closing auction's execution never trades on NXT
            continuous = bar.acc_volume
        krx_value = bar.acc_volume * (opening + high + low + bar.close) // 4  # the day bar's value so far
        nxt_volume = int(continuous * share)
        nxt_value = krx_value * nxt_volume // bar.acc_volume if bar.acc_volume else 0
        if suffix == KRX or share == 0.0:
            totals.append((bar.acc_volume, krx_value))
        elif suffix == NXT:
            totals.append((nxt_volume, nxt_value))
        else:
            totals.append((bar.acc_volume + nxt_volume, krx_value + nxt_value))
    return totals


def executions(market: SyntheticMarket, listing: Listing, suffix: str, now: float) -> list[Execution]:
    """The latest trading day's minutes up to ``now`` on the venue ``suffix`` names, oldest first."""
    bars = list(reversed(market.minute_bars(listing.code, now, scope=1, days=1)))
    if not bars:
        return []
    kst = to_kst(now)
    totals = _venue_totals(bars, listing, suffix)
    volumes = [total - before for (total, _), (before, _) in zip(totals, [(0, 0), *totals[:-1]], strict=True)]
    buys = _buys(bars, volumes, _draws(market, listing, bars[0].time.date()), etf=listing.is_etp)
    bought, sold = [0], [0]  # prefix sums
    for volume, buy in zip(volumes, buys, strict=True):
        bought.append(bought[-1] + buy)
        sold.append(sold[-1] + volume - buy)
    rows: list[Execution] = []
    for k, (bar, (acc_volume, acc_value)) in enumerate(zip(bars, totals, strict=True)):
        end = k + 1
        windows = tuple(
            strength(bought[end] - bought[max(0, end - n)], sold[end] - sold[max(0, end - n)]) for n in WINDOWS
        )
        time = min(bar.time, kst) if bar.time.date() == kst.date() else bar.time
        total = strength(bought[end], sold[end])
        rows.append(
            Execution(time, bar.close, bar.prev_close, volumes[k], buys[k], acc_volume, acc_value, total, windows)
        )
    return rows


def day_strengths(market: SyntheticMarket, listing: Listing, now: float, days: int) -> dict[date, float]:
    """Each of the last ``days`` trading days' execution strength on KRX (today's so far)."""
    by_day: dict[date, list[MinuteBar]] = {}
    for bar in market.minute_bars(listing.code, now, scope=1, days=days):
        by_day.setdefault(bar.time.date(), []).append(bar)
    found: dict[date, float] = {}
    for day, bars in by_day.items():
        volumes = [b.volume for b in bars]
        bought = sum(_buys(bars, volumes, _draws(market, listing, day), etf=listing.is_etp))
        found[day] = strength(bought, sum(volumes) - bought)
    return found


def _price_block(e: Execution, listing: Listing) -> Values:
    return {
        "cur_prc": (e.price, e.prev_close),
        "pred_pre": e.price - e.prev_close,
        "pred_pre_sig": sign_of(e.price, e.prev_close, listing),
        "flu_rt": change_rate(e.price, e.prev_close),
    }


def ka10046(req: TrRequest) -> Answer:
    """체결강도추이시간별: the day's minutes, newest first, with the strength so far and over windows."""
    listing, suffix = require_venue(req.body["stk_cd"])
    rows: list[Values] = []
    for e in reversed(executions(req.market, listing, suffix, asof(req))):
        five, twenty, sixty = e.windows
        rows.append(
            {
                "cntr_tm": e.time,
                **_price_block(e, listing),
                "trde_qty": e.signed_volume,
                "acc_trde_prica": e.acc_value // 1_000_000,
                "acc_trde_qty": e.acc_volume,
                "cntr_str": e.strength,
                "cntr_str_5min": five,
                "cntr_str_20min": twenty,
                "cntr_str_60min": sixty,
                "stex_tp": VENUE_NAMES[suffix],
            }
        )
    return paged(req, rows, STRENGTH_PAGE)


def ka10003(req: TrRequest) -> Answer:
    """체결정보: the day's executions, newest first, with the best quotes around them and the strength."""
    listing, suffix = require_venue(req.body["stk_cd"])
    etf = listing.is_etp
    rows: list[Values] = []
    for e in reversed(executions(req.market, listing, suffix, asof(req))):
        _, upper = price_limits(e.prev_close, etf=etf)
        ask = step_up(e.price, etf=etf)
        rows.append(
            {
                "tm": e.time,
                "cur_prc": (e.price, e.prev_close),
                "pred_pre": e.price - e.prev_close,
                "pre_rt": change_rate(e.price, e.prev_close),
                "pri_sel_bid_unit": (ask, e.prev_close) if ask <= upper else 0,
                "pri_buy_bid_unit": (e.price, e.prev_close),
                "cntr_trde_qty": e.signed_volume,
                "sign": sign_of(e.price, e.prev_close, listing),
                "acc_trde_qty": e.acc_volume,
                "acc_trde_prica": e.acc_value,
                "cntr_str": e.strength,
                "stex_tp": VENUE_NAMES[suffix],
            }
        )
    return paged(req, rows, EXECUTION_PAGE)


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def ka10047(req: TrRequest) -> Answer:
    """체결강도추이일별: ka10081's trading days, newest first, with each day's strength and its averages."""
    listing, _ = require_venue(req.body["stk_cd"])  # every venue shows KRX's days, as the charts do
    now = asof(req)
    bars = req.market.daily_bars(listing.code, now, count=DAILY_ROWS + max(WINDOWS))
    by_day = day_strengths(req.market, listing, now, len(bars))
    strengths = [by_day.get(b.day, 0.0) for b in bars]
    rows: list[Values] = []
    for i, bar in enumerate(bars[:DAILY_ROWS]):
        row: dict[str, Any] = {
            "dt": bar.day,
            "cur_prc": (bar.close, bar.prev_close),
            "pred_pre": bar.close - bar.prev_close,
            "pred_pre_sig": sign_of(bar.close, bar.prev_close, listing),
            "flu_rt": change_rate(bar.close, bar.prev_close),
            "trde_qty": None,  # blank on the live server too
            "acc_trde_prica": bar.value // 1_000_000,
            "acc_trde_qty": bar.volume,
            "cntr_str": strengths[i],
        }
        for n, name in zip(WINDOWS, ("cntr_str_5min", "cntr_str_20min", "cntr_str_60min"), strict=True):
            row[name] = _mean(strengths[i : i + n])
        rows.append(row)
    return paged(req, rows, STRENGTH_PAGE)


GENERATORS: dict[str, Generator] = {"ka10046": ka10046, "ka10047": ka10047, "ka10003": ka10003}

__all__ = ["GENERATORS", "Execution", "day_strengths", "executions", "strength"]
