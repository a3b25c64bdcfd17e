"""The daily-price TRs of the quote group: ka10086 일별주가 and ka10005 주식일주월시분.

Prices, volumes and values are ka10081's daily bars (prices signed against each day's
previous close, as the live TRs send them). The flows around them are the ones the other
families report for the same stock and day, so every TR tells the same story:

* individual, institutional and foreign net buying: the flows family's investor model
  (:mod:`.flows_model`), exactly ka10059's ``ind_invsr``, ``orgn`` and ``frgnr_invsr`` (a
  partial day's flows grow with the session traded). Other corporations and resident
  foreigners trade too and are not shown here, so the three balance only together with
  ka10059's ``etc_corp`` and ``natfor``;
* the foreign weight (``for_rt``, ``for_poss``, ``for_wght``): ka10008's ``wght``, the foreign
  holdings after the day over the listed shares, so it moves by each day's foreign net buying;
* foreign brokers (``frgn``, 외국계): the foreign members' net buying in the broker split of
  ka10040 and ka10037 (:mod:`.detail_brokers`);
* program trading (``prm``): ka90013's net buying (:mod:`.flows_program`);
* the credit ratios: ka10013's margin-loan 공여율 (``crd_rt``) and 잔고율 (``crd_remn_rt``)
  (:mod:`.detail_balances`).

ka10086 with ``indc_tp`` 1 shows the individual, institutional, foreign-broker and program
flows in millions of won, each as its own TR reports it in 백만원 (ka10059 ``amt_qty_tp`` 1,
ka10037's ``netprps_prica``, ka90013's ``prm_netprps_amt``); foreign net buying stays in
shares (the exchange gives no foreign amounts, as the guide warns). ka10005 shows shares.
Both TRs run newest first, ``daily_history_days`` deep, ``DAILY_PAGE_SIZE`` rows a page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from ..listings import Listing
from ..market import DailyBar
from ..tr_types import TrRequest
from .base import Answer, Generator, Values, paged
from .charts_base import asof, day_of, listing_of
from .detail_balances import margin_rates
from .detail_brokers import foreign_desk
from .flows_model import avg_price, flows_of, foreign_holding
from .flows_program import stock_values

#: Rows a page of ka10086 / ka10005 (not measured live; Kiwoom's OpenAPI+ opt10086 gives 20).
DAILY_PAGE_SIZE = 20
MILLION = 1_000_000


@dataclass(frozen=True, slots=True)
class DayFlows:
    """One trading day's bar and the flows around it, in shares and (``*_amt``) millions of won."""

    bar: DailyBar
    foreign: int
    institution: int
    individual: int
    institution_amt: int
    individual_amt: int
    foreign_brokers: int
    foreign_brokers_amt: int
    program: int
    program_amt: int
    foreign_weight: float  # % of the listed shares foreigners hold after the day
    credit_rate: float  # 신용비: margin loans opened as a share of the day's volume, %
    credit_balance: float  # 신용잔고율: the margin-loan balance as a share of the listed shares, %


def day_flows(req: TrRequest, listing: Listing, bar: DailyBar, now: float) -> DayFlows:
    """The flows of ``bar``'s day as the families that model them report them (partial while it trades)."""
    seed = req.market.seed
    prev_day = req.market.calendar.previous_trading_day(bar.day)
    flows = flows_of(req, listing, bar, now)
    shares, amounts = flows.shares, flows.scaled(avg_price(bar) / MILLION)
    bought, sold, bought_amt, sold_amt = foreign_desk(req.market, listing, bar.day, bar.volume, avg_price(bar))
    program = stock_values(seed, listing, bar)
    held = foreign_holding(seed, listing, prev_day) + flows.foreign
    credit_rate, credit_balance = margin_rates(req.market, listing, bar, prev_day)
    return DayFlows(
        bar=bar,
        foreign=shares["frgnr_invsr"],
        institution=shares["orgn"],
        individual=shares["ind_invsr"],
        institution_amt=amounts["orgn"],
        individual_amt=amounts["ind_invsr"],
        foreign_brokers=bought - sold,
        foreign_brokers_amt=round((bought_amt - sold_amt) / MILLION),
        program=program["prm_netprps_qty"],
        program_amt=program["prm_netprps_amt"],
        foreign_weight=held / listing.shares * 100 if listing.shares else 0.0,
        credit_rate=credit_rate,
        credit_balance=credit_balance,
    )


def _price(value: int, bar: DailyBar) -> tuple[int, int]:
    return value, bar.prev_close


def _answer(req: TrRequest, listing: Listing, upto: date | None, row: Callable[[DayFlows], Values]) -> Answer:
    """One page of the trading days up to ``upto`` (the latest when None), newest first; flows for the page only."""
    now = asof(req)
    bars = req.market.daily_bars(listing.code, now, base_day=upto, count=req.config.daily_history_days)
    answer = paged(req, [{"bar": bar} for bar in bars], DAILY_PAGE_SIZE)
    answer.rows = [row(day_flows(req, listing, r["bar"], now)) for r in answer.rows]
    return answer


def ka10086_row(d: DayFlows, *, amounts: bool) -> Values:
    bar = d.bar
    change = bar.close - bar.prev_close
    if amounts:
        institution, individual = d.institution_amt, d.individual_amt
        brokers, program = d.foreign_brokers_amt, d.program_amt
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
        "amt_mn": bar.value // MILLION,
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
    amounts = req.body["indc_tp"] == "1"
    return _answer(req, listing_of(req), day_of(req, "qry_dt"), lambda d: ka10086_row(d, amounts=amounts))


def ka10005(req: TrRequest) -> Answer:
    """주식일주월시분: the latest days, newest first."""
    return _answer(req, listing_of(req), None, ka10005_row)


GENERATORS: Mapping[str, Generator] = {"ka10005": ka10005, "ka10086": ka10086}
