"""Per-stock investor flows: ka10008 (foreigners), ka10009 (institutions), ka10059 and ka10061 (by investor kind).

Rows are ka10081's daily bars (the same trading days, closes and volumes, newest first),
each with the day's flows from :mod:`.flows_model`. A venue suffix (``_NX``, ``_AL``) is
accepted and shows the KRX flows, as the charts show KRX's bars.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from ..listings import Listing
from ..market import DailyBar
from ..prices import change_rate, price_limits, sign_code
from ..tr_types import TrRequest
from ..venues import require_venue
from .base import Answer, Generator, Values, paged
from .flows_model import (
    INSTITUTIONS,
    INVESTOR_FIELDS,
    asof,
    avg_price,
    flows_of,
    foreign_holding,
    foreign_limit,
    gross,
    parse_day,
)

#: Rows a page of the daily investor TRs (ka10008, ka10059).
PAGE_SIZE = 100
#: Trading days ka10009's institutional period total (``orgn_dt_acc``) covers.
PERIOD_DAYS = 20


def _bars(req: TrRequest, listing: Listing, now: float, base_day: date | None = None, count: int = 0) -> list[DailyBar]:
    return req.market.daily_bars(listing.code, now, base_day=base_day, count=count or req.config.daily_history_days)


def _holding(req: TrRequest, listing: Listing, bar: DailyBar, now: float) -> tuple[int, int]:
    """(foreign net buying that day, foreign holdings after it), partial while the day trades."""
    prev_day = req.market.calendar.previous_trading_day(bar.day)
    net = flows_of(req, listing, bar, now).foreign
    return net, foreign_holding(req.market.seed, listing, prev_day) + net


def ka10008(req: TrRequest) -> Answer:
    """주식외국인종목별매매동향: foreign net buying and holdings per trading day."""
    listing, _ = require_venue(req.body["stk_cd"])
    now = asof(req)
    limit = foreign_limit(listing)
    rows: list[Values] = []
    for bar in _bars(req, listing, now):
        net, held = _holding(req, listing, bar, now)
        rows.append({
            "dt": bar.day, "close_pric": (bar.close, bar.prev_close), "pred_pre": bar.close - bar.prev_close,
            "trde_qty": bar.volume, "chg_qty": net, "poss_stkcnt": held, "wght": held / listing.shares * 100,
            "gain_pos_stkcnt": limit - held, "frgnr_limit": limit, "frgnr_limit_irds": 0,
            "limit_exh_rt": held / limit * 100,
        })  # fmt: skip
    return paged(req, rows, PAGE_SIZE)


def ka10009(req: TrRequest) -> Answer:
    """주식기관요청: the latest day's institutional and foreign net buying (shares) and foreign ownership."""
    listing, _ = require_venue(req.body["stk_cd"])
    bars = _bars(req, listing, req.now, count=PERIOD_DAYS)
    if not bars:
        return Answer()
    last = bars[0]
    flows = flows_of(req, listing, last, req.now)
    _, held = _holding(req, listing, last, req.now)
    return Answer({
        "date": last.day, "close_pric": (last.close, last.prev_close), "pre": last.close - last.prev_close,
        "orgn_dt_acc": sum(flows_of(req, listing, bar, req.now).institutions for bar in bars),
        "orgn_daly_nettrde": flows.institutions, "frgnr_daly_nettrde": flows.foreign,
        "frgnr_qota_rt": held / listing.shares * 100,
    })  # fmt: skip


def _factor(body: Mapping[str, str], bar: DailyBar) -> float:
    """Shares to the unit asked for: millions of won (``amt_qty_tp`` 1), thousands of shares or shares."""
    if body["amt_qty_tp"] == "1":
        return avg_price(bar) / 1_000_000
    return 1 / 1000 if body["unit_tp"] == "1000" else 1.0


def investor_values(req: TrRequest, listing: Listing, bar: DailyBar, now: float) -> dict[str, int]:
    """The investor fields of one day as ka10059 reports them: net (``trde_tp`` 0), buys (1) or sells (2)."""
    flows = flows_of(req, listing, bar, now)
    factor = _factor(req.body, bar)
    if req.body["trde_tp"] == "0":
        return flows.scaled(factor)
    buys, sells = gross(flows.shares, bar.volume)
    side = buys if req.body["trde_tp"] == "1" else sells
    values = {k: round(v * factor) for k, v in side.items() if k != "orgn"}
    values["orgn"] = sum(values[k] for k in INSTITUTIONS)
    return values


def ka10059(req: TrRequest) -> Answer:
    """종목별투자자기관별요청: each trading day up to ``dt`` with every investor kind's net (or gross) trading."""
    listing, _ = require_venue(req.body["stk_cd"])
    now = asof(req)
    rows: list[Values] = []
    for bar in _bars(req, listing, now, base_day=parse_day(req.body["dt"])):
        lower, upper = price_limits(bar.prev_close, etf=listing.is_etp)
        row: dict[str, Any] = {
            "dt": bar.day, "cur_prc": (bar.close, bar.prev_close),
            "pre_sig": sign_code(bar.close, bar.prev_close, lower, upper), "pred_pre": bar.close - bar.prev_close,
            # Kiwoom sends this rate without its decimal point: "+698" is +6.98 %.
            "flu_rt": change_rate(bar.close, bar.prev_close),
            "acc_trde_qty": bar.volume, "acc_trde_prica": bar.value // 1_000_000,
        }  # fmt: skip
        row.update(investor_values(req, listing, bar, now))
        rows.append(row)
    return paged(req, rows, PAGE_SIZE)


def ka10061(req: TrRequest) -> Answer:
    """종목별투자자기관별합계요청: ka10059's net rows from ``strt_dt`` to ``end_dt``, summed."""
    listing, _ = require_venue(req.body["stk_cd"])
    start, end = parse_day(req.body["strt_dt"]), parse_day(req.body["end_dt"])
    span = max((end - start).days + 1, 1)
    bars = [b for b in _bars(req, listing, req.now, base_day=end, count=span) if b.day >= start]
    total = dict.fromkeys(INVESTOR_FIELDS, 0)
    for bar in bars:
        for key, value in investor_values(req, listing, bar, req.now).items():
            total[key] += value
    return Answer(rows=[dict(total)])


GENERATORS: dict[str, Generator] = {"ka10008": ka10008, "ka10009": ka10009, "ka10059": ka10059, "ka10061": ka10061}
