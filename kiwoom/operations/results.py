"""Turn Kiwoom TR bodies into the seed's result shapes, with real numbers.

Pure functions from decoded JSON to plain dicts: every Kiwoom string becomes an int, a
float or None, prices lose their direction sign, changes keep their real sign, and times
become ISO 8601 with the Korea offset. A body whose key fields are blank raises
:class:`EmptyResponseError`, the seed's "API 응답 없음" case.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from kiwoom.errors import EmptyResponseError
from kiwoom.transport.protocol import SIGN_CODES, decode_float, decode_int, decode_price
from krx.calendar import KST

logger = logging.getLogger("kiwoom.operations.results")
Number = TypeVar("Number", int, float)


def _s(row: dict[str, Any], key: str) -> str:
    value = row.get(key, "")
    return value if isinstance(value, str) else str(value)


def _decoded(decode: Callable[[str], Number | None], row: dict[str, Any], key: str) -> Number | None:
    """Decode one field; a value that is not a number becomes None rather than failing the result.

    The key field of each result is checked by its caller (a blank price is "no answer"),
    so an odd secondary field (``"-"`` for volume, say) only loses that field.
    """
    raw = _s(row, key)
    try:
        return decode(raw)
    except ValueError:
        logger.debug("unreadable %s value %r: left out", key, raw[:20])
        return None


def _price(row: dict[str, Any], key: str) -> int | None:
    return _decoded(decode_price, row, key)


def _int(row: dict[str, Any], key: str) -> int | None:
    return _decoded(decode_int, row, key)


def _float(row: dict[str, Any], key: str) -> float | None:
    return _decoded(decode_float, row, key)


def rows_of(body: dict[str, Any], key: str) -> list[dict[str, Any]]:
    rows = body.get(key)
    if not isinstance(rows, list):
        return []
    return [r for r in rows if isinstance(r, dict)]


def strip_venue(code: str) -> str:
    """``005930_NX`` → ``005930``; account TRs' ``A005930`` → ``005930``."""
    code = code.split("_", 1)[0]
    return code[1:] if len(code) == 7 and code[0] == "A" else code


#: The fields of a quote (:func:`quote`), in order: one entry of get_stock_prices has these too.
QUOTE_FIELDS = (
    "stock_code",
    "name",
    "price",
    "change",
    "change_rate",
    "sign",
    "volume",
    "open",
    "high",
    "low",
    "previous_close",
    "upper_limit",
    "lower_limit",
)


def quote(body: dict[str, Any], requested_code: str) -> dict[str, Any]:
    """A price quote from a ka10001 body or a ka10095 row (the seed's get_stock_price shape)."""
    price = _price(body, "cur_prc")
    if price is None:
        raise EmptyResponseError("ka10001", f"{requested_code} 현재가 없음")
    return {
        "stock_code": requested_code,
        "name": _s(body, "stk_nm") or None,
        "price": price,
        "change": _int(body, "pred_pre"),
        "change_rate": _float(body, "flu_rt"),
        "sign": SIGN_CODES.get(_s(body, "pre_sig")),
        "volume": _int(body, "trde_qty"),
        "open": _price(body, "open_pric"),
        "high": _price(body, "high_pric"),
        "low": _price(body, "low_pric"),
        "previous_close": _price(body, "base_pric"),
        "upper_limit": _price(body, "upl_pric"),
        "lower_limit": _price(body, "lst_pric"),
    }


def stock_info(body: dict[str, Any], requested_code: str, listing: dict[str, Any] | None) -> dict[str, Any]:
    """Name, market and sector (from the ka10099 listing) plus ka10001 fundamentals."""
    name = _s(body, "stk_nm")
    if not name:
        raise EmptyResponseError("ka10001", f"{requested_code} 종목명 없음")
    mac = _int(body, "mac")
    return {
        "stock_code": requested_code,
        "name": name,
        "market": (listing or {}).get("market"),
        "sector": (listing or {}).get("sector"),
        "price": _price(body, "cur_prc"),
        "settlement_month": _s(body, "setl_mm") or None,
        "face_value": _int(body, "fav"),
        "market_cap_krw": mac * 100_000_000 if mac is not None else None,
        "listed_shares": _listed_shares(body, listing),
        "per": _float(body, "per"),
        "eps": _int(body, "eps"),
        "roe": _float(body, "roe"),
        "pbr": _float(body, "pbr"),
        "bps": _int(body, "bps"),
        "foreign_ratio": _float(body, "for_exh_rt"),
        "high_250d": _price(body, "250hgst"),
        "low_250d": _price(body, "250lwst"),
        "year_high": _price(body, "oyr_hgst"),
        "year_low": _price(body, "oyr_lwst"),
    }


def _listed_shares(body: dict[str, Any], listing: dict[str, Any] | None) -> int | None:
    """Listed shares in shares, as every tool counts them.

    ka10099's ``listCount`` is exact (unit: 1 share); ka10001's ``flo_stk`` (상장주식) comes
    in thousands. The listing's count is used when there is one, so that ``get_stock_info``
    and ``search_stock`` report the same number; otherwise ``flo_stk`` × 1000.
    """
    exact = (listing or {}).get("listed_shares")
    if isinstance(exact, int):
        return exact
    thousands = _int(body, "flo_stk")
    return thousands * 1000 if thousands is not None else None


def listing_row(row: dict[str, Any], market: str) -> dict[str, Any] | None:
    """A ka10099 row (camelCase) as a search entry; None for rows without a code.

    ``lastPrice`` is 전일종가 in Kiwoom's specification, the previous close, so it is named
    ``previous_close`` as in :func:`quote` (where it is ka10001's ``base_pric``): a field
    called "last price" would read as the current price and disagree with get_stock_price.
    """
    code = _s(row, "code").strip()
    if not code:
        return None
    return {
        "stock_code": code,
        "name": _s(row, "name").strip(),
        "market": _s(row, "marketName").strip() or market,
        "sector": _s(row, "upName").strip() or None,
        "previous_close": _price(row, "lastPrice"),
        "listed_shares": _int(row, "listCount"),
    }


def daily_bars(body: dict[str, Any]) -> list[dict[str, Any]]:
    """ka10081 rows (newest first) as bars with ISO dates."""
    bars = []
    for row in rows_of(body, "stk_dt_pole_chart_qry"):
        dt = _s(row, "dt")
        if len(dt) != 8:
            continue
        bars.append(
            {
                "date": f"{dt[:4]}-{dt[4:6]}-{dt[6:]}",
                "open": _price(row, "open_pric"),
                "high": _price(row, "high_pric"),
                "low": _price(row, "low_pric"),
                "close": _price(row, "cur_prc"),
                "volume": _int(row, "trde_qty"),
                "change": _int(row, "pred_pre"),
            }
        )
    return bars


def minute_bars(body: dict[str, Any]) -> list[dict[str, Any]]:
    """ka10080 rows (newest first) as bars with ISO timestamps in Korea time."""
    bars = []
    for row in rows_of(body, "stk_min_pole_chart_qry"):
        raw = _s(row, "cntr_tm")
        try:
            moment = datetime.strptime(raw, "%Y%m%d%H%M%S").replace(tzinfo=KST)
        except ValueError:
            continue
        bars.append(
            {
                "time": moment.isoformat(),
                "open": _price(row, "open_pric"),
                "high": _price(row, "high_pric"),
                "low": _price(row, "low_pric"),
                "close": _price(row, "cur_prc"),
                "volume": _int(row, "trde_qty"),
            }
        )
    return bars


def orderbook(body: dict[str, Any], requested_code: str, day: str) -> dict[str, Any]:
    """ka10004 levels 1-10 as asks (ascending) and bids (descending) with quantities."""
    asks: list[dict[str, int]] = []
    bids: list[dict[str, int]] = []
    for level in range(1, 11):
        prefix = "fpr" if level == 1 else f"{level}th_pre"
        for side, out in (("sel", asks), ("buy", bids)):
            price = _price(body, f"{side}_{prefix}_bid")
            qty = _int(body, f"{side}_{prefix}_req")
            if price:
                out.append({"level": level, "price": price, "quantity": qty or 0})
    if not asks and not bids:
        raise EmptyResponseError("ka10004", f"{requested_code} 호가 없음")
    tm = _s(body, "bid_req_base_tm")
    as_of = f"{day}T{tm[:2]}:{tm[2:4]}:{tm[4:6]}+09:00" if len(tm) == 6 and tm.isdigit() else None
    return {
        "stock_code": requested_code,
        "as_of": as_of,
        "asks": asks,
        "bids": bids,
        "total_ask_quantity": _int(body, "tot_sel_req"),
        "total_bid_quantity": _int(body, "tot_buy_req"),
    }


def holdings(body: dict[str, Any]) -> list[dict[str, Any]]:
    """kt00018 holdings (``acnt_evlt_remn_indv_tot``)."""
    out = []
    for row in rows_of(body, "acnt_evlt_remn_indv_tot"):
        code = strip_venue(_s(row, "stk_cd").strip())
        if not code:
            continue
        out.append(
            {
                "stock_code": code,
                "name": _s(row, "stk_nm").strip(),
                "quantity": _int(row, "rmnd_qty"),
                "tradable_quantity": _int(row, "trde_able_qty"),
                "average_price": _price(row, "pur_pric"),
                "current_price": _price(row, "cur_prc"),
                "purchase_amount": _int(row, "pur_amt"),
                "evaluation_amount": _int(row, "evlt_amt"),
                "profit_loss": _int(row, "evltv_prft"),
                "profit_rate": _float(row, "prft_rt"),
            }
        )
    return out


def account(balance_body: dict[str, Any], evaluation_body: dict[str, Any], masked_account: str) -> dict[str, Any]:
    """The seed's get_account_info shape from kt00001 (deposit) and kt00018 (evaluation)."""
    balance = _int(balance_body, "entr")
    total_eval = _int(evaluation_body, "tot_evlt_amt")
    if balance is None and total_eval is None:
        raise EmptyResponseError("kt00018", "계좌 평가 금액 없음")
    return {
        "account_no": masked_account,
        "balance": balance,
        "d2_balance": _int(balance_body, "d2_entra"),
        "orderable_amount": _int(balance_body, "ord_alow_amt"),
        "total_value": _int(evaluation_body, "prsm_dpst_aset_amt"),
        "total_evaluation": total_eval,
        "total_purchase": _int(evaluation_body, "tot_pur_amt"),
        "profit_loss": _int(evaluation_body, "tot_evlt_pl"),
        "profit_rate": _float(evaluation_body, "tot_prft_rt"),
        "holdings": holdings(evaluation_body),
    }
