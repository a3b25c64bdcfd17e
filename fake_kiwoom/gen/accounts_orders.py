"""Today's orders, executions and realized profit: ka10075, ka10076, ka10077, ka10088, ka10170.

All of them read the ledger (``accounts_ledger``): a day's round trips show once its
closing auction has executed, today's split buy order rests while the session runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from ..envelopes import KiwoomError
from ..tr_types import TrRequest
from .accounts_ledger import (
    NO_ORDER,
    OpenOrder,
    RoundTrip,
    open_orders,
    plain_code,
    snapshot_time,
    view,
    visible_trips,
)
from .base import Answer, Generator, Values

KRX_VENUE = {"stex_tp": "1", "stex_tp_txt": "KRX"}


def _text(req: TrRequest, name: str) -> str:
    return str(req.body.get(name, "") or "").strip()


def parse_day(text: str, name: str) -> date:
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise KiwoomError(1517, f"{name}={text} (형식 오류)") from None


def _today_trips(req: TrRequest) -> list[RoundTrip]:
    v = view(req.market, snapshot_time(req))
    return list(visible_trips(req.market, v, v.today)) if v.trading_today else []


def _order_row(order: OpenOrder, req: TrRequest) -> Values:
    q = order.quote
    book = req.market.order_book(q.listing.code, snapshot_time(req))
    ask, bid = book.asks[0][0], book.bids[0][0]
    return {
        "acnt_no": None,  # the fake never shows an account number
        "ord_no": order.no,
        "mang_empno": "",
        "stk_cd": q.listing.code,
        "tsk_tp": "",
        "ord_stt": "접수",
        "stk_nm": q.listing.name,
        "ord_qty": order.qty,
        "ord_pric": order.price,
        "oso_qty": order.qty,
        "cntr_tot_amt": 0,
        "orig_ord_no": NO_ORDER,
        "io_tp_nm": "+매수",
        "trde_tp": "보통",
        "tm": order.ordered,
        "cntr_no": "",
        "cntr_pric": 0,
        "cntr_qty": 0,
        "cur_prc": (q.price, q.prev_close),
        "sel_bid": (ask, q.prev_close) if ask else 0,
        "buy_bid": (bid, q.prev_close) if bid else 0,
        "tdy_trde_cmsn": 0,
        "tdy_trde_tax": 0,
        "ind_invsr": "",
        **KRX_VENUE,
        "sor_yn": False,
        "stop_pric": 0,
    }


def ka10075(req: TrRequest) -> Answer:
    """미체결: today's resting split buy order, newest first; nothing sells, nothing rests on NXT."""
    v = view(req.market, snapshot_time(req))
    orders = open_orders(req.market, v)
    if _text(req, "all_stk_tp") == "1":
        orders = [o for o in orders if o.listing.code == plain_code(_text(req, "stk_cd"))]
    if _text(req, "trde_tp") == "1" or _text(req, "stex_tp") == "2":
        orders = []
    return Answer(rows=[_order_row(o, req) for o in sorted(orders, key=lambda o: o.no, reverse=True)])


def _fills(trip: RoundTrip) -> list[Values]:
    """The buy and the sell of one round trip as ka10076 rows."""
    common: Values = {
        "stk_nm": trip.listing.name, "ord_qty": trip.qty, "cntr_qty": trip.qty, "oso_qty": 0,
        "ord_stt": "체결", "orig_ord_no": NO_ORDER, "stk_cd": trip.listing.code, **KRX_VENUE,
        "sor_yn": False, "stop_pric": 0,
    }  # fmt: skip
    buy = {
        **common, "ord_no": trip.buy_no, "io_tp_nm": "+매수", "ord_pric": 0, "cntr_pric": trip.buy_price,
        "tdy_trde_cmsn": trip.buy_cmsn, "tdy_trde_tax": 0, "trde_tp": "시장가", "ord_tm": trip.buy_ordered,
    }  # fmt: skip
    sell = {
        **common, "ord_no": trip.sell_no, "io_tp_nm": "-매도", "ord_pric": trip.sell_price,
        "cntr_pric": trip.sell_price, "tdy_trde_cmsn": trip.sell_cmsn, "tdy_trde_tax": trip.tax,
        "trde_tp": "보통", "ord_tm": trip.sell_ordered,
    }  # fmt: skip
    return [buy, sell]


def ka10076(req: TrRequest) -> Answer:
    """체결: today's executions, newest order first, filtered by stock, side and an order-number bound."""
    rows = [row for trip in _today_trips(req) for row in _fills(trip)]
    if _text(req, "qry_tp") == "1":
        rows = [r for r in rows if r["stk_cd"] == plain_code(_text(req, "stk_cd"))]
    side = _text(req, "sell_tp")
    if side in {"1", "2"}:
        rows = [r for r in rows if str(r["io_tp_nm"]).endswith("매도" if side == "1" else "매수")]
    bound = _text(req, "ord_no")
    if bound:
        rows = [r for r in rows if int(str(r["ord_no"])) < int(bound)]
    if _text(req, "stex_tp") == "2":
        rows = []
    return Answer(rows=sorted(rows, key=lambda r: str(r["ord_no"]), reverse=True))


def _realized_row(trip: RoundTrip) -> Values:
    return {
        "stk_nm": trip.listing.name,
        "cntr_qty": trip.qty,
        "buy_uv": trip.buy_uv,
        "cntr_pric": trip.sell_price,
        "tdy_sel_pl": trip.pl,
        "pl_rt": trip.pl_rate,
        "tdy_trde_cmsn": trip.sell_cmsn,
        "tdy_trde_tax": trip.tax,
        "stk_cd": f"A{trip.listing.code}",
    }


def ka10077(req: TrRequest) -> Answer:
    """당일실현손익상세: today's realized profit of the account, and one row per sale of the stock asked."""
    trips = _today_trips(req)
    code = plain_code(_text(req, "stk_cd"))
    rows = [_realized_row(t) for t in trips if t.listing.code == code]
    return Answer({"tdy_rlzt_pl": sum(t.pl for t in trips)}, rows)


def _split_row(o: OpenOrder) -> Values:
    row: Values = {
        "stk_cd": o.listing.code, "stk_nm": o.listing.name, "ord_no": o.no, "ord_qty": o.qty,
        "ord_pric": o.price, "osop_qty": o.qty, "io_tp_nm": "+매수", "trde_tp": "보통", "sell_tp": "2",
        "cntr_qty": 0, "ord_stt": "접수", "cur_prc": (o.quote.price, o.quote.prev_close), **KRX_VENUE,
    }  # fmt: skip
    return row


def ka10088(req: TrRequest) -> Answer:
    """미체결 분할주문 상세: the children of the split order that the order number belongs to."""
    wanted = int(_text(req, "ord_no"))
    orders = open_orders(req.market, view(req.market, snapshot_time(req)))
    if not any(int(o.no) == wanted for o in orders):
        return Answer()
    return Answer(rows=[_split_row(o) for o in orders])


def ka10170(req: TrRequest) -> Answer:
    """당일매매일지: one row per stock traded on the day asked (today when blank), with totals."""
    v = view(req.market, snapshot_time(req))
    text = _text(req, "base_dt")
    day = parse_day(text, "base_dt") if text else v.today
    trips = list(visible_trips(req.market, v, day)) if day <= v.today else []
    if _text(req, "ch_crd_tp") == "2":
        trips = []  # cash trades only: nothing on credit
    rows: list[Values] = []
    for t in trips:
        rows.append(
            {
                "stk_nm": t.listing.name, "buy_avg_pric": t.buy_price, "buy_qty": t.qty,
                "sel_avg_pric": t.sell_price, "sell_qty": t.qty, "cmsn_alm_tax": t.fees, "pl_amt": t.pl,
                "sell_amt": t.sell_amt, "buy_amt": t.buy_amt, "prft_rt": t.pl / t.buy_amt * 100,
                "stk_cd": t.listing.code,
            }
        )  # fmt: skip
    sell, buy = sum(t.sell_amt for t in trips), sum(t.buy_amt for t in trips)
    fees = sum(t.fees for t in trips)
    pl = sell - buy - fees
    top = {
        "tot_sell_amt": sell, "tot_buy_amt": buy, "tot_cmsn_tax": fees, "tot_exct_amt": pl,
        "tot_pl_amt": pl, "tot_prft_rt": pl / buy * 100 if buy else 0.0,
    }  # fmt: skip
    return Answer(top, rows)


GENERATORS: Mapping[str, Generator] = {
    "ka10075": ka10075,
    "ka10076": ka10076,
    "ka10077": ka10077,
    "ka10088": ka10088,
    "ka10170": ka10170,
}
