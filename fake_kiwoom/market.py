"""A deterministic synthetic KRX market driven by a seed and a clock.

Why it is built this way:

* Every random number is derived from ``(seed, code, trading day)`` alone, never from a
  shared generator, so the same seed gives the same prices whatever order requests
  arrive in, and a test can ask for any day directly.
* Daily closes are a mean-reverting geometric random walk over KRX trading days starting
  at ``HISTORY_START``; each close stays inside ±30 % of the previous one and on the tick grid.
* Each trading day has a 1-minute price path from 09:00 to 15:30 (a Brownian bridge from
  the day's open to its close), so the current price moves minute by minute during
  continuous trading, daily high/low/volume equal those of the traded bars, and the newest
  minute bar closes at the current price. Before 09:00 the price is the previous close;
  after 15:30, and on closed days, it is the last close.
* KRX's closing call auction (15:20-15:30; the model is in ``auction.py``): nothing trades
  from 15:20, so the price stays at the path's 15:20 point; at 15:30 one single-price
  execution at the path's end (the daily walk's close) fixes the close and carries the
  volume the intraday profile gives the last ten minutes. The path's minutes inside the
  auction are never traded, so they count toward neither the day's high nor its low.
"""

from __future__ import annotations

import math
import random
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from itertools import accumulate

from krx.calendar import KST, KrxCalendar

from .auction import CONTINUOUS_MINUTES, SESSION_MINUTES, MinuteBar, day_minute_bars, minutes_traded
from .listings import LISTINGS, Listing, find_listing
from .prices import price_limits, step_down, step_up, tick_round
from .walks import daily_sigma, normals, walks_for

MINUTE_HISTORY_DAYS = 5
BOOK_LEVELS = 10
_SQRT12 = math.sqrt(12.0)
_PROFILE: tuple[float, ...] = tuple(
    1.0 + 2.0 * math.exp(-k / 20.0) + 1.5 * math.exp(-(SESSION_MINUTES - 1 - k) / 15.0) for k in range(SESSION_MINUTES)
)
_PROFILE_NORM = sum(_PROFILE) * 1.15  # mean of (0.4 + 3|u - 0.5|) is 1.15


def to_kst(now: datetime | float) -> datetime:
    """Accept epoch seconds or an aware datetime; naive datetimes are taken as KST."""
    if isinstance(now, datetime):
        return now.replace(tzinfo=KST) if now.tzinfo is None else now.astimezone(KST)
    return datetime.fromtimestamp(now, KST)


@dataclass(frozen=True, slots=True)
class DailyBar:
    day: date
    open: int
    high: int
    low: int
    close: int
    volume: int
    value: int  # won
    prev_close: int
    auction_volume: int = 0  # traded in the closing auction, part of ``volume``


@dataclass(frozen=True, slots=True)
class Extremes:
    high: int
    high_day: date
    low: int
    low_day: date


@dataclass(frozen=True, slots=True)
class Quote:
    """Where one stock stands at one instant.

    ``minutes`` is how far into the day's path trading has got: 0 before 09:00, then one per
    minute of continuous trading up to ``CONTINUOUS_MINUTES`` (held through the closing
    auction), and ``SESSION_MINUTES`` once the auction has executed at 15:30 (``auction.py``).
    """

    listing: Listing
    now: datetime
    day: date
    minutes: int
    prev_close: int
    price: int
    open: int
    high: int
    low: int
    volume: int
    value: int
    prev_volume: int
    lower: int
    upper: int
    auction_volume: int = 0  # of ``volume``, traded in today's closing auction
    prev_auction_volume: int = 0  # of ``prev_volume``, traded in the previous day's closing auction

    @property
    def change(self) -> int:
        return self.price - self.prev_close

    @property
    def change_rate(self) -> float:
        return (self.price - self.prev_close) / self.prev_close * 100


@dataclass(frozen=True, slots=True)
class OrderBook:
    """Ten ask levels above and ten bid levels below the price; an absent level is ``(0, 0)``."""

    asks: tuple[tuple[int, int], ...]  # (price, qty), best first
    bids: tuple[tuple[int, int], ...]

    @property
    def total_ask(self) -> int:
        return sum(q for _, q in self.asks)

    @property
    def total_bid(self) -> int:
        return sum(q for _, q in self.bids)


@dataclass(frozen=True, slots=True)
class _DayPath:
    points: tuple[int, ...]  # price at 09:00 + k minutes, k = 0..390
    cum_volume: tuple[int, ...]  # volume traded in the first k minutes, k = 0..390


@dataclass(frozen=True, slots=True)
class _DayInputs:
    prev: int
    open: int
    close: int
    lower: int
    upper: int
    log_open: float
    scale: float
    slope: float
    steps: list[float]
    walk: list[float]
    volume: int
    cum_volume: list[int]  # volume traded in the first k minutes of the path, k = 0..390


def _bar(day: date, o: int, h: int, lo: int, c: int, *, volume: int, prev: int, auction: int = 0) -> DailyBar:
    """A daily bar; traded value is volume at the bar's typical price, so partial and final bars agree."""
    return DailyBar(day, o, h, lo, c, volume, volume * (o + h + lo + c) // 4, prev, auction)


class SyntheticMarket:
    """Prices, bars and order books for the listings, reproducible from ``seed``."""

    def __init__(self, seed: int = 0, calendar: KrxCalendar | None = None, *, path_cache: int = 512) -> None:
        self.seed = seed
        self.calendar = calendar or KrxCalendar()
        self._walks = walks_for(seed, self.calendar)
        self._days: list[date] = self._walks.days
        self._summaries: dict[tuple[str, int], DailyBar] = {}
        self._paths: OrderedDict[tuple[str, int], _DayPath] = OrderedDict()
        self._path_cache = path_cache

    # --- listings -------------------------------------------------------------------

    @cached_property
    def listings(self) -> tuple[Listing, ...]:
        return LISTINGS

    def listing(self, code: str) -> Listing:
        found = find_listing(code)
        if found is None:
            raise KeyError(code)
        return found

    # --- trading-day index and the daily walk -----------------------------------------

    def _day_index(self, day: date) -> int:
        """Index of the last trading day on or before ``day`` (clamped to the history start)."""
        return self._walks.day_index(day, self.calendar)

    def _extend_walk(self, listing: Listing, upto: int) -> tuple[list[int], list[int]]:
        return self._walks.extend(listing, upto, self.seed)

    def _day(self, listing: Listing, i: int) -> _DayInputs:
        """Everything that fixes trading day ``i``: prices from the walk plus the intraday draws."""
        closes, opens = self._extend_walk(listing, i)
        prev = closes[i - 1] if i > 0 else closes[0]
        lower, upper = price_limits(prev, etf=listing.is_etp)
        stamp = f"{self.seed}:{listing.code}:{self._days[i].isoformat()}"
        rng = random.Random(f"{stamp}:m")
        steps = [rng.random() - 0.5 for _ in range(SESSION_MINUTES)]
        walk = list(accumulate(steps, initial=0.0))
        scale = _SQRT12 * daily_sigma(listing) * 0.7 / math.sqrt(SESSION_MINUTES)
        log_open = math.log(opens[i])
        slope = (math.log(closes[i]) - log_open - scale * walk[-1]) / SESSION_MINUTES
        turnover = (0.02 if listing.is_etf else 0.003) * math.exp(0.4 * normals(f"{stamp}:d")[2])
        volume = int(listing.shares * turnover)
        weights = list(accumulate(w * (0.4 + 3.0 * abs(s)) for w, s in zip(_PROFILE, steps, strict=True)))
        cum_volume = [0, *(int(volume * c / weights[-1]) for c in weights[:-1]), volume]
        return _DayInputs(
            prev, opens[i], closes[i], lower, upper, log_open, scale, slope, steps, walk, volume, cum_volume
        )

    def _path(self, listing: Listing, i: int) -> _DayPath:
        """The 1-minute path of trading day ``i``; a small LRU keeps recent days."""
        key = (listing.code, i)
        cached = self._paths.get(key)
        if cached is not None:
            self._paths.move_to_end(key)
            return cached
        d = self._day(listing, i)
        etf = listing.is_etp
        moves = [d.scale * w + k * d.slope for k, w in enumerate(d.walk)]
        points = [tick_round(min(max(math.exp(d.log_open + m), d.lower), d.upper), etf=etf) for m in moves]
        points[0], points[-1] = d.open, d.close
        path = _DayPath(tuple(points), tuple(d.cum_volume))
        self._paths[key] = path
        if len(self._paths) > self._path_cache:
            self._paths.popitem(last=False)
        return path

    def _summary(self, listing: Listing, i: int) -> DailyBar:
        """A finished day's bar, computed without ticking every minute (ticking is monotone).

        Only continuous trading and the auction's execution (the close) trade, so the
        path's minutes inside the closing auction count toward neither high nor low.
        """
        key = (listing.code, i)
        bar = self._summaries.get(key)
        if bar is None:
            d = self._day(listing, i)
            etf = listing.is_etp
            moves = [d.scale * w + k * d.slope for k, w in enumerate(d.walk[: CONTINUOUS_MINUTES + 1])]
            top = tick_round(min(max(math.exp(d.log_open + max(moves)), d.lower), d.upper), etf=etf)
            bottom = tick_round(min(max(math.exp(d.log_open + min(moves)), d.lower), d.upper), etf=etf)
            high, low = max(top, d.open, d.close), min(bottom, d.open, d.close)
            auction = d.volume - d.cum_volume[CONTINUOUS_MINUTES]
            bar = _bar(self._days[i], d.open, high, low, d.close, volume=d.volume, prev=d.prev, auction=auction)
            self._summaries[key] = bar
        return bar

    def _partial(self, listing: Listing, i: int, minutes: int) -> DailyBar:
        if minutes >= SESSION_MINUTES:
            return self._summary(listing, i)
        closes, _ = self._extend_walk(listing, i)
        prev = closes[i - 1] if i > 0 else closes[0]
        if minutes <= 0:
            return DailyBar(self._days[i], 0, 0, 0, prev, 0, 0, prev)
        path = self._path(listing, i)
        seen = path.points[: minutes + 1]
        return _bar(self._days[i], seen[0], max(seen), min(seen), seen[-1], volume=path.cum_volume[minutes], prev=prev)

    # --- the view at an instant -------------------------------------------------------

    def _view(self, now: datetime | float) -> tuple[datetime, int, int]:
        """(KST now, index of the trading day shown, minutes of it that have traded)."""
        kst = to_kst(now)
        today = kst.date()
        if not self.calendar.is_trading_day(today):
            return kst, self._day_index(today), SESSION_MINUTES
        return kst, self._day_index(today), minutes_traded(kst)

    def quote(self, code: str, now: datetime | float) -> Quote:
        """The quote at ``now``: price, day open/high/low/volume so far, previous close and limits."""
        listing = self.listing(code)
        kst, i, minutes = self._view(now)
        bar = self._partial(listing, i, minutes)
        prev = self._summary(listing, i - 1) if i > 0 else None
        lower, upper = price_limits(bar.prev_close, etf=listing.is_etp)
        return Quote(
            listing, kst, bar.day, minutes, bar.prev_close, bar.close, bar.open, bar.high, bar.low,
            bar.volume, bar.value, prev.volume if prev else 0, lower, upper,
            bar.auction_volume, prev.auction_volume if prev else 0,
        )  # fmt: skip

    def price(self, code: str, now: datetime | float) -> int:
        return self.quote(code, now).price

    def daily_bars(
        self, code: str, now: datetime | float, *, base_day: date | None = None, count: int = 750
    ) -> list[DailyBar]:
        """Up to ``count`` daily bars, newest first, ending at ``base_day`` or at the last day visible at ``now``.

        Today's bar is partial during the session and absent before 09:00.
        """
        listing = self.listing(code)
        _, i, minutes = self._view(now)
        last = i if minutes > 0 else i - 1
        if base_day is not None:
            last = min(last, self._day_index(base_day))
        self._extend_walk(listing, max(last, 0))
        bars: list[DailyBar] = []
        for j in range(last, max(last - count, 0), -1):
            bars.append(self._partial(listing, j, minutes) if j == i else self._summary(listing, j))
        return bars

    def minute_bars(
        self, code: str, now: datetime | float, *, scope: int = 1, days: int = MINUTE_HISTORY_DAYS
    ) -> list[MinuteBar]:
        """1-minute bars of the last ``days`` trading days aggregated into ``scope``-minute bars, newest first."""
        listing = self.listing(code)
        _, i, minutes = self._view(now)
        last = i if minutes > 0 else i - 1
        rows: list[MinuteBar] = []
        for j in range(last, max(last - days, 0), -1):
            visible = minutes if j == i else SESSION_MINUTES
            rows.extend(reversed(self._day_minute_bars(listing, j, visible, scope)))
        return rows

    def _day_minute_bars(self, listing: Listing, i: int, visible: int, scope: int) -> list[MinuteBar]:
        path = self._path(listing, i)
        closes, _ = self._extend_walk(listing, i)
        prev = closes[i - 1] if i > 0 else closes[0]
        return day_minute_bars(self._days[i], path.points, path.cum_volume, prev=prev, visible=visible, scope=scope)

    def order_book(self, code: str, now: datetime | float) -> OrderBook:
        """Best bid at the price, best ask one tick above, seeded quantities per minute."""
        q = self.quote(code, now)
        etf = q.listing.is_etp
        rng = random.Random(f"{self.seed}:{q.listing.code}:{q.day.isoformat()}:{q.minutes}:book")
        base = max(10, q.prev_volume // 4000)
        asks: list[tuple[int, int]] = []
        bids: list[tuple[int, int]] = []
        for level in range(BOOK_LEVELS):
            ask, bid = step_up(q.price, level + 1, etf=etf), step_down(q.price, level, etf=etf)
            ask_qty, bid_qty = (int(base * (0.2 + 1.6 * rng.random())) + 1 for _ in range(2))
            asks.append((ask, ask_qty) if ask <= q.upper else (0, 0))
            bids.append((bid, bid_qty) if bid >= q.lower else (0, 0))
        return OrderBook(tuple(asks), tuple(bids))

    def extremes(self, code: str, now: datetime | float, *, since: date | None = None, days: int = 250) -> Extremes:
        """Highest high and lowest low over the last ``days`` bars (or those since ``since``), with their dates."""
        bars = [b for b in self.daily_bars(code, now, count=days) if b.high]
        if since is not None:
            bars = [b for b in bars if b.day >= since] or bars[:1]
        top = max(bars, key=lambda b: (b.high, b.day))
        bottom = min(bars, key=lambda b: (b.low, -b.day.toordinal()))
        return Extremes(top.high, top.day, bottom.low, bottom.day)
