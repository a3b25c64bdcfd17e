"""Order-book rankings: ka10020 (largest remainders), ka10021 (remainder surges), ka10022 (remainder-ratio surges).

The remainders are the order book ka10004 shows for the same code at the same instant
(``SyntheticMarket.order_book``, the venue's quantities): ``tot_sel_req``/``tot_buy_req``
are its ten levels summed. A surge compares that book with the one ``tm_tp`` minutes
earlier; the book is redrawn each traded minute, so the comparison moves through the
session. Once the session has closed the comparison is made at the close (15:30), so an
after-hours or weekend query lists the session's last minutes; before 09:00 the book has not
moved since the open of the day's queue, and the surge lists are empty.
"""

from __future__ import annotations

from ..tr_types import TrRequest
from .base import Answer, Generator, Values
from .rankings_common import (
    INF,
    Entry,
    asof,
    book,
    entries,
    minutes_field,
    price_block,
    ranked,
    reference_instant,
    thousands,
)


def _block(e: Entry) -> Values:
    row = price_block(e)
    del row["flu_rt"]  # these lists carry no change rate
    return row


def ka10020(req: TrRequest) -> Answer:
    """호가잔량상위: stocks by net buy (1) or sell (2) remainder, or by buy (3) or sell (4) ratio."""
    body = req.body
    now = asof(req)
    sort_tp = body["sort_tp"]
    min_volume = thousands(body["trde_qty_tp"])
    scored: list[tuple[float, Values]] = []
    for e in entries(req, now, condition=body["stk_cnd"]):
        if e.quote.volume < min_volume:
            continue
        b = book(req.market, e, now)
        sell, buy = b.total_ask, b.total_bid
        net = buy - sell
        if (sort_tp == "1" and net <= 0) or (sort_tp == "2" and net >= 0):
            continue
        buy_rt = buy / sell * 100 if sell else 0.0
        sell_rt = sell / buy * 100 if buy else 0.0
        key = {"1": -net, "2": net, "3": -buy_rt, "4": -sell_rt}[sort_tp]
        row = _block(e) | {
            "trde_qty": e.quote.volume,
            "tot_sel_req": sell,
            "tot_buy_req": buy,
            "netprps_req": net,
            "buy_rt": buy_rt,
        }
        scored.append((key, row))
    return ranked(req, scored)


def ka10021(req: TrRequest) -> Answer:
    """호가잔량급증: the buy (``trde_tp`` 1) or sell (2) remainder against ``tm_tp`` minutes ago, grown most."""
    body = req.body
    now = asof(req)
    ref = reference_instant(req.market, now)
    then = ref - 60 * minutes_field(req, "tm_tp")
    side = "total_bid" if body["trde_tp"] == "1" else "total_ask"
    min_volume = thousands(body["trde_qty_tp"])
    scored: list[tuple[float, Values]] = []
    for e in entries(req, now, condition=body["stk_cnd"]):
        if e.quote.volume < min_volume:
            continue
        current = book(req.market, e, ref)
        before: int = getattr(book(req.market, e, then), side)
        after: int = getattr(current, side)
        grown = after - before
        if grown <= 0:
            continue
        rate = grown / before * 100 if before else INF
        row = _block(e) | {
            "int": before,
            "now": after,
            "sdnin_qty": grown,
            "sdnin_rt": rate if before else None,
            "tot_buy_qty": current.total_bid,
        }
        scored.append((-grown if body["sort_tp"] == "1" else -rate, row))
    return ranked(req, scored)


def ka10022(req: TrRequest) -> Answer:
    """잔량율급증: the buy/sell (``rt_tp`` 1) or sell/buy (2) remainder ratio against ``tm_tp`` minutes ago."""
    body = req.body
    now = asof(req)
    ref = reference_instant(req.market, now)
    then = ref - 60 * minutes_field(req, "tm_tp")
    buy_over_sell = body["rt_tp"] == "1"
    min_volume = thousands(body["trde_qty_tp"])

    def ratio(sell: int, buy: int) -> float | None:
        top, bottom = (buy, sell) if buy_over_sell else (sell, buy)
        return top / bottom * 100 if bottom else None

    scored: list[tuple[float, Values]] = []
    for e in entries(req, now, condition=body["stk_cnd"]):
        if e.quote.volume < min_volume:
            continue
        current, earlier = book(req.market, e, ref), book(req.market, e, then)
        before = ratio(earlier.total_ask, earlier.total_bid)
        after = ratio(current.total_ask, current.total_bid)
        if not before or after is None or after <= before:
            continue
        rate = (after - before) / before * 100
        row = _block(e) | {
            "int": before,
            "now_rt": after,
            "sdnin_rt": rate,
            "tot_sel_req": current.total_ask,
            "tot_buy_req": current.total_bid,
        }
        scored.append((-rate, row))
    return ranked(req, scored)


GENERATORS: dict[str, Generator] = {"ka10020": ka10020, "ka10021": ka10021, "ka10022": ka10022}
