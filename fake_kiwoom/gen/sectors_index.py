"""The fake's sector indexes: Kiwoom's index codes, each a cap-weighted index of its member listings.

An index's level at any instant is ``sum(shares * price) / divisor`` over its members, the
prices being the synthetic market's own (the ones ka10001 reports), and the divisor fixed
so that the members' anchor prices (``Listing.base_price``) give the index its ``level``: a
plausible level like the real index's, since the synthetic walks revert to those anchors.

What is exact and what is cheaper (walking every member minute by minute over years would
take tens of seconds):

* opens, closes, previous closes and volumes: exact every day, from the members' daily
  walks (the volume by the market's own daily-volume formula, ``member_volume``);
* the current day and the last ``EXACT_DAYS`` trading days: high, low and the minute path
  summed from the members' one-minute paths, the value from their bars, so the minute
  charts, the daily bars of those days and ka20001 agree with the member quotes;
* older days: the value is the members' volume at the mean of their open and close, and the
  high and low a deterministic excursion beyond the open and close (a hash of seed, index
  and day). A day's high and low therefore change once, when it leaves the exact window.

The computations use a few of ``SyntheticMarket``'s private helpers (its view of an instant,
day index, walks, minute paths and day summaries); the other sector modules go through the
functions here.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from ..auction import CONTINUOUS_MINUTES, SESSION_MINUTES
from ..listings import LISTINGS, Listing, Market
from ..market import MINUTE_HISTORY_DAYS, Quote, SyntheticMarket
from ..walks import normals

#: Trading days (counting back from the one the market shows now) whose bars come from minute paths.
EXACT_DAYS = MINUTE_HISTORY_DAYS + 1
#: ka20001/ka20002/ka20009 ``mrkt_tp``: 0 KOSPI, 1 KOSDAQ, 2 KOSPI200.
KOSPI, KOSDAQ, KOSPI200 = "0", "1", "2"


@dataclass(frozen=True, slots=True)
class SectorIndex:
    """One index: Kiwoom's code and name, the markets it is listed under, its members and base level."""

    code: str
    name: str
    market: str  # the mrkt_tp ka20001 wants with it
    group_market: str  # the mrkt_tp ka10101 lists it under (also ka20003's and ka10051's grouping)
    members: tuple[Listing, ...]
    level: float
    divisor: float = field(init=False)

    def __post_init__(self) -> None:
        anchor = sum(m.shares * m.base_price for m in self.members)
        object.__setattr__(self, "divisor", anchor / self.level)

    def of(self, prices: Callable[[Listing], float]) -> float:
        """The level for the members' ``prices``."""
        return sum(m.shares * prices(m) for m in self.members) / self.divisor


def _stocks(market: Market) -> list[Listing]:
    return [x for x in LISTINGS if x.market is market]


def _largest(listings: list[Listing], n: int) -> tuple[Listing, ...]:
    ranked = sorted(listings, key=lambda x: (-x.shares * x.base_price, x.code))[:n]
    return tuple(sorted(ranked, key=lambda x: x.code))


#: KOSPI sector indexes: (code, Kiwoom's name, base level, the listings' sectors it holds).
_KOSPI_SECTORS: tuple[tuple[str, str, float, frozenset[str]], ...] = (
    ("005", "음식료업", 3600.0, frozenset({"음식료품"})),
    ("006", "섬유의복", 330.0, frozenset({"섬유의복"})),
    ("008", "화학", 4200.0, frozenset({"화학"})),
    ("009", "의약품", 17000.0, frozenset({"의약품"})),
    ("011", "철강금속", 4300.0, frozenset({"철강금속"})),
    ("012", "기계", 950.0, frozenset({"기계"})),
    ("013", "전기전자", 22000.0, frozenset({"전기전자"})),
    ("015", "운수장비", 2100.0, frozenset({"운수장비"})),
    ("016", "유통업", 360.0, frozenset({"유통업"})),
    ("017", "전기가스업", 900.0, frozenset({"전기가스업"})),
    ("018", "건설업", 70.0, frozenset({"건설업"})),
    ("019", "운수창고", 1500.0, frozenset({"운수창고업"})),
    ("020", "통신업", 390.0, frozenset({"통신업"})),
    ("021", "금융업", 520.0, frozenset({"금융업", "기타금융", "증권", "보험업"})),
    ("024", "증권", 2100.0, frozenset({"증권"})),
    ("025", "보험", 17500.0, frozenset({"보험업"})),
    ("026", "서비스업", 1650.0, frozenset({"서비스업"})),
    (
        "027",
        "제조업",
        5200.0,
        frozenset({"음식료품", "섬유의복", "화학", "의약품", "철강금속", "기계", "전기전자", "운수장비", "기타제조업"}),
    ),
)


def _build() -> dict[str, SectorIndex]:
    kospi, kosdaq = _stocks(Market.KOSPI), _stocks(Market.KOSDAQ)
    found = [
        SectorIndex("001", "종합(KOSPI)", KOSPI, KOSPI, tuple(kospi), 2500.0),
        SectorIndex("002", "대형주", KOSPI, KOSPI, tuple(x for x in kospi if x.size_class == "대형주"), 2450.0),
        SectorIndex("003", "중형주", KOSPI, KOSPI, tuple(x for x in kospi if x.size_class == "중형주"), 2900.0),
        SectorIndex("004", "소형주", KOSPI, KOSPI, tuple(x for x in kospi if x.size_class == "소형주"), 2200.0),
    ]
    for code, name, level, sectors in _KOSPI_SECTORS:
        found.append(SectorIndex(code, name, KOSPI, KOSPI, tuple(x for x in kospi if x.sector in sectors), level))
    found += [
        SectorIndex("101", "종합(KOSDAQ)", KOSDAQ, KOSDAQ, tuple(kosdaq), 750.0),
        SectorIndex("201", "KOSPI200", KOSPI200, KOSPI200, _largest(kospi, 200), 330.0),
        SectorIndex("701", "KRX100", KOSPI, "7", _largest(kospi + kosdaq, 100), 5300.0),
    ]
    return {x.code: x for x in found if x.members}


#: Every index the fake computes, by code (an index without members in the fake's universe is left out).
INDEXES: dict[str, SectorIndex] = _build()


def find_index(inds_cd: str, mrkt_tp: str | None = None) -> SectorIndex | None:
    """The index ``inds_cd`` names, when it is listed under ``mrkt_tp`` (any market when None)."""
    found = INDEXES.get(inds_cd.strip())
    if found is None or (mrkt_tp is not None and found.market != mrkt_tp):
        return None
    return found


# --- the index at an instant and over days ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndexBar:
    """One day (or period) of an index: levels as floats, volume in shares, value in won."""

    day: date
    open: float
    high: float
    low: float
    close: float
    prev_close: float
    volume: int
    value: int


@dataclass(frozen=True, slots=True)
class IndexPath:
    """A day's minute path of an index (levels at 09:00 + k minutes) and the volume traded by then."""

    day: date
    prev_close: float
    points: tuple[float, ...]
    cum_volume: tuple[int, ...]

    def bar(self, visible: int) -> IndexBar:
        """The day's bar as far as ``visible`` minutes (auction minutes never trade, as for stocks)."""
        seen = list(self.points[: min(visible, CONTINUOUS_MINUTES) + 1])
        if visible >= SESSION_MINUTES:
            seen.append(self.points[SESSION_MINUTES])
        close = seen[-1]
        volume = self.cum_volume[min(visible, SESSION_MINUTES)]
        return IndexBar(self.day, seen[0], max(seen), min(seen), close, self.prev_close, volume, 0)


@dataclass(frozen=True, slots=True)
class IndexNow:
    """An index at an instant, with the member quotes it was computed from."""

    index: SectorIndex
    day: date
    minutes: int
    level: float
    prev_close: float
    quotes: tuple[Quote, ...]
    bar: IndexBar | None  # today's bar so far; None before the first trade

    @property
    def change(self) -> float:
        return self.level - self.prev_close

    @property
    def change_rate(self) -> float:
        return self.change / self.prev_close * 100 if self.prev_close else 0.0


class _Cache:
    """Per market: recent index paths, each index's daily opens and closes, and daily volumes and values."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.paths: OrderedDict[tuple[str, int], IndexPath] = OrderedDict()
        self.levels: dict[str, tuple[list[float], list[float]]] = {}
        self.flows: dict[tuple[str, int], tuple[int, int]] = {}


_CACHES: weakref.WeakKeyDictionary[SyntheticMarket, _Cache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()
_PATH_CACHE = 64


def _cache(market: SyntheticMarket) -> _Cache:
    with _CACHES_LOCK:
        found = _CACHES.get(market)
        if found is None:
            found = _CACHES[market] = _Cache()
        return found


def view(market: SyntheticMarket, now: float) -> tuple[int, int]:
    """(index of the trading day the market shows at ``now``, minutes of it traded)."""
    _, i, minutes = market._view(now)
    return i, minutes


def day_of(market: SyntheticMarket, i: int) -> date:
    return market._days[i]


def day_index(market: SyntheticMarket, day: date) -> int:
    return market._day_index(day)


def walk(market: SyntheticMarket, listing: Listing, i: int) -> tuple[list[int], list[int]]:
    """A listing's daily (closes, opens) through trading day ``i``."""
    return market._extend_walk(listing, i)


def levels(market: SyntheticMarket, index: SectorIndex, upto: int) -> tuple[list[float], list[float]]:
    """The index's daily (opens, closes) from the history's start through trading day ``upto`` (exact)."""
    cache = _cache(market)
    with cache.lock:
        opens, closes = cache.levels.setdefault(index.code, ([], []))
        start, stop = len(closes), upto + 1
        if start < stop:
            new_opens, new_closes = [0.0] * (stop - start), [0.0] * (stop - start)
            for member in index.members:
                member_closes, member_opens = walk(market, member, upto)
                weight = member.shares
                for k in range(start, stop):
                    new_opens[k - start] += weight * member_opens[k]
                    new_closes[k - start] += weight * member_closes[k]
            opens.extend(x / index.divisor for x in new_opens)
            closes.extend(x / index.divisor for x in new_closes)
        return opens, closes


def member_volume(market: SyntheticMarket, listing: Listing, i: int) -> int:
    """A member's volume (shares) on a completed trading day ``i``: the market's own daily-volume formula."""
    stamp = f"{market.seed}:{listing.code}:{day_of(market, i).isoformat()}"
    turnover = (0.02 if listing.is_etf else 0.003) * math.exp(0.4 * normals(f"{stamp}:d")[2])
    return int(listing.shares * turnover)


def traded(market: SyntheticMarket, index: SectorIndex, i: int) -> tuple[int, int]:
    """(volume in shares, value in won) of the members on a completed trading day ``i``.

    The value is each member's volume at the mean of its open and close (bars value volume at
    the typical price; the members' highs and lows are not walked for past days).
    """
    cache = _cache(market)
    key = (index.code, i)
    with cache.lock:
        found = cache.flows.get(key)
        if found is None:
            volume = value = 0
            for member in index.members:
                member_closes, member_opens = walk(market, member, i)
                shares = member_volume(market, member, i)
                volume += shares
                value += shares * (member_opens[i] + member_closes[i]) // 2
            found = cache.flows[key] = (volume, value)
        return found


def path_on(market: SyntheticMarket, index: SectorIndex, i: int) -> IndexPath:
    """The index's full minute path on trading day ``i``, summed from its members' paths (cached)."""
    cache = _cache(market)
    key = (index.code, i)
    with cache.lock:
        found = cache.paths.get(key)
        if found is not None:
            cache.paths.move_to_end(key)
            return found
        points = [0.0] * (SESSION_MINUTES + 1)
        volume = [0] * (SESSION_MINUTES + 1)
        for member in index.members:
            member_path = market._path(member, i)
            weight = member.shares
            points = [p + weight * x for p, x in zip(points, member_path.points, strict=True)]
            volume = [v + x for v, x in zip(volume, member_path.cum_volume, strict=True)]
        _, closes = levels(market, index, i)
        prev = closes[i - 1] if i > 0 else closes[0]
        found = IndexPath(day_of(market, i), prev, tuple(p / index.divisor for p in points), tuple(volume))
        cache.paths[key] = found
        if len(cache.paths) > _PATH_CACHE:
            cache.paths.popitem(last=False)
        return found


def index_now(market: SyntheticMarket, index: SectorIndex, now: float) -> IndexNow:
    """The index at ``now``: its level from the member quotes, today's bar from the members' minute paths."""
    quotes = tuple(market.quote(m.code, now) for m in index.members)
    level = sum(q.listing.shares * q.price for q in quotes) / index.divisor
    prev = sum(q.listing.shares * q.prev_close for q in quotes) / index.divisor
    i, minutes = view(market, now)
    bar: IndexBar | None = None
    if minutes > 0:
        partial = path_on(market, index, i).bar(minutes)
        volume, value = sum(q.volume for q in quotes), sum(q.value for q in quotes)
        bar = IndexBar(partial.day, partial.open, partial.high, partial.low, level, prev, volume, value)
    return IndexNow(index, quotes[0].day, minutes, level, prev, quotes, bar)


def _bar_on(market: SyntheticMarket, index: SectorIndex, i: int, exact: bool) -> IndexBar:
    """A completed day's bar: high and low from the minute path when ``exact``, else a hashed excursion."""
    opens, closes = levels(market, index, i)
    volume, value = traded(market, index, i)
    prev = closes[i - 1] if i > 0 else closes[0]
    if exact:
        bar = path_on(market, index, i).bar(SESSION_MINUTES)
        high, low = bar.high, bar.low
        value = sum(market._summary(m, i).value for m in index.members)  # as the members' daily bars say
    else:
        z = normals(f"{market.seed}:{index.code}:{day_of(market, i).isoformat()}:range")
        high = max(opens[i], closes[i]) * (1.001 + 0.004 * abs(z[0]))
        low = min(opens[i], closes[i]) * (0.999 - 0.004 * abs(z[1]))
    return IndexBar(day_of(market, i), opens[i], high, low, closes[i], prev, volume, value)


def daily_bars(
    market: SyntheticMarket, index: SectorIndex, now: float, *, base_day: date | None = None, count: int = 750
) -> list[IndexBar]:
    """Up to ``count`` daily bars of the index, newest first, ending at ``base_day`` or the last day traded.

    Mirrors ``SyntheticMarket.daily_bars``: today's bar is partial during the session and absent before 09:00.
    """
    i, minutes = view(market, now)
    last = i if minutes > 0 else i - 1
    if base_day is not None:
        last = min(last, day_index(market, base_day))
    levels(market, index, max(i, 0))
    bars: list[IndexBar] = []
    for j in range(last, max(last - count, 0), -1):
        if j == i:
            today = index_now(market, index, now).bar
            if today is not None:
                bars.append(today)
            continue
        bars.append(_bar_on(market, index, j, exact=j > i - EXACT_DAYS))
    return bars


# --- wire values ----------------------------------------------------------------------------------


def level_text(level: float, base: float) -> str:
    """An index level as Kiwoom writes it: two decimals, ``+``/``-`` for its direction against ``base``."""
    shown, against = round(level, 2), round(base, 2)
    text = f"{shown:.2f}"
    return f"+{text}" if shown > against else f"-{text}" if shown < against else text


def level_sig(level: float, base: float) -> str:
    """``pred_pre_sig`` of an index (no price limits): 2 up, 3 unchanged, 5 down."""
    shown, against = round(level, 2), round(base, 2)
    return "2" if shown > against else "5" if shown < against else "3"


def hundredths(level: float) -> int:
    """An index level as the chart TRs send it: 100 times the level, as an integer."""
    return round(level * 100)
