"""Generators of the chart siblings of ka10080/ka10081 (spec: tr_catalog/specs/charts.yaml).

Week, month and year bars (ka10082, ka10083, ka10094) are the very daily bars ka10081 gives,
grouped by calendar week (ISO, Monday first), month or year: a bar opens at its period's
first trading day's open (its ``dt``), closes at the last one's close, spans their highs and
lows and sums their volumes and values, so the newest bar is partial while its period runs.
They reach back to the synthetic market's first day, newest first, ``daily_page_size`` a page.
Ticks (ka10079) are in :mod:`.charts_ticks`, the daily-price TRs (ka10005, ka10086) in
:mod:`.charts_daily`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from datetime import date

from ..market import DailyBar
from ..prices import price_limits, sign_code
from ..tr_types import TrRequest
from .base import Answer, Generator, Values, paged
from .charts_base import FULL_HISTORY, asof, day_of, listing_of
from .charts_daily import GENERATORS as DAILY
from .charts_ticks import GENERATORS as TICKS

PeriodKey = Callable[[date], Hashable]


def week_of(day: date) -> Hashable:
    return day.isocalendar()[:2]


def month_of(day: date) -> Hashable:
    return (day.year, day.month)


def year_of(day: date) -> Hashable:
    return day.year


def periods(bars: list[DailyBar], key: PeriodKey) -> list[list[DailyBar]]:
    """Daily bars (newest first) grouped into runs of one period each, newest period first."""
    groups: list[list[DailyBar]] = []
    for bar in bars:
        if groups and key(groups[-1][0].day) == key(bar.day):
            groups[-1].append(bar)
        else:
            groups.append([bar])
    return groups


def period_row(group: list[DailyBar], shares: int, etf: bool) -> Values:
    """One period's bar from its daily bars (newest first); the change is against the previous period's close."""
    newest, oldest = group[0], group[-1]
    close, prev = newest.close, oldest.prev_close
    volume = sum(b.volume for b in group)
    lower, upper = price_limits(newest.prev_close, etf=etf)
    return {
        "cur_prc": close,
        "trde_qty": volume,
        "trde_prica": sum(b.value for b in group) // 1_000_000,
        "dt": oldest.day,
        "open_pric": oldest.open,
        "high_pric": max(b.high for b in group),
        "low_pric": min(b.low for b in group),
        "pred_pre": close - prev,
        "pred_pre_sig": sign_code(close, prev, lower, upper),
        "trde_tern_rt": volume / shares * 100 if shares else 0.0,
    }


def period_chart(key: PeriodKey) -> Generator:
    def generate(req: TrRequest) -> Answer:
        listing = listing_of(req)
        base_day = day_of(req, "base_dt")
        bars = req.market.daily_bars(listing.code, asof(req), base_day=base_day, count=FULL_HISTORY)
        rows = [period_row(g, listing.shares, listing.is_etp) for g in periods(bars, key)]
        return paged(req, rows, req.config.daily_page_size, {"stk_cd": req.body["stk_cd"]})

    return generate


GENERATORS: Mapping[str, Generator] = {
    **TICKS,
    **DAILY,
    "ka10082": period_chart(week_of),
    "ka10083": period_chart(month_of),
    "ka10094": period_chart(year_of),
}
