"""Chart TRs with continuation: ka10080 (minute bars) and ka10081 (daily bars).

Rows are newest first. As in Kiwoom's own samples, minute-bar prices carry a direction
sign (``"-78800"``) while daily-bar prices are plain; change fields are signed in both.
"""

from __future__ import annotations

from datetime import datetime

from .auction import MinuteBar
from .envelopes import KiwoomError
from .market import DailyBar
from .paging import Cursor, make_key, page, parse_key
from .prices import price_limits, rate, sign_code, signed, signed_price
from .tr_types import TrRequest, TrResult
from .venues import require_venue


def _cursor(req: TrRequest) -> Cursor:
    if req.next_key:
        return parse_key(req.api_id, req.body, req.next_key)
    return Cursor(0, req.now)


def _finish(req: TrRequest, key: str, rows: list[dict[str, str]], *, cursor: Cursor, size: int) -> TrResult:
    chunk, next_offset = page(rows, cursor.offset, size)
    next_key = "" if next_offset is None else make_key(req.api_id, req.body, Cursor(next_offset, cursor.asof))
    return TrResult({"stk_cd": req.body["stk_cd"], key: chunk}, next_key)


def _sig(price: int, prev: int, etf: bool) -> str:
    lower, upper = price_limits(prev, etf=etf)
    return sign_code(price, prev, lower, upper)


def _daily_row(bar: DailyBar, shares: int, etf: bool) -> dict[str, str]:
    return {
        "cur_prc": str(bar.close),
        "trde_qty": str(bar.volume),
        "trde_prica": str(bar.value // 1_000_000),
        "dt": bar.day.strftime("%Y%m%d"),
        "open_pric": str(bar.open),
        "high_pric": str(bar.high),
        "low_pric": str(bar.low),
        "upd_stkpc_tp": "",
        "upd_rt": "",
        "bic_inds_tp": "",
        "sm_inds_tp": "",
        "stk_infr": "",
        "upd_stkpc_event": "",
        "pred_close_pric": "",
        "pred_pre": signed(bar.close - bar.prev_close),
        "pred_pre_sig": _sig(bar.close, bar.prev_close, etf),
        "trde_tern_rt": rate(bar.volume / shares * 100),
    }


def _minute_row(bar: MinuteBar, etf: bool) -> dict[str, str]:
    p = bar.prev_close
    return {
        "cur_prc": signed_price(bar.close, p),
        "trde_qty": str(bar.volume),
        "cntr_tm": bar.time.strftime("%Y%m%d%H%M%S"),
        "open_pric": signed_price(bar.open, p),
        "high_pric": signed_price(bar.high, p),
        "low_pric": signed_price(bar.low, p),
        "acc_trde_qty": str(bar.acc_volume),
        "pred_pre": signed(bar.close - p),
        "pred_pre_sig": _sig(bar.close, p, etf),
        "upd_stkpc_tp": "",
        "upd_rt": "",
        "bic_inds_tp": "",
        "sm_inds_tp": "",
        "stk_infr": "",
        "upd_stkpc_event": "",
        "pred_close_pric": "",
    }


def ka10081(req: TrRequest) -> TrResult:
    """주식일봉차트: ``daily_history_days`` trading days ending at ``base_dt``, ``daily_page_size`` a page."""
    stk_cd = req.body["stk_cd"]
    listing, _ = require_venue(stk_cd)  # every venue shows KRX's bars (venues.py)
    base_dt = req.body["base_dt"]
    try:
        if len(base_dt) != 8 or not base_dt.isdigit():
            raise ValueError(base_dt)
        base_day = datetime.strptime(base_dt, "%Y%m%d").date()
    except ValueError:
        raise KiwoomError(1517, f"base_dt={base_dt} (형식: YYYYMMDD)") from None
    cursor = _cursor(req)
    bars = req.market.daily_bars(listing.code, cursor.asof, base_day=base_day, count=req.config.daily_history_days)
    rows = [_daily_row(b, listing.shares, listing.is_etp) for b in bars]
    return _finish(req, "stk_dt_pole_chart_qry", rows, cursor=cursor, size=req.config.daily_page_size)


def ka10080(req: TrRequest) -> TrResult:
    """주식분봉차트: the last five trading days of 1-minute bars, aggregated by ``tic_scope``."""
    stk_cd = req.body["stk_cd"]
    listing, _ = require_venue(stk_cd)  # every venue shows KRX's bars (venues.py)
    scope = int(req.body["tic_scope"])  # one of the catalog's allowed scopes, checked before the handler
    cursor = _cursor(req)
    bars = req.market.minute_bars(listing.code, cursor.asof, scope=scope)
    rows = [_minute_row(b, listing.is_etp) for b in bars]
    return _finish(req, "stk_min_pole_chart_qry", rows, cursor=cursor, size=req.config.minute_page_size)
