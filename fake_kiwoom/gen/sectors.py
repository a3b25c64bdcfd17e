"""Generators of the sectors family: sector indexes (ka20001-ka20003, ka20009, ka10101) here, the
index charts in ``sectors_charts``, investor flows by sector in ``sectors_flows`` and the ETF TRs
in ``sectors_etf``; specs in ``tr_catalog/specs/sectors.yaml`` and ``etf.yaml``.

Every index is the cap-weighted index of its members' quotes (``sectors_index``), so a sector
moves with the stocks ka10001 reports. Kiwoom writes index levels with two decimals and a
``+``/``-`` for their direction (``"-7246.79"``) in these TRs, and as 100-fold integers in the
charts; volumes are in thousands of shares and values in millions of won. An index code the
fake does not compute answers blank, as Kiwoom does for an unknown code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from krx.calendar import KST, REGULAR_OPEN

from ..auction import CONTINUOUS_MINUTES, SESSION_MINUTES
from ..listings import Listing
from ..market import Quote, to_kst
from ..prices import sign_code
from ..tr_types import TrRequest
from ..venues import ALL, KRX, NXT, venue_quote
from .base import Answer, Generator, Values, paged
from .sectors_charts import GENERATORS as CHARTS
from .sectors_etf import GENERATORS as ETF
from .sectors_flows import GENERATORS as FLOWS
from .sectors_index import (
    INDEXES,
    IndexNow,
    SectorIndex,
    daily_bars,
    find_index,
    index_now,
    level_sig,
    level_text,
    path_on,
    view,
)

#: Rows of ka20001's intraday list (one a minute, newest first) and of ka20009's daily list.
RECENT_ROWS = 20
#: ka20002 rows a page.
MEMBER_PAGE_SIZE = 100
#: Trading days of the 52-week high and low.
YEAR_DAYS = 250
VENUES: dict[str, str] = {"1": KRX, "2": NXT, "3": ALL}


def _change(level: float, base: float) -> tuple[float, float]:
    """(points, percent) between two levels as shown (two decimals)."""
    points = round(level, 2) - round(base, 2)
    return points, points / base * 100 if base else 0.0


def _breadth(quotes: Iterable[Quote]) -> Values:
    """How many members stand at the upper limit, up, unchanged, down and at the lower limit."""
    counts = {"upl": 0, "rising": 0, "stdns": 0, "fall": 0, "lst": 0}
    for q in quotes:
        if q.price == q.prev_close:
            counts["stdns"] += 1
        elif q.price > q.prev_close:
            counts["upl" if q.price >= q.upper else "rising"] += 1
        else:
            counts["lst" if q.price <= q.lower else "fall"] += 1
    return dict(counts)


def _top(req: TrRequest, now: IndexNow) -> Values:
    """The fields ka20001 and ka20009 share: the index now, its day so far and its 52-week range."""
    level, prev = now.level, now.prev_close
    points, percent = _change(level, prev)
    bar = now.bar
    formed = sum(1 for q in now.quotes if q.volume > 0)
    top: Values = {
        "cur_prc": level_text(level, prev),
        "pred_pre_sig": level_sig(level, prev),
        "pred_pre": points,
        "flu_rt": percent,
        "trde_qty": (bar.volume if bar else 0) // 1000,
        "trde_prica": (bar.value if bar else 0) // 1_000_000,
        "trde_frmatn_stk_num": formed,
        "trde_frmatn_rt": formed / len(now.quotes) * 100,
        "open_pric": level_text(bar.open, prev) if bar else None,
        "high_pric": level_text(bar.high, prev) if bar else None,
        "low_pric": level_text(bar.low, prev) if bar else None,
        **_breadth(now.quotes),
    }
    year = daily_bars(req.market, now.index, req.now, count=YEAR_DAYS)
    if year:
        high = max(year, key=lambda b: (b.high, b.day))
        low = min(year, key=lambda b: (b.low, -b.day.toordinal()))
        top |= {
            "52wk_hgst_pric": level_text(high.high, prev),
            "52wk_hgst_pric_dt": high.day,
            "52wk_hgst_pric_pre_rt": (level - high.high) / high.high * 100,
            "52wk_lwst_pric": level_text(low.low, prev),
            "52wk_lwst_pric_dt": low.day,
            "52wk_lwst_pric_pre_rt": (level - low.low) / low.low * 100,
        }
    return top


def _minute_rows(req: TrRequest, index: SectorIndex) -> list[Values]:
    """The last ``RECENT_ROWS`` minutes of the last day traded, newest first (before 09:00: the day before)."""
    i, minutes = view(req.market, req.now)
    day, visible = (i, minutes) if minutes > 0 else (i - 1, SESSION_MINUTES)
    if day < 0:
        return []
    path = path_on(req.market, index, day)
    ticks = list(range(min(visible, CONTINUOUS_MINUTES) + 1))
    if visible >= SESSION_MINUTES:
        ticks.append(SESSION_MINUTES)
    opening = datetime.combine(path.day, REGULAR_OPEN, tzinfo=KST)
    latest = to_kst(req.now)  # the newest row is the level now, not the end of the minute under way
    rows: list[Values] = []
    for before, k in zip([None, *ticks[:-1]], ticks, strict=True):
        level = path.points[k]
        points, percent = _change(level, path.prev_close)
        done = path.cum_volume[k]
        rows.append(
            {
                "tm_n": min(opening + timedelta(minutes=k), latest).time(),
                "cur_prc_n": level_text(level, path.prev_close),
                "pred_pre_sig_n": level_sig(level, path.prev_close),
                "pred_pre_n": points,
                "flu_rt_n": percent,
                "trde_qty_n": (done - (path.cum_volume[before] if before is not None else 0)) // 1000,
                "acc_trde_qty_n": done // 1000,
            }
        )
    return rows[::-1][:RECENT_ROWS]


def ka20001(req: TrRequest) -> Answer:
    """업종현재가: the index now, breadth, 52-week range, and its last minutes."""
    index = find_index(req.body["inds_cd"], req.body["mrkt_tp"])
    if index is None:
        return Answer()
    return Answer(_top(req, index_now(req.market, index, req.now)), _minute_rows(req, index))


def ka20009(req: TrRequest) -> Answer:
    """업종현재가일별: the same head as ka20001, then the index's last ``RECENT_ROWS`` daily closes."""
    index = find_index(req.body["inds_cd"], req.body["mrkt_tp"])
    if index is None:
        return Answer()
    rows: list[Values] = []
    for bar in daily_bars(req.market, index, req.now, count=RECENT_ROWS):
        points, percent = _change(bar.close, bar.prev_close)
        rows.append(
            {
                "dt_n": bar.day,
                "cur_prc_n": level_text(bar.close, bar.prev_close),
                "pred_pre_sig_n": level_sig(bar.close, bar.prev_close),
                "pred_pre_n": points,
                "flu_rt_n": percent,
                "acc_trde_qty_n": bar.volume // 1000,
            }
        )
    return Answer(_top(req, index_now(req.market, index, req.now)), rows)


def _member_row(q: Quote, ask: int, bid: int) -> Values:
    p = q.prev_close
    return {
        "stk_cd": q.listing.code,
        "stk_nm": q.listing.name,
        "cur_prc": (q.price, p),
        "pred_pre_sig": sign_code(q.price, p, q.lower, q.upper),
        "pred_pre": q.change,
        "flu_rt": q.change_rate,
        "now_trde_qty": q.volume,
        "sel_bid": (ask, p) if ask else None,
        "buy_bid": (bid, p) if bid else None,
        "open_pric": (q.open, p) if q.open else None,
        "high_pric": (q.high, p) if q.high else None,
        "low_pric": (q.low, p) if q.low else None,
    }


def ka20002(req: TrRequest) -> Answer:
    """업종별주가: the index's members (on the venue ``stex_tp`` names), by code, ``MEMBER_PAGE_SIZE`` a page."""
    index = find_index(req.body["inds_cd"], req.body["mrkt_tp"])
    venue = VENUES[req.body["stex_tp"]]
    members = [m for m in index.members if venue == KRX or m.nxt_enabled] if index else []
    rows: list[Values] = []
    for member in sorted(members, key=lambda m: m.code):
        q = venue_quote(req.market.quote(member.code, req.now), venue)
        book = req.market.order_book(member.code, req.now)
        rows.append(_member_row(q, book.asks[0][0], book.bids[0][0]))
    return paged(req, rows, MEMBER_PAGE_SIZE)


def _index_row(index: SectorIndex, quotes: Mapping[str, Quote], market_cap: float) -> Values:
    members = [quotes[m.code] for m in index.members]
    level = sum(q.listing.shares * q.price for q in members) / index.divisor
    prev = sum(q.listing.shares * q.prev_close for q in members) / index.divisor
    points, percent = _change(level, prev)
    cap = sum(q.listing.shares * q.price for q in members)
    return {
        "stk_cd": index.code,
        "stk_nm": index.name,
        "cur_prc": level_text(level, prev),
        "pre_sig": level_sig(level, prev),
        "pred_pre": points,
        "flu_rt": percent,
        "trde_qty": sum(q.volume for q in members) // 1000,
        "wght": cap / market_cap * 100 if market_cap else None,
        "trde_prica": sum(q.value for q in members) // 1_000_000,
        **_breadth(members),
        "flo_stk_num": len(members),
    }


def ka20003(req: TrRequest) -> Answer:
    """전업종지수: every index of the market ``inds_cd`` heads (001 KOSPI, 101 KOSDAQ), with its weight in it."""
    head = find_index(req.body["inds_cd"])
    if head is None:
        return Answer()
    group = [x for x in INDEXES.values() if x.group_market == head.group_market]
    listings: dict[str, Listing] = {m.code: m for x in group for m in x.members}
    quotes = {code: req.market.quote(code, req.now) for code in sorted(listings)}
    market_cap = sum(q.listing.shares * q.price for q in (quotes[m.code] for m in head.members))
    return Answer(rows=[_index_row(x, quotes, market_cap) for x in sorted(group, key=lambda x: x.code)])


def ka10101(req: TrRequest) -> Answer:
    """업종코드 리스트: the indexes listed under ``mrkt_tp`` (0 KOSPI, 1 KOSDAQ, 2 KOSPI200, 7 KRX100)."""
    market = req.body["mrkt_tp"]
    listed = sorted((x for x in INDEXES.values() if x.group_market == market), key=lambda x: x.code)
    return Answer(
        rows=[{"marketCode": market, "code": x.code, "name": x.name, "group": str(int(x.code) % 100)} for x in listed]
    )


GENERATORS: Mapping[str, Generator] = {
    "ka20001": ka20001,
    "ka20002": ka20002,
    "ka20003": ka20003,
    "ka20009": ka20009,
    "ka10101": ka10101,
    **CHARTS,
    **FLOWS,
    **ETF,
}
