"""The daily walks behind the synthetic market: trading days since 2019 and each listing's opens and closes.

A walk is a pure function of the seed, the calendar and the listing, so every
:class:`~fake_kiwoom.market.SyntheticMarket` of one seed shares it for the life of the
process: walking several hundred listings daily since 2019 costs seconds, which every new
fake (a test, a lab run, a benchmark round) would otherwise pay again. A lock makes the
extension safe for fakes served from several threads.
"""

from __future__ import annotations

import hashlib
import math
import threading
from dataclasses import dataclass, field
from datetime import date, timedelta

from krx.calendar import KrxCalendar

from .listings import Listing, Market
from .prices import price_limits, tick_round

HISTORY_START = date(2019, 1, 2)


def normals(key: str) -> tuple[float, float, float]:
    """Three standard normals from a hash of ``key`` (Box-Muller), independent of any RNG state."""
    digest = hashlib.blake2b(key.encode(), digest_size=32).digest()
    u = [(int.from_bytes(digest[i : i + 8], "big") + 0.5) / 2.0**64 for i in range(0, 32, 8)]
    r1, r2 = math.sqrt(-2.0 * math.log(u[0])), math.sqrt(-2.0 * math.log(u[2]))
    return r1 * math.cos(2 * math.pi * u[1]), r1 * math.sin(2 * math.pi * u[1]), r2 * math.cos(2 * math.pi * u[3])


#: Daily volatility by market. ETNs mostly track commodity, currency and bond futures, a
#: little livelier than the average ETF.
MARKET_SIGMA: dict[Market, float] = {Market.KOSPI: 0.017, Market.KOSDAQ: 0.026, Market.ETF: 0.009, Market.ETN: 0.012}

#: Daily volatility of a product that accrues a money-market rate (CD금리투자 ETNs): it barely moves.
RATE_SIGMA = 0.0005


def daily_sigma(listing: Listing) -> float:
    """A listing's daily volatility: by market, doubled for leveraged and 2X inverse products.

    Rate-accruing ETNs (CD금리) move by a tick or two a day whatever their market's figure.
    """
    if listing.is_etn and "CD금리" in listing.name:
        return RATE_SIGMA
    base = MARKET_SIGMA[listing.market]
    if "레버리지" in listing.name or "2X" in listing.name:
        base *= 2
    return base


@dataclass(slots=True)
class Walks:
    """The trading days and the daily walks of one seed and calendar."""

    days: list[date] = field(default_factory=lambda: [HISTORY_START])
    index: dict[date, int] = field(default_factory=lambda: {HISTORY_START: 0})
    closes: dict[str, list[int]] = field(default_factory=dict)
    opens: dict[str, list[int]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def day_index(self, day: date, calendar: KrxCalendar) -> int:
        """Index of the last trading day on or before ``day`` (clamped to the history start)."""
        if day <= HISTORY_START:
            return 0
        with self.lock:
            while self.days[-1] < day:
                nxt = calendar.next_trading_day(self.days[-1])
                self.index[nxt] = len(self.days)
                self.days.append(nxt)
            while day not in self.index:
                day -= timedelta(days=1)
            return self.index[day]

    def extend(self, listing: Listing, upto: int, seed: int) -> tuple[list[int], list[int]]:
        """``listing``'s closes and opens through trading day ``upto`` (already indexed by :meth:`day_index`)."""
        closes = self.closes.get(listing.code)
        if closes is not None and len(closes) > upto:
            return closes, self.opens[listing.code]
        with self.lock:
            return self._extend(listing, upto, seed)

    def _extend(self, listing: Listing, upto: int, seed: int) -> tuple[list[int], list[int]]:
        code, etf = listing.code, listing.is_etp  # ETNs trade on the ETF tick grid
        closes = self.closes.setdefault(code, [listing.base_price])
        opens = self.opens.setdefault(code, [listing.base_price])
        sigma, anchor = daily_sigma(listing), math.log(listing.base_price)
        while len(closes) <= upto:
            i = len(closes)
            prev = closes[-1]
            lower, upper = price_limits(prev, etf=etf)
            z_close, z_gap, _ = normals(f"{seed}:{code}:{self.days[i].isoformat()}:d")
            drift = -0.01 * (math.log(prev) - anchor)
            close = prev * math.exp(max(-0.25, min(0.25, sigma * z_close + drift)))
            opening = prev * math.exp(max(-0.1, min(0.1, 0.3 * sigma * z_gap)))
            closes.append(tick_round(min(max(close, lower), upper), etf=etf))
            opens.append(tick_round(min(max(opening, lower), upper), etf=etf))
        return closes, opens


_WALKS: dict[tuple[int, frozenset[date]], Walks] = {}
_WALKS_LOCK = threading.Lock()


def walks_for(seed: int, calendar: KrxCalendar) -> Walks:
    """The process's walks of ``seed`` on ``calendar`` (shared by every market of both)."""
    with _WALKS_LOCK:
        return _WALKS.setdefault((seed, calendar.holidays), Walks())
