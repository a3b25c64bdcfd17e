"""Generators of the accounts family (specs in ``tr_catalog/specs/accounts.yaml``).

Account reads that agree with kt00001/kt00004/kt00018: the same deposit, the same five
holdings at the same prices, and a deterministic trading history (``accounts_ledger``)
that leaves both unchanged. This module answers the period and balance TRs (kt00002,
kt00015, kt00016, kt00017, ka10074, ka10085); ``accounts_orders`` answers today's orders,
executions and realized profit (ka10075, ka10076, ka10077, ka10088, ka10170).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from ..accounts import Position, account_for
from ..tr_types import TrRequest
from .accounts_ledger import (
    RoundTrip,
    cash_at,
    cash_by_day,
    holdings_value_by_day,
    isin,
    listing_of,
    positions_now,
    snapshot_time,
    trading_days,
    trips_between,
    view,
)
from .accounts_orders import GENERATORS as ORDERS
from .accounts_orders import parse_day
from .base import Answer, Generator, Values, paged

PAGE_SIZE = 100


def _text(req: TrRequest, name: str) -> str:
    return str(req.body.get(name, "") or "").strip()


def _range(req: TrRequest, first: str, last: str) -> tuple[date, date]:
    return parse_day(_text(req, first), first), parse_day(_text(req, last), last)


def kt00002(req: TrRequest) -> Answer:
    """일별추정예탁자산현황: per trading day, cash and cash plus the holdings at that day's close."""
    start, end = _range(req, "start_dt", "end_dt")
    account, v = account_for(req.appkey), view(req.market, snapshot_time(req))
    last = min(end, v.shown_day)
    cash = cash_by_day(req.market, v, start, account.deposit)
    value = holdings_value_by_day(account, req.market, v, start, last)
    rows: list[Values] = []
    for day in trading_days(req.market, start, last):
        asset = cash[day] + value[day]
        rows.append(
            {
                "dt": day, "entr": cash[day], "grnt_use_amt": 0, "crd_loan": 0, "ls_grnt": 0, "repl_amt": 0,
                "prsm_dpst_aset_amt": asset, "prsm_dpst_aset_amt_bncr_skip": asset,
            }
        )  # fmt: skip
    return paged(req, rows, PAGE_SIZE)


def _transactions(trip: RoundTrip, branch: str) -> tuple[Values, Values]:
    """A round trip's buy and sale as 위탁종합거래내역 rows; the caller sets ``entra_remn`` and ``trde_no``."""
    code = trip.listing.code
    common: Values = {
        "trde_dt": trip.day, "crd_deal_tp_nm": "보통매매", "loan_amt_rpya": 0, "fc_trde_amt": 0.0,
        "fc_exct_amt": 0.0, "crnc_cd": "KRW", "trde_kind_nm": "매매", "stk_nm": trip.listing.name, "rpy_diffa": 0,
        "fc_trde_tax": 0.0, "dly_sum": 0, "fc_entra": 0.0, "mdia_tp_nm": "REST API", "orig_deal_no": "000000000",
        "stk_cd": f"A{code}", "trde_qty_jwa_cnt": trip.qty, "int_ls_usfe": 0, "fc_cmsn": 0.0, "fc_dly_sum": 0.0,
        "isin_cd": isin(code), "stex_cd": "", "stex_nm": "", "incm_resi_tax": 0, "loan_dt": "", "uncl_ocr": "",
        "rpym_sum": "", "cntr_dt": trip.day, "rcpy_no": "", "prcsr": "", "proc_brch": branch, "trde_stle": "",
        "txon_base_pric": 0.0, "frgn_pay_txam": 0.0, "fc_uncl_ocr": 0.0, "rpym_sum_fr": "", "rcpmnyer": "",
    }  # fmt: skip
    buy = {
        **common, "rmrk_nm": "장내매수", "exct_amt": trip.cost, "trde_amt": trip.buy_amt, "trde_agri_tax": 0,
        "io_tp": "2", "io_tp_nm": "매수", "cmsn": trip.buy_cmsn, "vlbl_nowrm": trip.qty,
        "proc_tm": trip.bought.strftime("%H:%M:%S"), "trde_unit": f"{trip.buy_price:,}",
        "tax_sum_cmsn": trip.buy_cmsn,
    }  # fmt: skip
    sell = {
        **common, "rmrk_nm": "장내매도", "exct_amt": trip.proceeds, "trde_amt": trip.sell_amt,
        "trde_agri_tax": trip.tax, "io_tp": "1", "io_tp_nm": "매도", "cmsn": trip.sell_cmsn, "vlbl_nowrm": 0,
        "proc_tm": trip.sold.strftime("%H:%M:%S"), "trde_unit": f"{trip.sell_price:,}",
        "tax_sum_cmsn": trip.sell_cmsn + trip.tax,
    }  # fmt: skip
    return buy, sell


def kt00015(req: TrRequest) -> Answer:
    """위탁종합거래내역: the trades of the period, oldest first, with the cash left after each.

    The account has only domestic stock trades on KRX, in won: asking for deposits and
    withdrawals, other products, NXT or another currency finds nothing.
    """
    start, end = _range(req, "strt_dt", "end_dt")
    account, v, market = account_for(req.appkey), view(req.market, snapshot_time(req)), req.market
    kind, product, venue = _text(req, "tp"), _text(req, "gds_tp"), _text(req, "dmst_stex_tp")
    found = kind in {"0", "3", "4", "5"} and product in {"0", "1"} and venue in {"%", "KRX"}
    found = found and _text(req, "crnc_cd") in {"", "KRW"}
    trips = trips_between(market, v, start, end) if found else []
    rows: list[Values] = []
    days = sorted({t.day for t in trips})
    cash = cash_at(market, v, market.calendar.previous_trading_day(days[0]), account.deposit) if days else 0
    for day in days:
        pairs = [(t, *_transactions(t, account.branch)) for t in trips if t.day == day]
        # every buy fills in the opening auction, every sale in the closing one
        for trip, buy, _ in pairs:
            cash -= trip.cost
            buy["entra_remn"] = cash
        for trip, _, sell in pairs:
            cash += trip.proceeds
            sell["entra_remn"] = cash
        for n, row in enumerate([p[1] for p in pairs] + [p[2] for p in pairs], start=1):
            row["trde_no"] = f"{n:09d}"
            rows.append(row)
    if kind in {"4", "5"}:
        rows = [r for r in rows if r["io_tp"] == ("2" if kind == "4" else "1")]
    wanted = listing_of(_text(req, "stk_cd"))
    if wanted is not None:
        rows = [r for r in rows if r["stk_cd"] == f"A{wanted.code}"]
    return paged(req, rows, PAGE_SIZE, {"acnt_no": None})


def kt00016(req: TrRequest) -> Answer:
    """일별계좌수익률상세현황: the account's net assets at the start and end of the period, and its return."""
    first, last = _range(req, "fr_dt", "to_dt")
    account, v, market = account_for(req.appkey), view(req.market, snapshot_time(req)), req.market
    end = min(last, v.shown_day)
    end = end if market.calendar.is_trading_day(end) else market.calendar.previous_trading_day(end)
    begin = min(market.calendar.previous_trading_day(first), end)
    cash = {day: cash_at(market, v, day, account.deposit) for day in (begin, end)}
    value = holdings_value_by_day(account, market, v, begin, end)
    total = {day: cash[day] + value.get(day, 0) for day in (begin, end)}
    trips = trips_between(market, v, first, end)
    principal = total[begin]
    profit = total[end] - principal
    traded = sum(t.buy_amt + t.sell_amt for t in trips)
    top: Values = {"mang_empno": "", "mngr_nm": account.branch, "dept_nm": account.branch}
    for name, at in (("fr", begin), ("to", end)):
        top |= {
            f"entr_{name}": cash[at], f"scrt_evlt_amt_{name}": value.get(at, 0), f"tot_amt_{name}": total[at],
            **{f"{k}_{name}": 0 for k in ("ls_grnt", "crd_loan", "ch_uncla", "krw_asgna", "ls_evlta")},
            **{f"{k}_{name}": 0 for k in ("rght_evlta", "loan_amt", "etc_loana", "crd_int_npay_gold", "crd_int")},
        }  # fmt: skip
    top |= {
        "invt_bsamt": principal, "evltv_prft": profit, "prft_rt": profit / principal * 100 if principal else 0.0,
        "tern_rt": traded / principal * 100 if principal else 0.0, "termin_tot_trns": 0, "termin_tot_pymn": 0,
        "termin_tot_inq": 0, "termin_tot_outq": 0, "futr_repl_sella": 0, "trst_repl_sella": 0,
    }  # fmt: skip
    return Answer(top)


def kt00017(req: TrRequest) -> Answer:
    """계좌별당일현황: cash, the holdings' value and today's trading (once today's session has closed)."""
    account, v = account_for(req.appkey), view(req.market, snapshot_time(req))
    trips = trips_between(req.market, v, v.today, v.today) if v.trading_today else []
    zero = (
        "crd_int_npay_gold", "etc_loana", "dpst_grnt_use_amt_d2", "crd_stk_evlt_amt_d2", "crd_loan_d2",
        "crd_loan_evlta_d2", "crd_ls_grnt_d2", "crd_ls_evlta_d2", "ina_amt", "outa", "inq_amt", "outq_amt",
        "stk_pur_cptal_loan_amt", "rp_evlt_amt", "bd_evlt_amt", "elsevlt_amt", "crd_int_amt",
        "sel_prica_grnt_loan_int_amt_amt", "dvida_amt",
    )  # fmt: skip
    top: Values = dict.fromkeys(zero, 0)
    top |= {
        "d2_entra": account.deposit,
        "gnrl_stk_evlt_amt_d2": sum(p.evaluation for p in positions_now(account, req.market, v)),
        "sell_amt": sum(t.sell_amt for t in trips),
        "buy_amt": sum(t.buy_amt for t in trips),
        "cmsn": sum(t.buy_cmsn + t.sell_cmsn for t in trips),
        "tax": sum(t.tax for t in trips),
    }
    return Answer(top)


def ka10074(req: TrRequest) -> Answer:
    """일자별실현손익: realized profit per trading day of the period, newest first, with period totals."""
    start, end = _range(req, "strt_dt", "end_dt")
    v = view(req.market, snapshot_time(req))
    trips = trips_between(req.market, v, start, end)
    rows: list[Values] = []
    for day in sorted({t.day for t in trips}, reverse=True):
        own = [t for t in trips if t.day == day]
        rows.append(
            {
                "dt": day, "buy_amt": sum(t.buy_amt for t in own), "sell_amt": sum(t.sell_amt for t in own),
                "tdy_sel_pl": sum(t.pl for t in own), "tdy_trde_cmsn": sum(t.buy_cmsn + t.sell_cmsn for t in own),
                "tdy_trde_tax": sum(t.tax for t in own),
            }
        )  # fmt: skip
    top: Values = {
        "tot_buy_amt": sum(t.buy_amt for t in trips), "tot_sell_amt": sum(t.sell_amt for t in trips),
        "rlzt_pl": sum(t.pl for t in trips), "trde_cmsn": sum(t.buy_cmsn + t.sell_cmsn for t in trips),
        "trde_tax": sum(t.tax for t in trips),
    }  # fmt: skip
    return paged(req, rows, PAGE_SIZE, top)


def _return_row(p: Position) -> Values:
    row: Values = {
        "dt": None, "stk_cd": p.listing.code, "stk_nm": p.listing.name, "cur_prc": (p.price, p.prev_close),
        "pur_pric": p.avg_price, "pur_amt": p.purchase, "rmnd_qty": p.qty, "tdy_sel_pl": 0,
        "tdy_trde_cmsn": 0, "tdy_trde_tax": 0, "crd_tp": "00", "loan_dt": "00000000", "setl_remn": p.qty,
        "clrn_alow_qty": p.qty, "crd_amt": 0, "crd_int": 0, "expr_dt": "00000000",
    }  # fmt: skip
    return row


def ka10085(req: TrRequest) -> Answer:
    """계좌수익률: one row per holding, as kt00018 values it; the holdings were not traded today."""
    account, v = account_for(req.appkey), view(req.market, snapshot_time(req))
    return Answer(rows=[_return_row(p) for p in positions_now(account, req.market, v)])


GENERATORS: Mapping[str, Generator] = {
    "kt00002": kt00002,
    "kt00015": kt00015,
    "kt00016": kt00016,
    "kt00017": kt00017,
    "ka10074": ka10074,
    **ORDERS,
    "ka10085": ka10085,
}
