"""Balances behind one stock's trading, day by day: credit (ka10013), short selling (ka10014) and lending
(ka20068, and ka10068 for the whole market).

Every row is a trading day of ka10081's bars, with its close, change and volume. The
balances are a stock's base level (a share of its listed shares, fixed per seed and code;
credit at ka10001's ``crd_rt``) times a slowly drifting factor: draws fixed per (seed, code)
every four weeks, interpolated in between, so a day's balance never changes and neighbouring
days move together by a percent or two. What is opened and repaid each day follows from the change of the balance plus a
churn, so ``new - repaid`` is always the balance's change. Short sales are a share of each
day's volume at about the day's average price. Lending figures are published after the
close, so ka20068 and ka10068 end at the last finished session; ka10068 is the sum of
ka20068 over every listing, day by day. ka10086 reports ka10013's margin-loan ratios of a day
(``margin_rates``) as its 신용비 and 신용잔고율.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

from ..fundamentals import fundamentals_for
from ..listings import LISTINGS, Listing, Market
from ..market import DailyBar, SyntheticMarket, to_kst
from ..tr_types import TrRequest
from ..venues import require_venue
from ..walks import normals, walks_for
from .base import Answer, Generator, Values, paged
from .detail_common import asof, body_day, day_change, last_finished_day, unit

#: Calendar days between two draws of the drifting factor, and how far it swings (log scale).
DRIFT_SPAN_DAYS = 28
DRIFT_SCALE = 0.3
CREDIT_ROWS = 120
CREDIT_PAGE = 60
#: A short-loan (대주) balance relative to the margin-loan (융자) one.
STOCK_LOAN_SHARE = 0.03
#: A credit balance's daily churn (opened and repaid besides its change), as a share of it.
CREDIT_CHURN = 0.02
SHORT_PAGE = 100
LENDING_PAGE = 50
LENDING_MARKET_PAGE = 20
#: Trading days a lending query without ``strt_dt`` covers.
LENDING_DEFAULT_DAYS = 20
#: The furthest back a dated query reaches, in trading days.
MAX_DAYS = 2000


def drift(market: SyntheticMarket, listing: Listing, day: date, tag: str) -> float:
    """A factor around 1 for ``day``: draws every ``DRIFT_SPAN_DAYS``, linearly interpolated between them."""
    at = day.toordinal() / DRIFT_SPAN_DAYS
    k = math.floor(at)
    a, b = (normals(f"{market.seed}:{listing.code}:{tag}:{n}")[0] for n in (k, k + 1))
    return math.exp(DRIFT_SCALE * (a + (b - a) * (at - k)))


def balance(market: SyntheticMarket, listing: Listing, day: date, base: float, tag: str) -> int:
    """The balance, in shares, at the end of ``day``."""
    return int(listing.shares * base * drift(market, listing, day, tag))


def _moves(
    market: SyntheticMarket, listing: Listing, day: date, *, change: tuple[int, int], churn: float, tag: str, cap: int
) -> tuple[int, int]:
    """(opened, repaid) on ``day`` for a balance going ``(before, after)``: the change plus a churn each way."""
    before, after = change
    turnover = min(cap, int(before * churn * (0.5 + unit(market.seed, listing.code, day, tag, "churn"))))
    return turnover + max(after - before, 0), turnover + max(before - after, 0)


def close_on(market: SyntheticMarket, listing: Listing, day: date) -> int:
    """The close of a finished trading day, straight from the daily walk ka10081's bars close at."""
    walks = walks_for(market.seed, market.calendar)
    i = walks.day_index(day, market.calendar)
    closes, _ = walks.extend(listing, i, market.seed)
    return closes[i]


# --- ka10013 신용매매동향 ---------------------------------------------------------------


def _credit_base(market: SyntheticMarket, listing: Listing, tag: str) -> float:
    """A credit balance's base level as a share of the listed shares: ka10001's ``crd_rt`` for margin loans."""
    f = fundamentals_for(listing, market.seed)
    return (f.credit_rate if f else 0.0) / 100 * (1.0 if tag == "credit" else STOCK_LOAN_SHARE)


def margin_rates(market: SyntheticMarket, listing: Listing, bar: DailyBar, prev_day: date) -> tuple[float, float]:
    """ka10013's margin-loan 공여율 and 잔고율 (%) on the bar's day: ka10086's 신용비 and 신용잔고율."""
    base = _credit_base(market, listing, "credit")
    change = (balance(market, listing, prev_day, base, "credit"), balance(market, listing, bar.day, base, "credit"))
    opened, _ = _moves(market, listing, bar.day, change=change, churn=CREDIT_CHURN, tag="credit", cap=bar.volume // 5)
    return (opened / bar.volume * 100 if bar.volume else 0.0), change[1] / listing.shares * 100


def ka10013(req: TrRequest) -> Answer:
    """신용매매동향: daily margin-loan (융자) or short-loan (대주) opened, repaid and outstanding, newest first."""
    listing, _ = require_venue(req.body["stk_cd"])  # every venue shows KRX's days, as the charts do
    tag = "credit" if req.body["qry_tp"] == "1" else "stockloan"
    rate = _credit_base(req.market, listing, tag)
    bars = req.market.daily_bars(listing.code, asof(req), base_day=body_day(req, "dt"), count=CREDIT_ROWS + 1)
    balances = [balance(req.market, listing, b.day, rate, tag) for b in bars]
    rows: list[Values] = []
    for i, bar in enumerate(bars[:-1]):
        change = (balances[i + 1], balances[i])
        opened, repaid = _moves(
            req.market, listing, bar.day, change=change, churn=CREDIT_CHURN, tag=tag, cap=bar.volume // 5
        )
        rows.append(
            {
                "dt": bar.day,
                **day_change(bar, listing),
                "trde_qty": bar.volume,
                "new": opened,
                "rpya": repaid,
                "remn": balances[i],
                "amt": balances[i] * bar.close // 1_000_000,
                "pre": balances[i] - balances[i + 1],
                "shr_rt": opened / bar.volume * 100 if bar.volume else 0.0,
                "remn_rt": balances[i] / listing.shares * 100,
            }
        )
    return paged(req, rows, CREDIT_PAGE)


# --- ka10014 공매도추이 -----------------------------------------------------------------

_SHORT_SHARE: dict[Market, float] = {Market.KOSPI: 0.04, Market.KOSDAQ: 0.02, Market.ETF: 0.01, Market.ETN: 0.01}


def short_sold(market: SyntheticMarket, listing: Listing, bar: DailyBar) -> int:
    """Shares sold short on the bar's day: a share of its volume drawn per (seed, code, day)."""
    draw = normals(f"{market.seed}:{listing.code}:{bar.day.isoformat()}:short")[0]
    return int(bar.volume * min(0.3, _SHORT_SHARE[listing.market] * math.exp(0.5 * draw)))


def ka10014(req: TrRequest) -> Answer:
    """공매도추이: each trading day of the period, newest first, with the period's running total of short sales."""
    listing, _ = require_venue(req.body["stk_cd"])
    now = asof(req)
    start = body_day(req, "strt_dt") or date.min
    end = None if req.body.get("tm_tp") == "0" else body_day(req, "end_dt")  # 0: from the start date on
    span = min(MAX_DAYS, ((end or to_kst(now).date()) - start).days + 1)
    bars = [b for b in req.market.daily_bars(listing.code, now, base_day=end, count=max(span, 0)) if b.day >= start]
    total = 0
    rows: list[Values] = []
    for bar in reversed(bars):  # the running total accumulates from the oldest day
        qty = short_sold(req.market, listing, bar)
        total += qty
        average = bar.value // bar.volume if bar.volume else bar.close
        rows.append(
            {
                "dt": bar.day,
                **day_change(bar, listing, price_key="close_pric"),
                "trde_qty": bar.volume,
                "shrts_qty": qty,
                "ovr_shrts_qty": total,
                "trde_wght": qty / bar.volume * 100 if bar.volume else 0.0,
                "shrts_trde_prica": qty * average // 1000,
                "shrts_avg_pric": average,
            }
        )
    rows.reverse()
    return paged(req, rows, SHORT_PAGE)


# --- ka20068 / ka10068 대차거래추이 ------------------------------------------------------


def lending_base(market: SyntheticMarket, listing: Listing) -> float:
    """The share of a listing's shares out on loan, around which its balance drifts."""
    low, high = (0.0005, 0.01) if listing.is_etp else (0.005, 0.06)
    return low + (high - low) * unit(market.seed, listing.code, "lending")


def _period(req: TrRequest, last: date) -> list[date]:
    """The trading days a lending query covers, newest first, ending no later than ``last``."""
    calendar = req.market.calendar
    end = min(body_day(req, "end_dt") or last, last)
    start = body_day(req, "strt_dt")
    if start is None:
        return calendar.trading_days_back(end, LENDING_DEFAULT_DAYS)
    if start > end:
        return []
    return [d for d in calendar.trading_days_back(end, min(MAX_DAYS, (end - start).days + 1)) if d >= start]


def lending_rows(market: SyntheticMarket, listing: Listing, days: Sequence[date]) -> list[Values]:
    """One listing's lending row on each of ``days`` (consecutive trading days, newest first)."""
    if not days:
        return []
    base = lending_base(market, listing)
    window = [*days, market.calendar.previous_trading_day(days[-1])]
    balances = [balance(market, listing, d, base, "lending") for d in window]
    rows: list[Values] = []
    for i, day in enumerate(days):
        change = (balances[i + 1], balances[i])
        lent, repaid = _moves(market, listing, day, change=change, churn=0.015, tag="lending", cap=balances[i])
        rows.append(
            {
                "dt": day,
                "dbrt_trde_cntrcnt": lent,
                "dbrt_trde_rpy": repaid,
                "dbrt_trde_irds": lent - repaid,
                "rmnd": balances[i],
                "remn_amt": balances[i] * close_on(market, listing, day) // 1_000_000,
            }
        )
    return rows


def ka20068(req: TrRequest) -> Answer:
    """대차거래추이(종목별): one stock's loans opened, repaid and outstanding per trading day, newest first."""
    listing, _ = require_venue(req.body["stk_cd"])
    now = asof(req)
    days = _period(req, last_finished_day(req.market, listing, now))
    return paged(req, lending_rows(req.market, listing, days), LENDING_PAGE)


def ka10068(req: TrRequest) -> Answer:
    """대차거래추이: the whole market's lending per trading day, newest first (ka20068 summed over every listing)."""
    now = asof(req)
    days = _period(req, last_finished_day(req.market, LISTINGS[0], now))
    answer = paged(req, [{"dt": d} for d in days], LENDING_MARKET_PAGE)
    chunk = [row["dt"] for row in answer.rows]
    sums: dict[date, Values] = {d: {"dt": d} for d in chunk}
    for listing in LISTINGS:
        for row in lending_rows(req.market, listing, chunk):
            total = sums[row["dt"]]
            for name in ("dbrt_trde_cntrcnt", "dbrt_trde_rpy", "dbrt_trde_irds", "rmnd", "remn_amt"):
                total[name] = total.get(name, 0) + row[name]
    answer.rows = [sums[d] for d in chunk]
    return answer


GENERATORS: dict[str, Generator] = {"ka10013": ka10013, "ka10014": ka10014, "ka20068": ka20068, "ka10068": ka10068}

__all__ = ["GENERATORS", "lending_base", "lending_rows", "short_sold"]
