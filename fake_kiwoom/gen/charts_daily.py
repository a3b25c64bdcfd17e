"""The daily-price TRs of the quote group: ka10086 일별주가 and ka10005 주식일주월시분.

Prices, volumes and values are ka10081's daily bars (prices signed against each day's
previous close, as the live TRs send them). Around them, per day and seeded by (seed, code,
day), the flows Kiwoom adds:

* investor net buying in shares, proportional to the day's volume: foreign and institutional
  drawn, individual the balance, so individual + institution + foreign = 0 every day;
  foreign brokers (``frgn``) and program trading (``prm``) follow the foreign and
  institutional flows (a partial day's flows grow with its volume);
* the foreign holding weight, a base per stock (ka10001's ``for_exh_rt``) moved by each
  day's foreign net buying since the market's first day, so it never changes in hindsight;
* the credit ratios around ka10001's ``crd_rt``.

ka10086 with ``indc_tp`` 1 shows the individual, institutional, foreign-broker and program
flows in millions of won at the day's average price; foreign net buying stays in shares
(the exchange gives no foreign amounts, as the guide warns). Both TRs run newest first,
``daily_history_days`` deep, ``DAILY_PAGE_SIZE`` rows a page.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from ..fundamentals import fundamentals_for
from ..listings import Listing
from ..market import DailyBar
from ..tr_types import TrRequest
from .base import Answer, Generator, Values, paged
from .charts_base import FULL_HISTORY, asof, day_of, listing_of

#: Rows a page of ka10086 / ka10005 (not measured live; Kiwoom's OpenAPI+ opt10086 gives 20).
DAILY_PAGE_SIZE = 20


@dataclass(frozen=True, slots=True)
class DayFlows:
    """One trading day's bar and the flows around it (net amounts in shares)."""

    bar: DailyBar
    foreign: int
    institution: int
    individual: int
    foreign_brokers: int
    program: int
    foreign_weight: float  # % of the shares foreigners hold at the day's close
    credit_rate: float  # 신용비: credit trades' share of the day's volume, %
    credit_balance: float  # 신용잔고율, %

    def amount(self, shares: int) -> int:
        """``shares`` at the day's average price, in millions of won."""
        bar = self.bar
        return round(shares * bar.value / bar.volume / 1_000_000) if bar.volume else 0


def _base_weight(listing: Listing, seed: int) -> tuple[float, float]:
    """(foreign weight, credit ratio) a stock starts from; ETFs have no fundamentals."""
    f = fundamentals_for(listing, seed)
    if f is not None:
        return f.foreign_exhaustion, f.credit_rate
    return random.Random(f"{seed}:{listing.code}:etf-foreign").uniform(1.0, 8.0), 0.0


def day_flows(req: TrRequest, listing: Listing, now: float) -> list[DayFlows]:
    """Every trading day visible at ``now`` with its flows, newest first."""
    seed = req.market.seed
    weight, credit = _base_weight(listing, seed)
    found: list[DayFlows] = []
    for bar in reversed(req.market.daily_bars(listing.code, now, count=FULL_HISTORY)):
        rng = random.Random(f"{seed}:{listing.code}:{bar.day.isoformat()}:flows")
        foreign = round(bar.volume * rng.gauss(0.0, 0.08))
        institution = round(bar.volume * rng.gauss(0.0, 0.06))
        weight += foreign / listing.shares * 100 if listing.shares else 0.0
        found.append(
            DayFlows(
                bar=bar,
                foreign=foreign,
                institution=institution,
                individual=-(foreign + institution),
                foreign_brokers=round(foreign * rng.uniform(0.5, 1.2)),
                program=round((foreign + institution) * rng.uniform(0.2, 0.9)),
                foreign_weight=min(max(weight, 0.0), 100.0),
                credit_rate=credit * rng.uniform(0.3, 1.7),
                credit_balance=credit * rng.uniform(0.85, 1.15),
            )
        )
    found.reverse()
    return found


def _price(value: int, bar: DailyBar) -> tuple[int, int]:
    return value, bar.prev_close


def _reach(req: TrRequest, listing: Listing, upto: date | None) -> list[DayFlows]:
    days = day_flows(req, listing, asof(req))
    if upto is not None:
        days = [d for d in days if d.bar.day <= upto]
    return days[: req.config.daily_history_days]


def ka10086_row(d: DayFlows, *, amounts: bool) -> Values:
    bar = d.bar
    change = bar.close - bar.prev_close
    if amounts:
        foreign_amt, institution = d.amount(d.foreign), d.amount(d.institution)
        individual, brokers, program = -(foreign_amt + institution), d.amount(d.foreign_brokers), d.amount(d.program)
    else:
        institution, individual, brokers, program = d.institution, d.individual, d.foreign_brokers, d.program
    return {
        "date": bar.day,
        "open_pric": _price(bar.open, bar),
        "high_pric": _price(bar.high, bar),
        "low_pric": _price(bar.low, bar),
        "close_pric": _price(bar.close, bar),
        "pred_rt": change,
        "flu_rt": change / bar.prev_close * 100 if bar.prev_close else 0.0,
        "trde_qty": bar.volume,
        "amt_mn": bar.value // 1_000_000,
        "crd_rt": d.credit_rate,
        "ind": individual,
        "orgn": institution,
        "for_qty": d.foreign,
        "frgn": brokers,
        "prm": program,
        "for_rt": d.foreign_weight,
        "for_poss": d.foreign_weight,
        "for_wght": d.foreign_weight,
        "for_netprps": d.foreign,
        "orgn_netprps": institution,
        "ind_netprps": individual,
        "crd_remn_rt": d.credit_balance,
    }


def ka10005_row(d: DayFlows) -> Values:
    row = ka10086_row(d, amounts=False)
    return {
        "date": row["date"],
        "open_pric": row["open_pric"],
        "high_pric": row["high_pric"],
        "low_pric": row["low_pric"],
        "close_pric": row["close_pric"],
        "pre": row["pred_rt"],
        "flu_rt": row["flu_rt"],
        "trde_qty": row["trde_qty"],
        "trde_prica": row["amt_mn"],
        "for_poss": d.foreign_weight,
        "for_wght": d.foreign_weight,
        "for_netprps": d.foreign,
        "orgn_netprps": d.institution,
        "ind_netprps": d.individual,
        "crd_remn_rt": d.credit_balance,
        "frgn": d.foreign_brokers,
        "prm": d.program,
    }


def ka10086(req: TrRequest) -> Answer:
    """일별주가: the days up to ``qry_dt``, newest first."""
    listing = listing_of(req)
    days = _reach(req, listing, day_of(req, "qry_dt"))
    amounts = req.body["indc_tp"] == "1"
    return paged(req, [ka10086_row(d, amounts=amounts) for d in days], DAILY_PAGE_SIZE)


def ka10005(req: TrRequest) -> Answer:
    """주식일주월시분: the latest days, newest first."""
    listing = listing_of(req)
    return paged(req, [ka10005_row(d) for d in _reach(req, listing, None)], DAILY_PAGE_SIZE)


GENERATORS: Mapping[str, Generator] = {"ka10005": ka10005, "ka10086": ka10086}
