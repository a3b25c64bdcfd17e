"""Stock information and quote TRs: ka10001, ka10004, ka10007, ka10095, ka10099.

Field names follow Kiwoom's specification exactly (including ``sel_2th_pre_bid``); every
value is a string, prices carry their direction against the previous close. Volumes,
traded values and order-book quantities follow the venue the code's suffix names
(``venues.py``). An unknown code is error 1902, except where the live server was measured
to answer otherwise: ka10007 answers ``return_code`` 0 with every field blank, ka10095 a
blank row (``stk_cd`` blank too).
"""

from __future__ import annotations

from datetime import date

from .envelopes import KiwoomError
from .fundamentals import fundamentals_for
from .listings import KNOWN_MARKET_TYPES, MARKET_CODES, MARKET_NAMES_KO, Listing, listed_under
from .market import OrderBook, Quote, SyntheticMarket
from .prices import rate, sign_code, signed, signed_price, tick_floor
from .tr_types import TrRequest, TrResult
from .venues import find_venue, require_venue, venue_book, venue_quote

MAX_WATCHLIST = 100


def price_fields(q: Quote) -> dict[str, str]:
    """The price block ka10001, ka10007 and ka10095 share."""
    p = q.prev_close
    return {
        "cur_prc": signed_price(q.price, p),
        "pred_pre": signed(q.change),
        "pre_sig": sign_code(q.price, p, q.lower, q.upper),
        "flu_rt": rate(q.change_rate),
        "trde_qty": str(q.volume),
        "open_pric": signed_price(q.open, p),
        "high_pric": signed_price(q.high, p),
        "low_pric": signed_price(q.low, p),
        "upl_pric": signed_price(q.upper, p),
        "lst_pric": signed_price(q.lower, p),
        "base_pric": str(p),
    }


def _quote(market: SyntheticMarket, listing: Listing, suffix: str, now: float) -> Quote:
    return venue_quote(market.quote(listing.code, now), suffix)


def _book(market: SyntheticMarket, listing: Listing, suffix: str, now: float) -> OrderBook:
    return venue_book(market.order_book(listing.code, now), listing, suffix)


def ka10001(req: TrRequest) -> TrResult:
    """주식기본정보: identity, fundamentals, 250-day and year extremes, the day's prices."""
    stk_cd = req.body["stk_cd"]
    listing, suffix = require_venue(stk_cd)
    m = req.market
    q = _quote(m, listing, suffix, req.now)
    p = q.prev_close
    f = fundamentals_for(listing, m.seed)
    year = m.extremes(listing.code, req.now, since=date(q.day.year, 1, 1))
    d250 = m.extremes(listing.code, req.now, days=250)
    mac = q.price * listing.shares // 100_000_000

    def pct_from(extreme: int) -> str:
        return rate((q.price - extreme) / extreme * 100)

    fields: dict[str, object] = {
        "stk_cd": stk_cd,
        "stk_nm": listing.name,
        "setl_mm": "12",
        "fav": str(listing.face_value),
        "cap": str(listing.shares * listing.face_value // 100_000_000),
        "flo_stk": str(listing.shares // 1000),
        "crd_rt": rate(f.credit_rate) if f else "0.00",
        "oyr_hgst": signed_price(year.high, p),
        "oyr_lwst": signed_price(year.low, p),
        "mac": str(mac),
        "mac_wght": "",
        "for_exh_rt": rate(f.foreign_exhaustion) if f else "0.00",
        "repl_pric": str(tick_floor(p * 0.7, etf=listing.is_etp)),
        "per": f"{f.per(q.price):.2f}" if f else "",
        "eps": str(f.eps) if f else "",
        "roe": f"{f.roe:.1f}" if f else "",
        "pbr": f"{f.pbr(q.price):.2f}" if f else "",
        "ev": f"{f.ev_ebitda:.2f}" if f else "",
        "bps": str(f.bps) if f else "",
        "sale_amt": str(f.sales_eok) if f else "",
        "bus_pro": str(f.operating_profit_eok) if f else "",
        "cup_nga": str(f.net_income_eok) if f else "",
        "250hgst": signed_price(d250.high, p),
        "250lwst": signed_price(d250.low, p),
        "250hgst_pric_dt": d250.high_day.strftime("%Y%m%d"),
        "250hgst_pric_pre_rt": pct_from(d250.high),
        "250lwst_pric_dt": d250.low_day.strftime("%Y%m%d"),
        "250lwst_pric_pre_rt": pct_from(d250.low),
        **price_fields(q),
        "exp_cntr_pric": signed_price(q.price, p),
        "exp_cntr_qty": "0",
        "trde_pre": rate(q.volume / q.prev_volume * 100 - 100) if q.prev_volume else "0.00",
        "fav_unit": "원",
        "dstr_stk": str(int(listing.shares * (f.float_rate if f else 100.0) / 100) // 1000),
        "dstr_rt": f"{f.float_rate:.2f}" if f else "100.00",
    }
    return TrResult(fields)


def _book_fields(book: OrderBook, prev: int) -> dict[str, str]:
    fields: dict[str, str] = {}
    for level, ((ask, ask_qty), (bid, bid_qty)) in enumerate(zip(book.asks, book.bids, strict=True), start=1):
        sel = "sel_fpr" if level == 1 else f"sel_{level}th_pre"
        buy = "buy_fpr" if level == 1 else f"buy_{level}th_pre"
        fields[f"{sel}_bid"] = signed_price(ask, prev)
        fields[f"{sel}_req"] = str(ask_qty)
        fields[f"{buy}_bid"] = signed_price(bid, prev)
        fields[f"{buy}_req"] = str(bid_qty)
    return fields


def ka10004(req: TrRequest) -> TrResult:
    """주식호가: ten ask and ten bid levels around the current price, totals that add up."""
    listing, suffix = require_venue(req.body["stk_cd"])
    q = _quote(req.market, listing, suffix, req.now)
    book = _book(req.market, listing, suffix, req.now)
    fields: dict[str, object] = {
        "bid_req_base_tm": q.now.strftime("%H%M%S"),
        **_book_fields(book, q.prev_close),
        "tot_sel_req": str(book.total_ask),
        "tot_buy_req": str(book.total_bid),
        "ovt_sel_req": "0",
        "ovt_buy_req": "0",
    }
    return TrResult(fields)


KA10007_FIELDS: tuple[str, ...] = (
    "stk_nm", "stk_cd", "date", "tm", "pred_close_pric", "pred_trde_qty", "upl_pric", "lst_pric", "flo_stkcnt",
    "cur_prc", "smbol", "flu_rt", "pred_pre", "pre_sig", "open_pric", "high_pric", "low_pric", "trde_qty",
    "trde_prica",
    *(f"{side}_{level}bid{kind}" for level in range(1, 11) for side in ("sel", "buy") for kind in ("", "_req")),
    "tot_sel_req", "tot_buy_req",
)  # fmt: skip


def ka10007(req: TrRequest) -> TrResult:
    """시세표성정보: the quote screen, including the order book's ten levels.

    An unknown code is not an error here: the live server answers ``return_code`` 0 with
    every field blank (measured by a third-party client), and so does the fake.
    """
    stk_cd = req.body["stk_cd"]
    found = find_venue(stk_cd)
    if found is None:
        return TrResult(dict.fromkeys(KA10007_FIELDS, ""))
    listing, suffix = found
    q = _quote(req.market, listing, suffix, req.now)
    book = _book(req.market, listing, suffix, req.now)
    p = q.prev_close
    price = price_fields(q)
    fields: dict[str, object] = {
        "stk_nm": listing.name,
        "stk_cd": stk_cd,
        "date": q.day.strftime("%Y%m%d"),
        "tm": q.now.strftime("%H%M%S"),
        "pred_close_pric": str(p),
        "pred_trde_qty": str(q.prev_volume),
        "upl_pric": price["upl_pric"],
        "lst_pric": price["lst_pric"],
        "flo_stkcnt": str(listing.shares // 1000),
        "cur_prc": price["cur_prc"],
        "smbol": price["pre_sig"],
        "flu_rt": price["flu_rt"],
        "pred_pre": price["pred_pre"],
        "pre_sig": price["pre_sig"],
        "open_pric": price["open_pric"],
        "high_pric": price["high_pric"],
        "low_pric": price["low_pric"],
        "trde_qty": price["trde_qty"],
        "trde_prica": str(q.value // 1_000_000),
    }
    for level, ((ask, ask_qty), (bid, bid_qty)) in enumerate(zip(book.asks, book.bids, strict=True), start=1):
        fields[f"sel_{level}bid"] = signed_price(ask, p)
        fields[f"sel_{level}bid_req"] = str(ask_qty)
        fields[f"buy_{level}bid"] = signed_price(bid, p)
        fields[f"buy_{level}bid_req"] = str(bid_qty)
    fields["tot_sel_req"] = str(book.total_ask)
    fields["tot_buy_req"] = str(book.total_bid)
    return TrResult(fields)


WATCHLIST_FIELDS: tuple[str, ...] = (
    "stk_cd", "stk_nm", "cur_prc", "base_pric", "pred_pre", "pre_sig", "flu_rt", "trde_qty", "trde_prica",
    "open_pric", "high_pric", "low_pric", "upl_pric", "lst_pric", "cap", "fav", "mac", "stkcnt", "dt",
)  # fmt: skip


def _watch_row(stk_cd: str, market: SyntheticMarket, now: float) -> dict[str, str]:
    """One code's row; an unknown code's row is blank throughout, ``stk_cd`` included, as live."""
    row = dict.fromkeys(WATCHLIST_FIELDS, "")
    found = find_venue(stk_cd)
    if found is None:
        return row
    listing, suffix = found
    q = _quote(market, listing, suffix, now)
    price = price_fields(q)
    row.update({k: v for k, v in price.items() if k in row})
    row.update(
        stk_cd=stk_cd,
        stk_nm=listing.name,
        trde_prica=str(q.value // 1_000_000),
        cap=str(listing.shares * listing.face_value // 100_000_000),
        fav=str(listing.face_value),
        mac=str(q.price * listing.shares // 100_000_000),
        stkcnt=str(listing.shares // 1000),
        dt=q.day.strftime("%Y%m%d"),
    )
    return row


def ka10095(req: TrRequest) -> TrResult:
    """관심종목정보: one row per ``|``-separated code; unknown codes give a blank row, not an error."""
    codes = [c.strip() for c in req.body["stk_cd"].split("|") if c.strip()]
    if not codes:
        raise KiwoomError(1511, "필수입력 파라미터=stk_cd")
    if len(codes) > MAX_WATCHLIST:
        raise KiwoomError(1517, f"stk_cd 종목 수={len(codes)} (최대 {MAX_WATCHLIST}개)")
    return TrResult({"atn_stk_infr": [_watch_row(c, req.market, req.now) for c in codes]})


def ka10099(req: TrRequest) -> TrResult:
    """종목정보 리스트: camelCase rows for one ``mrkt_tp``; documented-but-unlisted markets are empty.

    The KOSPI list (0) carries the ETFs and ETNs as well, as live (``listings.MARKETS_LISTED``);
    a row's ``marketCode`` and ``marketName`` give its own product type (8 ETF, 60 ETN), not
    the list. There is no ETN-only list: Kiwoom documents no ``mrkt_tp`` 60, so asking for
    it is error 1901 like any undocumented market. ETFs and ETNs are never on Nextrade
    (``nxtEnable`` N) and carry no credit (신용가능) in their ``state``.
    """
    mrkt_tp = req.body["mrkt_tp"]
    if not mrkt_tp.isdigit() or mrkt_tp not in KNOWN_MARKET_TYPES:
        raise KiwoomError(1901, f"시장구분={mrkt_tp}")
    rows: list[dict[str, str]] = []
    for listing in listed_under(mrkt_tp):
        q = req.market.quote(listing.code, req.now)
        rows.append(
            {
                "code": listing.code,
                "name": listing.name,
                "listCount": str(listing.shares).zfill(16),
                "auditInfo": "정상",
                "regDay": listing.reg_day,
                "lastPrice": str(q.prev_close).zfill(8),
                "state": "증거금20%|담보대출" if listing.is_etp else "증거금20%|담보대출|신용가능",
                "marketCode": MARKET_CODES[listing.market],
                "marketName": MARKET_NAMES_KO[listing.market],
                "upName": listing.sector,
                "upSizeName": listing.size_class,
                "companyClassName": "" if listing.market.value != "KOSDAQ" else "우량기업부",
                "orderWarning": "0",
                "nxtEnable": "Y" if listing.nxt_enabled else "N",
            }
        )
    return TrResult({"list": rows})
