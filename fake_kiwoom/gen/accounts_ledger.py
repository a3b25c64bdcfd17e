"""The default account's trading history: a deterministic ledger the account TRs share.

The account the fake serves (``fake_kiwoom.accounts``: cash, five holdings) never changes,
so the history is built to leave it unchanged:

* Every KRX trading day since ``LEDGER_START`` the account makes one or two round trips in
  stocks it does not hold (``POOL``): a market order bought in the opening auction (at the
  day's open) and a limit order sold in the closing auction (at the day's close), so the
  holdings that kt00004/kt00018 report are the same before and after every day.
* A day's round trips become visible as a whole once its closing auction has executed
  (15:30): before that no TR shows a position the balance TRs do not have.
* Cash moves by each round trip's realized profit (sell - buy - commissions - tax) on the
  trading day itself; settlement (T+2) is not modelled, as kt00001 reports D+1 and D+2
  equal to the deposit. The deposit kt00001 reports is the cash *now*, so the cash at the
  end of an earlier day is that deposit less the profit of every later visible day.
* While today's session runs the account also has three open buy orders (a split order)
  resting about 7 % under the previous close of a third stock: they never fill, and
  expire with the session.

Prices come from the synthetic market, so a fill price is the day's open or close that
ka10081 reports for that stock and day.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from krx.calendar import KST

from ..accounts import Account, Position, positions
from ..auction import SESSION_MINUTES
from ..listings import Listing, find_listing, split_venue
from ..market import Quote, SyntheticMarket, to_kst
from ..paging import parse_key
from ..prices import step_down, tick_floor
from ..tr_types import TrRequest

#: The account's first trading day; there is no history before it.
LEDGER_START = date(2025, 1, 2)
#: Stocks the account day-trades (KOSPI, none of them held).
POOL: tuple[str, ...] = ("005380", "000270", "035720", "105560", "055550", "066570", "017670", "028260")
#: Code whose quote tells which trading day the market shows and how far it has got.
REFERENCE_CODE = "005930"
#: Online commission, 0.015 % of the traded amount, cut to 10 won.
COMMISSION_BP100 = 15  # hundredths of a basis point: 15 / 100_000
#: Securities transaction tax on sales (incl. the rural special tax), in hundredths of a percent.
SELL_TAX_BY_YEAR: dict[int, int] = {2024: 18, 2025: 15}
SELL_TAX_LATER = 20
ROUND_TRIP_WON = 1_000_000
SPLIT_WON = 300_000
SPLIT_ORDERS = 3
NO_ORDER = "0000000"


def commission(amount: int) -> int:
    return amount * COMMISSION_BP100 // 100_000 // 10 * 10


def sell_tax(amount: int, day: date) -> int:
    rate = SELL_TAX_BY_YEAR.get(day.year, SELL_TAX_LATER if day.year > 2025 else 18)
    return amount * rate // 10_000


def _draw(*parts: object) -> int:
    """A stable number from ``parts`` (independent of the seed: which days trade is fixed)."""
    text = ":".join(str(p) for p in parts)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def order_no(n: int) -> str:
    return f"{n:07d}"


def isin(code: str) -> str:
    """The Korean ISIN of a share code (KR7 + code + 00 + check digit)."""
    body = f"KR7{code}00"
    digits = "".join(str(int(c, 36)) for c in body)
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d // 10 + d % 10
    return body + str((10 - total % 10) % 10)


def plain_code(stk_cd: str) -> str:
    """A request's stock code without venue suffix (or ``A`` prefix)."""
    code = split_venue(stk_cd.strip())[0]
    return code[1:] if len(code) == 7 and code.startswith("A") else code


@dataclass(frozen=True, slots=True)
class RoundTrip:
    """One day trade: ``qty`` bought at the open (market order), sold at the close (limit order)."""

    day: date
    listing: Listing
    qty: int
    buy_price: int
    sell_price: int
    prev_close: int
    buy_no: str
    sell_no: str
    buy_ordered: time
    sell_ordered: time

    bought = time(9, 0, 0)
    sold = time(15, 30, 0)

    @property
    def buy_amt(self) -> int:
        return self.qty * self.buy_price

    @property
    def sell_amt(self) -> int:
        return self.qty * self.sell_price

    @property
    def buy_cmsn(self) -> int:
        return commission(self.buy_amt)

    @property
    def sell_cmsn(self) -> int:
        return commission(self.sell_amt)

    @property
    def tax(self) -> int:
        return sell_tax(self.sell_amt, self.day)

    @property
    def fees(self) -> int:
        return self.buy_cmsn + self.sell_cmsn + self.tax

    @property
    def cost(self) -> int:
        """What the purchase cost, commission included."""
        return self.buy_amt + self.buy_cmsn

    @property
    def proceeds(self) -> int:
        """What the sale brought in, commission and tax deducted."""
        return self.sell_amt - self.sell_cmsn - self.tax

    @property
    def pl(self) -> int:
        """Realized profit, and the cash the round trip added: proceeds less cost, commission and tax."""
        return self.proceeds - self.cost

    @property
    def buy_uv(self) -> float:
        """Purchase price per share, commission included (Kiwoom's 매입단가)."""
        return self.cost / self.qty

    @property
    def pl_rate(self) -> float:
        return self.pl / self.cost * 100


@dataclass(frozen=True, slots=True)
class OpenOrder:
    """One child of today's split buy order, resting under the market."""

    listing: Listing
    no: str
    qty: int
    price: int
    ordered: time
    quote: Quote


def _final_bar_time(day: date) -> datetime:
    return datetime.combine(day, time(18, 0), KST)


def _trip_count(day: date) -> int:
    return 2 if _draw("trips", day) % 3 == 0 else 1


def _stocks(day: date, count: int) -> list[str]:
    """``count`` different pool stocks for ``day``."""
    start = _draw("pool", day) % len(POOL)
    return [POOL[(start + 3 * k) % len(POOL)] for k in range(count)]


@lru_cache(maxsize=4096)
def round_trips(market: SyntheticMarket, day: date) -> tuple[RoundTrip, ...]:
    """The round trips of ``day`` (none before ``LEDGER_START`` or on a closed day)."""
    if day < LEDGER_START or not market.calendar.is_trading_day(day):
        return ()
    count = _trip_count(day)
    trips: list[RoundTrip] = []
    for k, code in enumerate(_stocks(day, count)):
        bars = market.daily_bars(code, _final_bar_time(day), base_day=day, count=1)
        if not bars or bars[0].day != day:
            continue
        bar = bars[0]
        won = ROUND_TRIP_WON * (60 + _draw("size", day, k) % 81) // 100
        qty = max(1, won // bar.open)
        trips.append(
            RoundTrip(
                day, market.listing(code), qty, bar.open, bar.close, bar.prev_close,
                buy_no=order_no(1 + k), sell_no=order_no(1 + count + SPLIT_ORDERS + k),
                buy_ordered=time(8, 50 + k, _draw("bt", day, k) % 60),
                sell_ordered=time(15, 21 + k, _draw("st", day, k) % 60),
            )
        )  # fmt: skip
    return tuple(trips)


@dataclass(frozen=True, slots=True)
class View:
    """What the account shows at one instant."""

    now: datetime  # KST
    today: date
    trading_today: bool
    shown_day: date  # the trading day the market shows (today, or the last one)
    last_complete: date  # the last trading day whose closing auction has executed
    quote: Quote  # the reference stock's quote

    @property
    def session_open(self) -> bool:
        return self.trading_today and self.shown_day == self.today and 0 < self.quote.minutes < SESSION_MINUTES


def snapshot_time(req: TrRequest) -> float:
    """The instant an answer is cut from: the first page's, for every later page of it."""
    return parse_key(req.api_id, req.body, req.next_key).asof if req.next_key else req.now


def view(market: SyntheticMarket, now: float | datetime) -> View:
    q = market.quote(REFERENCE_CODE, now)
    kst = to_kst(now)
    complete = q.day if q.minutes >= SESSION_MINUTES else market.calendar.previous_trading_day(q.day)
    return View(kst, kst.date(), market.calendar.is_trading_day(kst.date()), q.day, complete, q)


def visible_trips(market: SyntheticMarket, v: View, day: date) -> tuple[RoundTrip, ...]:
    return round_trips(market, day) if day <= v.last_complete else ()


def trading_days(market: SyntheticMarket, first: date, last: date) -> list[date]:
    """The KRX trading days from ``first`` to ``last``, both included, oldest first."""
    cal = market.calendar
    day = first if cal.is_trading_day(first) else cal.next_trading_day(first)
    days: list[date] = []
    while day <= last:
        days.append(day)
        day = cal.next_trading_day(day)
    return days


def trips_between(market: SyntheticMarket, v: View, first: date, last: date) -> list[RoundTrip]:
    """Every visible round trip executed from ``first`` to ``last``, oldest first."""
    start = max(first, LEDGER_START)
    return [t for d in trading_days(market, start, min(last, v.last_complete)) for t in round_trips(market, d)]


def cash_by_day(market: SyntheticMarket, v: View, first: date, deposit: int) -> dict[date, int]:
    """Cash at the end of each trading day from ``first`` to the day shown: ``deposit`` now, less later profits."""
    days = trading_days(market, first, max(v.shown_day, v.last_complete))
    later = sum(t.pl for t in trips_between(market, v, max(first, LEDGER_START), v.last_complete))
    cash: dict[date, int] = {}
    for day in days:
        later -= sum(t.pl for t in visible_trips(market, v, day))
        cash[day] = deposit - later
    return cash


def cash_at(market: SyntheticMarket, v: View, day: date, deposit: int) -> int:
    """Cash at the end of ``day`` (the deposit before the first history, if ``day`` precedes it)."""
    later = sum(t.pl for t in trips_between(market, v, day + timedelta(days=1), v.last_complete))
    return deposit - later


def holdings_value_by_day(
    account: Account, market: SyntheticMarket, v: View, first: date, last: date
) -> dict[date, int]:
    """The holdings valued at each trading day's close; the day shown at the current price (as kt00018)."""
    days = trading_days(market, first, min(last, v.shown_day))
    value = dict.fromkeys(days, 0)
    if not days:
        return value
    current = {p.listing.code: p.price for p in positions(account, market, v.now)}
    for holding in account.holdings:
        bars = market.daily_bars(holding.code, v.now, base_day=days[-1], count=len(days) + 10)
        closes = {b.day: b.close for b in bars}
        for day in days:
            price = current[holding.code] if day == v.shown_day else closes.get(day)
            if price is None:  # the history's first day: no bar before it to page back from
                price = market.quote(holding.code, _final_bar_time(day)).price
            value[day] += holding.qty * price
    return value


def open_orders(market: SyntheticMarket, v: View) -> list[OpenOrder]:
    """Today's resting split buy order (three children), while the session runs and nothing has filled."""
    if not v.session_open:
        return []
    day = v.today
    trips = round_trips(market, day)
    taken = {t.listing.code for t in trips}
    code = next(c for c in _stocks(day, len(POOL)) if c not in taken)
    q = market.quote(code, v.now)
    top = tick_floor(q.prev_close * 0.93)
    prices = [step_down(top, k) for k in range(SPLIT_ORDERS)]
    if q.low and q.low <= top:
        return []  # the market reached the order: treated as never placed
    qty = max(1, SPLIT_WON // top)
    first_no = 1 + len(trips)
    orders: list[OpenOrder] = []
    for k, price in enumerate(prices):
        placed = time(9, 10 + k, _draw("split", day, k) % 60)
        if v.now.time() >= placed:
            orders.append(OpenOrder(q.listing, order_no(first_no + k), qty, price, placed, q))
    return orders


def positions_now(account: Account, market: SyntheticMarket, v: View) -> list[Position]:
    return positions(account, market, v.now)


def listing_of(stk_cd: str) -> Listing | None:
    return find_listing(plain_code(stk_cd)) if stk_cd.strip() else None
