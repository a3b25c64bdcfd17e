"""Account TRs: kt00001 (deposit), kt00004 (evaluation), kt00018 (balance detail).

Amounts are zero-padded as on the live server: 15 digits in kt00001 and kt00018, 12 in
kt00004; rates are plain decimals. Holdings are valued at the market's current price.
"""

from __future__ import annotations

from .accounts import Position, account_for, positions
from .prices import padded
from .tr_types import TrRequest, TrResult


def _pct(value: float) -> str:
    return f"{value:.2f}"


def kt00001(req: TrRequest) -> TrResult:
    """예수금상세현황: cash only, so every orderable/withdrawable figure equals the deposit."""
    cash = account_for(req.appkey).deposit

    def p15(value: int) -> str:
        return padded(value, 15)

    fields: dict[str, object] = {
        "entr": p15(cash),
        "profa_ch": p15(0),
        "bncr_profa_ch": p15(0),
        "nxdy_bncr_sell_exct": p15(0),
        "repl_amt": p15(0),
        "uncl_stk_amt": p15(0),
        "pymn_alow_amt": p15(cash),
        "wthd_alow_amt": p15(cash),
        "ord_alow_amt": p15(cash),
        "ch_uncla": p15(0),
        "crd_int_npay": p15(0),
        "loan_sum": p15(0),
        "d1_entra": p15(cash),
        "d1_pymn_alow_amt": p15(cash),
        "d2_entra": p15(cash),
        "d2_pymn_alow_amt": p15(cash),
        "100stk_ord_alow_amt": p15(cash),
        "stk_entr_prst": [],
    }
    return TrResult(fields)


def _totals(items: list[Position]) -> tuple[int, int, int, float]:
    purchase = sum(p.purchase for p in items)
    evaluation = sum(p.evaluation for p in items)
    pl = evaluation - purchase
    return purchase, evaluation, pl, (round(pl / purchase * 100, 2) if purchase else 0.0)


def kt00004(req: TrRequest) -> TrResult:
    """계좌평가현황: account header plus one row per holding (12-digit padding)."""
    account = account_for(req.appkey)
    items = positions(account, req.market, req.now)
    purchase, evaluation, _, _ = _totals(items)

    def p12(value: int) -> str:
        return padded(value, 12)

    rows = [
        {
            "stk_cd": f"A{p.listing.code}",
            "stk_nm": p.listing.name,
            "rmnd_qty": p12(p.qty),
            "avg_prc": p12(p.avg_price),
            "cur_prc": p12(p.price),
            "evlt_amt": p12(p.evaluation),
            "pl_amt": p12(p.pl),
            "pl_rt": _pct(p.pl_rate),
            "loan_dt": "",
            "pur_amt": p12(p.purchase),
            "setl_remn": p12(p.qty),
            "pred_buyq": p12(0),
            "pred_sellq": p12(0),
            "tdy_buyq": p12(0),
            "tdy_sellq": p12(0),
        }
        for p in items
    ]
    fields: dict[str, object] = {
        "acnt_nm": account.owner,
        "brch_nm": account.branch,
        "entr": p12(account.deposit),
        "d2_entra": p12(account.deposit),
        "tot_est_amt": p12(evaluation),
        "aset_evlt_amt": p12(account.deposit + evaluation),
        "tot_pur_amt": p12(purchase),
        "prsm_dpst_aset_amt": p12(account.deposit + evaluation),
        "tot_grnt_sella": p12(0),
        "tdy_lspft_amt": p12(0),  # 당일투자원금
        "invt_bsamt": p12(0),  # 당월투자원금 (Kiwoom's example client and specification spell it so)
        "lspft_amt": p12(0),  # 누적투자원금
        "tdy_lspft": p12(0),
        "lspft2": p12(0),
        "lspft": p12(0),
        "tdy_lspft_rt": "0.00",
        "lspft_ratio": "0.00",
        "lspft_rt": "0.00",
        "stk_acnt_evlt_prst": rows,
    }
    return TrResult(fields)


def kt00018(req: TrRequest) -> TrResult:
    """계좌평가잔고내역: totals and per-holding rows with ``A``-prefixed codes (15-digit padding)."""
    account = account_for(req.appkey)
    items = positions(account, req.market, req.now)
    purchase, evaluation, pl, pl_rate = _totals(items)

    def p15(value: int) -> str:
        return padded(value, 15)

    rows = [
        {
            "stk_cd": f"A{p.listing.code}",
            "stk_nm": p.listing.name,
            "evltv_prft": p15(p.pl),
            "prft_rt": _pct(p.pl_rate),
            "pur_pric": p15(p.avg_price),
            "pred_close_pric": p15(p.prev_close),
            "rmnd_qty": p15(p.qty),
            "trde_able_qty": p15(p.qty),
            "cur_prc": p15(p.price),
            "pred_buyq": p15(0),
            "pred_sellq": p15(0),
            "tdy_buyq": p15(0),
            "tdy_sellq": p15(0),
            "pur_amt": p15(p.purchase),
            "pur_cmsn": p15(0),
            "evlt_amt": p15(p.evaluation),
            "sell_cmsn": p15(0),
            "tax": p15(0),
            "sum_cmsn": p15(0),
            "poss_rt": _pct(p.evaluation / evaluation * 100 if evaluation else 0.0),
            "crd_tp": "00",
            "crd_tp_nm": "",
            "crd_loan_dt": "",
        }
        for p in items
    ]
    fields: dict[str, object] = {
        "tot_pur_amt": p15(purchase),
        "tot_evlt_amt": p15(evaluation),
        "tot_evlt_pl": p15(pl),
        "tot_prft_rt": _pct(pl_rate),
        "prsm_dpst_aset_amt": p15(account.deposit + evaluation),
        "tot_loan_amt": p15(0),
        "tot_crd_loan_amt": p15(0),
        "tot_crd_ls_amt": p15(0),
        "acnt_evlt_remn_indv_tot": rows,
    }
    return TrResult(fields)
