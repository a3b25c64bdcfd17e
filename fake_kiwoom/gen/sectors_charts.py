"""Index charts: ka20005 (minute), ka20006 (daily), ka20007 (weekly), ka20008 (monthly), ka20019 (yearly).

Newest first and continued with cont-yn/next-key like the stock charts. Kiwoom sends index
levels here as 100-fold integers (``"+108082"`` is 1080.82): minute bars carry a direction
sign against the previous close, daily and longer bars are plain, as in the stock charts.
Volumes are in thousands of shares, values in millions of won. Minute bars cover the last
five trading days up to ``base_dt``; a week is labelled with its first trading day, a month
and a year likewise. Later pages are cut from the snapshot of the first page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime

from ..auction import SESSION_MINUTES, day_minute_bars
from ..envelopes import KiwoomError
from ..market import MINUTE_HISTORY_DAYS
from ..paging import parse_key
from ..tr_types import TrRequest
from .base import Answer, Generator, Values, paged
from .sectors_index import IndexBar, daily_bars, day_index, find_index, hundredths, level_sig, path_on, view

#: Trading days the longer charts reach back (the whole synthetic history).
ALL_DAYS = 100_000


def _asof(req: TrRequest) -> float:
    """The instant the first page was computed at (later pages are cut from the same snapshot)."""
    return parse_key(req.api_id, req.body, req.next_key).asof if req.next_key else req.now


def _base_day(req: TrRequest) -> date | None:
    base_dt = str(req.body.get("base_dt", "") or "").strip()
    if not base_dt:
        return None
    try:
        return datetime.strptime(base_dt, "%Y%m%d").date()
    except ValueError:
        raise KiwoomError(1517, f"base_dt={base_dt} (형식: YYYYMMDD)") from None


def ka20005(req: TrRequest) -> Answer:
    """업종분봉: the index's ``tic_scope``-minute bars of the last five trading days up to ``base_dt``."""
    inds_cd = req.body["inds_cd"]
    index = find_index(inds_cd)
    if index is None:
        return Answer({"inds_cd": inds_cd})
    asof, scope, base_day = _asof(req), int(req.body["tic_scope"]), _base_day(req)
    i, minutes = view(req.market, asof)
    last = i if minutes > 0 else i - 1
    if base_day is not None:
        last = min(last, day_index(req.market, base_day))
    rows: list[Values] = []
    for j in range(last, max(last - MINUTE_HISTORY_DAYS, -1), -1):
        path = path_on(req.market, index, j)
        prev = hundredths(path.prev_close)
        points = [hundredths(p) for p in path.points]
        visible = minutes if j == i else SESSION_MINUTES
        bars = day_minute_bars(path.day, points, path.cum_volume, prev=prev, visible=visible, scope=scope)
        for bar in reversed(bars):
            rows.append(
                {
                    "cur_prc": (bar.close, prev),
                    "trde_qty": bar.volume // 1000,
                    "cntr_tm": bar.time,
                    "open_pric": (bar.open, prev),
                    "high_pric": (bar.high, prev),
                    "low_pric": (bar.low, prev),
                    "acc_trde_qty": bar.acc_volume // 1000,
                    "pred_pre": bar.close - prev,
                    "pred_pre_sig": level_sig(bar.close, prev),
                }
            )
    return paged(req, rows, req.config.minute_page_size, {"inds_cd": inds_cd})


def _bar_row(bar: IndexBar) -> Values:
    return {
        "cur_prc": hundredths(bar.close),
        "trde_qty": bar.volume // 1000,
        "dt": bar.day,
        "open_pric": hundredths(bar.open),
        "high_pric": hundredths(bar.high),
        "low_pric": hundredths(bar.low),
        "trde_prica": bar.value // 1_000_000,
    }


def _merge(bars: list[IndexBar]) -> IndexBar:
    """Bars of one period, oldest first, as one bar labelled with its first day."""
    first, last = bars[0], bars[-1]
    return IndexBar(
        first.day, first.open, max(b.high for b in bars), min(b.low for b in bars), last.close, first.prev_close,
        sum(b.volume for b in bars), sum(b.value for b in bars),
    )  # fmt: skip


def _periods(bars: list[IndexBar], period: Callable[[date], object]) -> list[IndexBar]:
    """Daily bars (newest first) merged by ``period`` of their day, newest first."""
    merged: list[IndexBar] = []
    group: list[IndexBar] = []
    for bar in reversed(bars):
        if group and period(bar.day) != period(group[0].day):
            merged.append(_merge(group))
            group = []
        group.append(bar)
    if group:
        merged.append(_merge(group))
    return merged[::-1]


def _chart(key: Callable[[date], object] | None, days: Callable[[TrRequest], int]) -> Generator:
    def generate(req: TrRequest) -> Answer:
        inds_cd = req.body["inds_cd"]
        index = find_index(inds_cd)
        if index is None:
            return Answer({"inds_cd": inds_cd})
        bars = daily_bars(req.market, index, _asof(req), base_day=_base_day(req), count=days(req))
        if key is not None:
            bars = _periods(bars, key)
        return paged(req, [_bar_row(b) for b in bars], req.config.daily_page_size, {"inds_cd": inds_cd})

    return generate


GENERATORS: Mapping[str, Generator] = {
    "ka20005": ka20005,
    "ka20006": _chart(None, lambda req: req.config.daily_history_days),
    "ka20007": _chart(lambda d: d.isocalendar()[:2], lambda req: ALL_DAYS),
    "ka20008": _chart(lambda d: (d.year, d.month), lambda req: ALL_DAYS),
    "ka20019": _chart(lambda d: d.year, lambda req: ALL_DAYS),
}
