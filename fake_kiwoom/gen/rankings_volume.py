"""Volume and value rankings: ka10023 (volume surges), ka10030 (today's volume), ka10031 (yesterday's), ka10032 (value).

Today's volume and traded value are ka10001's ``trde_qty`` and the value ka10007 reports
(``trde_prica``, in millions of won here too), on the venue ``stex_tp`` names; yesterday's
are the previous trading day's bar (ka10081), the venue's share of it for Nextrade.

* ka10023 compares today's volume with yesterday's whole day (``tm_tp`` 2) or with today's
  volume ``tm`` minutes earlier (``tm_tp`` 1; measured at the close once the session has
  closed, as the order-book surges are). Surges list the stocks whose volume grew, drops
  (sorts 3 and 4) the ones whose volume fell, which only a comparison with yesterday shows.
* ka10030: the fake trades only in the regular session, so the in-session block
  (``opmr_*``) repeats the day's figures and the pre- and after-market blocks are 0; asked
  for the pre- or after-market ranking (``mrkt_open_tp`` 2, 3) the list is empty.
  ``pred_rt`` is today's volume as a percentage of yesterday's, as Kiwoom's example shows.
* ka10031 ranks the top hundred by yesterday's volume (1) or value (2) and answers the
  ranks ``rank_strt``..``rank_end``; its ``trde_qty`` is today's volume.
* ka10032 ranks by today's value; ``pred_rank`` is the rank by yesterday's value in the
  same list.
"""

from __future__ import annotations

from ..envelopes import KiwoomError
from ..tr_types import TrRequest
from ..venues import KRX, nxt_share, venue_quote
from .base import Answer, Generator, Values
from .rankings_common import (
    INF,
    Entry,
    asof,
    bid_price,
    book,
    entries,
    minutes_field,
    price_block,
    ranked,
    reference_instant,
    thousands,
)

#: ka10023's ``pric_tp``: the lowest price listed.
SURGE_PRICE_FLOORS: dict[str, float] = {"0": 0, "2": 50_000, "5": 10_000, "6": 5_000, "8": 1_000, "9": 100_000}
#: ka10030's ``pric_tp`` bands, [low, high) in won.
VOLUME_PRICE_BANDS: dict[str, tuple[float, float]] = {
    "0": (0, INF),
    "1": (0, 1_000),
    "2": (1_000, INF),
    "3": (1_000, 2_000),
    "4": (2_000, 5_000),
    "5": (5_000, INF),
    "6": (5_000, 10_000),
    "10": (0, 10_000),
    "7": (10_000, INF),
    "8": (50_000, INF),
    "9": (100_000, INF),
}
#: ka10030's ``trde_prica_tp`` in won (``4`` is 5천만원, the others tens of millions).
_VALUE_FLOORS: dict[str, int] = {"4": 50_000_000}
#: How many stocks ka10031 ranks.
PREVIOUS_TOP = 100
MILLION = 1_000_000


def _prev_value(req: TrRequest, e: Entry, now: float) -> int:
    """Yesterday's traded value in won on the entry's venue (yesterday's bar, scaled to the venue's volume)."""
    bars = [b for b in req.market.daily_bars(e.listing.code, now, count=2) if b.day < e.quote.day]
    if not bars or not bars[0].volume:
        return 0
    bar = bars[0]
    if e.suffix == KRX or nxt_share(e.listing) == 0.0:
        return bar.value
    return bar.value * e.quote.prev_volume // bar.volume


def ka10023(req: TrRequest) -> Answer:
    """거래량급증: volume grown (sorts 1, 2) or fallen (3, 4) most, by quantity or rate."""
    body = req.body
    now = asof(req)
    sort_tp = body["sort_tp"]
    min_volume = thousands(body["trde_qty_tp"])
    floor = SURGE_PRICE_FLOORS[body["pric_tp"]]
    earlier = reference_instant(req.market, now) - 60 * minutes_field(req, "tm")
    scored: list[tuple[float, Values]] = []
    for e in entries(req, now, etfs=True, condition=body["stk_cnd"]):
        q = e.quote
        if q.volume < min_volume or q.price < floor:
            continue
        if body["tm_tp"] == "2":
            before = q.prev_volume
        else:
            then = venue_quote(req.market.quote(e.listing.code, earlier), e.suffix)
            before = then.volume if then.day == q.day else 0
        change = q.volume - before
        if (sort_tp in ("1", "2") and change <= 0) or (sort_tp in ("3", "4") and change >= 0):
            continue
        rate = change / before * 100 if before else INF
        key = {"1": -change, "2": -rate, "3": change, "4": rate}[sort_tp]
        row = price_block(e) | {
            "prev_trde_qty": before,
            "now_trde_qty": q.volume,
            "sdnin_qty": change,
            "sdnin_rt": rate if before else None,
        }
        scored.append((key, row))
    return ranked(req, scored)


def ka10030(req: TrRequest) -> Answer:
    """당일거래량상위: today's volume (1), turnover (2) or traded value (3), highest first."""
    body = req.body
    now = asof(req)
    if body["mrkt_open_tp"] in ("2", "3"):  # nothing trades outside the regular session in the fake
        return ranked(req, [])
    min_volume = thousands(body["trde_qty_tp"])
    low, high = VOLUME_PRICE_BANDS[body["pric_tp"]]
    value_code = body["trde_prica_tp"]
    min_value = _VALUE_FLOORS.get(value_code, int(value_code) * 10_000_000)
    scored: list[tuple[float, Values]] = []
    for e in entries(req, now, etfs=True, condition=body["mang_stk_incls"]):
        q = e.quote
        if q.volume < min_volume or q.value < min_value or not low <= q.price < high:
            continue
        turnover = q.volume / e.listing.shares * 100
        versus = q.volume / q.prev_volume * 100 if q.prev_volume else 0.0
        amount = q.value // MILLION
        key = {"1": -q.volume, "2": -turnover, "3": -q.value}[body["sort_tp"]]
        row = price_block(e) | {
            "trde_qty": q.volume,
            "pred_rt": versus,
            "trde_tern_rt": turnover,
            "trde_amt": amount,
            "opmr_trde_qty": q.volume,
            "opmr_pred_rt": versus,
            "opmr_trde_rt": turnover,
            "opmr_trde_amt": amount,
        }
        for block in ("af_mkrt", "bf_mkrt"):
            row |= {f"{block}_trde_qty": 0, f"{block}_pred_rt": 0.0, f"{block}_trde_rt": 0.0, f"{block}_trde_amt": 0}
        scored.append((key, row))
    return ranked(req, scored)


def _rank_bound(req: TrRequest, name: str) -> int:
    value = int(req.body[name])
    if value > PREVIOUS_TOP:
        raise KiwoomError(1517, f"{name}={req.body[name]} (0~{PREVIOUS_TOP})")
    return value


def ka10031(req: TrRequest) -> Answer:
    """전일거래량상위: ranks ``rank_strt``..``rank_end`` of the top hundred by yesterday's volume (1) or value (2)."""
    now = asof(req)
    first, last = max(1, _rank_bound(req, "rank_strt")), _rank_bound(req, "rank_end")
    by_value = req.body["qry_tp"] == "2"
    scored: list[tuple[float, Values]] = []
    for e in entries(req, now):
        size = _prev_value(req, e, now) if by_value else e.quote.prev_volume
        row = price_block(e) | {"trde_qty": e.quote.volume}
        del row["flu_rt"]
        scored.append((-size, row))
    top = [row for _, row in sorted(scored, key=lambda s: (s[0], s[1]["stk_cd"]))[:PREVIOUS_TOP]]
    return Answer(rows=top[first - 1 : last])


def ka10032(req: TrRequest) -> Answer:
    """거래대금상위: today's traded value, highest first, with yesterday's rank in the same list."""
    now = asof(req)
    found = entries(req, now, condition="0")
    previous = {e.code: _prev_value(req, e, now) for e in found}
    pred_rank = {code: n for n, code in enumerate(sorted(previous, key=lambda c: (-previous[c], c)), start=1)}
    scored: list[tuple[float, Values]] = []
    for e in found:
        q = e.quote
        b = book(req.market, e, now)
        row = price_block(e) | {
            "pred_rank": pred_rank[e.code],
            "sel_bid": bid_price(b.asks[0][0], q.prev_close),
            "buy_bid": bid_price(b.bids[0][0], q.prev_close),
            "now_trde_qty": q.volume,
            "pred_trde_qty": q.prev_volume,
            "trde_prica": q.value // MILLION,
        }
        scored.append((-q.value, row))
    return ranked(req, scored, rank_field="now_rank")


GENERATORS: dict[str, Generator] = {"ka10023": ka10023, "ka10030": ka10030, "ka10031": ka10031, "ka10032": ka10032}
