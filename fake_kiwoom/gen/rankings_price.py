"""Price rankings: ka10027 (change against the previous close), ka10029 (expected execution), ka10033 (credit ratio).

Prices, changes and volumes are the quotes ka10001 reports at the same instant; remainders
are the totals (ka10027, ka10033) or the best level (ka10029) of the book ka10004 shows.
ka10027's execution strength is the day's so far, as ka10046 reports it (``detail_flow``),
and its count (``cnt``) is how many trading days in a row, today included, the stock has
moved the way it moves today. Before 09:00 every price is the previous close, so the
rising and falling lists are empty until the session opens.

ka10029: the fake models no indicative auction price, so the expected execution is the
current price, as ka10001's ``exp_cntr_pric`` shows, and its expected quantity 0 as there
(the quantity sort then falls back on the day's volume). ka10033 ranks ka10001's ``crd_rt``.
"""

from __future__ import annotations

from ..fundamentals import fundamentals_for
from ..tr_types import TrRequest
from .base import Answer, Generator, Values
from .detail_flow import executions
from .rankings_common import (
    INF,
    Entry,
    asof,
    at_limit,
    bid_price,
    book,
    enrich,
    entries,
    price_block,
    ranked,
    thousands,
)

#: ``pric_cnd`` bands of ka10027 and ka10029: [low, high) in won.
PRICE_BANDS: dict[str, tuple[float, float]] = {
    "0": (0, INF),
    "1": (0, 1000),
    "2": (1000, 2000),
    "3": (2000, 5000),
    "4": (5000, 10000),
    "5": (10000, INF),
    "8": (1000, INF),
    "10": (0, 10000),
}
#: How far back ka10027's ``cnt`` looks, in trading days.
RUN_WINDOW = 20


def _direction(change: int) -> int:
    return (change > 0) - (change < 0)


def _run(req: TrRequest, e: Entry, now: float) -> int:
    """Trading days in a row, ending with the quote's, that moved the way the quote moves (0 when flat)."""
    way = _direction(e.quote.change)
    if not way:
        return 0
    bars = [b for b in req.market.daily_bars(e.listing.code, now, count=RUN_WINDOW + 1) if b.day < e.quote.day]
    count = 1
    for bar in bars:
        if _direction(bar.close - bar.prev_close) != way:
            break
        count += 1
    return count


def ka10027(req: TrRequest) -> Answer:
    """전일대비등락률상위: risers by rate (1) or amount (2), fallers by rate (3) or amount (4), unchanged (5)."""
    body = req.body
    now = asof(req)
    sort_tp = body["sort_tp"]
    min_volume = thousands(body["trde_qty_cnd"])
    min_value = int(body["trde_prica_cnd"]) * 10_000_000
    low, high = PRICE_BANDS[body["pric_cnd"]]
    scored: list[tuple[float, Values]] = []
    found: dict[str, Entry] = {}
    for e in entries(req, now, etfs=True, condition=body["stk_cnd"]):
        q = e.quote
        if q.volume < min_volume or q.value < min_value or not low <= q.price < high:
            continue
        if body["updown_incls"] == "0" and at_limit(q):
            continue
        way = _direction(q.change)
        if way != {"1": 1, "2": 1, "3": -1, "4": -1, "5": 0}[sort_tp]:
            continue
        rate = q.change_rate
        key = {"1": -rate, "2": -q.change, "3": rate, "4": q.change, "5": -q.volume}[sort_tp]
        b = book(req.market, e, now)
        row = price_block(e) | {
            "stk_cls": "0",
            "sel_req": b.total_ask,
            "buy_req": b.total_bid,
            "now_trde_qty": q.volume,
        }
        found[e.code] = e
        scored.append((key, row))

    def extra(row: Values) -> Values:
        e = found[row["stk_cd"]]
        minutes = executions(req.market, e.listing, e.suffix, now)
        return {"cntr_str": minutes[-1].strength if minutes else 0.0, "cnt": _run(req, e, now)}

    return enrich(ranked(req, scored), extra)


def ka10029(req: TrRequest) -> Answer:
    """예상체결등락률상위: the expected execution (the current price) by rate, amount, quantity or limit."""
    body = req.body
    now = asof(req)
    sort_tp = body["sort_tp"]
    min_volume = thousands(body["trde_qty_cnd"])
    low, high = PRICE_BANDS[body["pric_cnd"]]
    wanted = {"1": 1, "2": 1, "3": 0, "4": -1, "5": -1}
    scored: list[tuple[tuple[float, float], Values]] = []
    for e in entries(req, now, etfs=True, condition=body["stk_cnd"]):
        q = e.quote
        if q.volume < min_volume or not low <= q.price < high:
            continue
        if sort_tp in wanted and _direction(q.change) != wanted[sort_tp]:
            continue
        if (sort_tp == "7" and q.price < q.upper) or (sort_tp == "8" and q.price > q.lower):
            continue
        expected_qty = 0
        rate = q.change_rate
        key: tuple[float, float] = {
            "1": (-rate, 0.0),
            "2": (-q.change, 0.0),
            "3": (-q.volume, 0.0),
            "4": (rate, 0.0),
            "5": (q.change, 0.0),
            "6": (-expected_qty, -q.volume),
            "7": (-rate, 0.0),
            "8": (rate, 0.0),
        }[sort_tp]
        b = book(req.market, e, now)
        (ask, ask_qty), (bid, bid_qty) = b.asks[0], b.bids[0]
        row = price_block(e)
        row.update(
            exp_cntr_pric=row.pop("cur_prc"),
            base_pric=q.prev_close,
            exp_cntr_qty=expected_qty,
            sel_req=ask_qty,
            sel_bid=bid_price(ask, q.prev_close),
            buy_bid=bid_price(bid, q.prev_close),
            buy_req=bid_qty,
        )
        scored.append((key, row))
    return ranked(req, scored)


def ka10033(req: TrRequest) -> Answer:
    """신용비율상위: stocks by credit balance ratio (ka10001's ``crd_rt``), highest first."""
    body = req.body
    now = asof(req)
    min_volume = thousands(body["trde_qty_tp"])
    scored: list[tuple[float, Values]] = []
    for e in entries(req, now, condition=body["stk_cnd"]):
        q = e.quote
        f = fundamentals_for(e.listing, req.market.seed)
        if f is None or q.volume < min_volume:
            continue
        if body["updown_incls"] == "0" and at_limit(q):
            continue
        b = book(req.market, e, now)
        row = price_block(e) | {
            "stk_infr": "0",
            "crd_rt": f.credit_rate,
            "sel_req": b.total_ask,
            "buy_req": b.total_bid,
            "now_trde_qty": q.volume,
        }
        scored.append((-f.credit_rate, row))
    return ranked(req, scored)


GENERATORS: dict[str, Generator] = {"ka10027": ka10027, "ka10029": ka10029, "ka10033": ka10033}
