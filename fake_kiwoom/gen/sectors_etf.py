"""ETF TRs (URL group etf): ka40001 수익율, ka40002 종목정보, ka40004 전체시세, ka40009 시간대별체결(NAV).

Prices and volumes are the synthetic market's quotes of the ETF listings (``Market.ETF``).
What the market does not model is derived from them, deterministically:

* NAV: the price less a small premium drawn per (seed, code, day, minute), so the 괴리율
  (``dispty_rt``) is that premium and NAV moves with the price;
* the tracked index: named from the ETF's name; its level moves with the NAV divided by the
  ETF's multiple (a 2X ETF's index moves half as much, an inverse one the other way), rebased
  to a plausible level; only KOSPI 200 has a Kiwoom index code here (201);
* tracking error, foreign holdings: fixed per ETF by a hash of its code;
* tax type: domestic-equity ETFs are 비과세, the others (overseas, commodity, futures-based,
  leveraged or inverse, REITs) 보유기간과세;
* investor flows: the flows family's per-stock model (:mod:`.flows_model`), so ka40001's
  foreign and institutional net buying over a period are the sums of ka10059's daily rows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from ..auction import SESSION_MINUTES
from ..envelopes import KiwoomError
from ..listings import LISTINGS, Listing, Market, find_listing
from ..market import Quote
from ..prices import sign_code
from ..tr_types import TrRequest
from ..walks import normals
from .base import Answer, Generator, Values, paged
from .flows_model import day_flows, progress
from .sectors_index import INDEXES, day_index, day_of, index_now, view, walk

#: Operator codes of ka40004 ``mngmcomp`` by the brand an ETF's name starts with; others are 9999.
BRANDS: dict[str, str] = {"KODEX": "3020", "KIWOOM": "3027", "TIGER": "3191", "ACE": "3228", "RISE": "3023",
                          "PLUS": "3022"}  # fmt: skip
#: (keyword in the ETF's name, tracked index's name, its level when the ETF stands at its anchor, Kiwoom code).
TARGETS: tuple[tuple[str, str, float, str | None], ...] = (
    ("코스닥150", "코스닥 150", 1300.0, None),
    ("200 IT", "코스피 200 정보기술", 2200.0, None),
    ("200", "코스피 200", 330.0, "201"),
    ("S&P500", "S&P 500", 5800.0, None),
    ("나스닥100", "나스닥 100", 20000.0, None),
    ("필라델피아반도체", "필라델피아 반도체", 5000.0, None),
    ("테크TOP10", "Indxx 미국테크 TOP10", 3000.0, None),
    ("배당다우존스", "다우존스 미국배당 100", 800.0, None),
    ("금현물", "KRX 금현물", 12000.0, None),
    ("골드", "S&P GSCI 골드", 600.0, None),
    ("반도체", "KRX 반도체", 3500.0, None),
    ("은행", "KRX 은행", 700.0, None),
    ("자동차", "KRX 자동차", 2000.0, None),
    ("바이오", "KRX 바이오", 1200.0, None),
    ("헬스케어", "KRX 헬스케어", 4000.0, None),
    ("2차전지", "2차전지", 1000.0, None),
    ("고배당", "고배당", 3000.0, None),
    ("방산", "K방산", 1500.0, None),
    ("조선", "조선 TOP3", 1500.0, None),
    ("레버리지", "코스피 200", 330.0, "201"),
    ("인버스", "코스피 200", 330.0, "201"),
)
_TAXED = ("미국", "골드", "금현물", "선물", "레버리지", "인버스", "2X", "리츠")
#: ka40001 ``dt``: trading days in 1 week, 1 month, 6 months, 1 year.
PERIODS: dict[str, int] = {"0": 5, "1": 21, "2": 126, "3": 250}
NAV_ROWS = 20
ETF_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class EtfProfile:
    listing: Listing
    brand: str
    multiple: int
    index_name: str
    index_level: float
    index_code: str | None
    taxed: bool


def profile(listing: Listing) -> EtfProfile:
    """What an ETF's name says about it: operator, multiple, tracked index, tax type."""
    name = listing.name
    geared = 2 if ("레버리지" in name or "2X" in name) else 1
    multiple = -geared if "인버스" in name else geared
    brand = BRANDS.get(name.split(" ", 1)[0], "9999")
    index_name, level, code = name.split(" ", 1)[-1], 1000.0, None
    for keyword, target, target_level, target_code in TARGETS:
        if keyword in name:
            index_name, level, code = target, target_level, target_code
            break
    return EtfProfile(listing, brand, multiple, index_name, level, code, any(k in name for k in _TAXED))


def premium(seed: int, listing: Listing, day: date, minute: int) -> float:
    """The ETF's price over its NAV at a minute of a day, as a fraction (within ±0.3 %)."""
    z = normals(f"{seed}:{listing.code}:{day.isoformat()}:{minute}:nav")[0]
    return max(-0.003, min(0.003, 0.0005 * z))


def nav(seed: int, listing: Listing, day: date, minute: int, price: int) -> float:
    return price / (1 + premium(seed, listing, day, minute))


def tracking_error(listing: Listing) -> float:
    return 0.05 + 0.3 * abs(normals(f"{listing.code}:trace")[0])


def index_level(etf: EtfProfile, nav_value: float) -> float:
    """The tracked index's level for a NAV: moves with the NAV divided by the ETF's multiple."""
    anchor = etf.listing.base_price
    return etf.index_level * math.exp(math.log(nav_value / anchor) / etf.multiple)


def _require_etf(stk_cd: str) -> Listing:
    found = find_listing(stk_cd)
    if found is None or found.code != stk_cd:
        raise KiwoomError(1902, f"종목코드={stk_cd}")
    return found


def _navs(req: TrRequest, q: Quote) -> tuple[float, float]:
    """(NAV now, NAV at the previous close) of the ETF quoted in ``q``."""
    i, _ = view(req.market, req.now)
    seed = req.market.seed
    before = nav(seed, q.listing, day_of(req.market, max(i - 1, 0)), SESSION_MINUTES, q.prev_close)
    if q.minutes == 0:  # nothing traded yet today: the NAV stands where it closed
        return before, before
    return nav(seed, q.listing, day_of(req.market, i), q.minutes, q.price), before


def ka40002(req: TrRequest) -> Answer:
    """ETF종목정보: name, tracked index and tax type (a stock that is no ETF answers blank)."""
    listing = _require_etf(req.body["stk_cd"])
    if not listing.is_etf:
        return Answer({"stk_nm": listing.name})
    etf = profile(listing)
    return Answer({"stk_nm": listing.name, "etfobjt_idex_nm": etf.index_name,
                   "etftxon_type": "보유기간과세" if etf.taxed else "비과세"})  # fmt: skip


def ka40001(req: TrRequest) -> Answer:
    """ETF수익율: NAV and price returns over the period ``dt``, foreign and institutional net buying in it."""
    listing = _require_etf(req.body["stk_cd"])
    if not listing.is_etf:
        return Answer()
    q = req.market.quote(listing.code, req.now)
    i, minutes = view(req.market, req.now)
    last = i if minutes > 0 else i - 1
    start = max(last - PERIODS[req.body["dt"]], 0)
    closes, _ = walk(req.market, listing, last)
    seed, then = req.market.seed, day_of(req.market, start)
    nav_now, _ = _navs(req, q)
    nav_then = nav(seed, listing, then, SESSION_MINUTES, closes[start])
    foreign = institutions = 0
    for j in range(start + 1, last + 1):
        day = day_of(req.market, j)
        prev_day = req.market.calendar.previous_trading_day(day)
        flows = day_flows(seed, listing, day, prev_day, progress(req.market, day, req.now))
        foreign += flows.foreign
        institutions += flows.institutions
    row = {
        "etfprft_rt": (nav_now / nav_then - 1) * 100,
        "cntr_prft_rt": (q.price / closes[start] - 1) * 100,
        "for_netprps_qty": foreign,
        "orgn_netprps_qty": institutions,
    }
    return Answer(rows=[row])


def _matches(req: TrRequest, etf: EtfProfile, nav_now: float, prev_close: int) -> bool:
    body = req.body
    tax_type = "2" if etf.taxed else "1"
    return (
        body["txon_type"] in ("0", tax_type)
        and body["txon_yn"] in ("0", "1" if etf.taxed else "2")
        and body["mngmcomp"] in ("0000", etf.brand)
        and (body["navpre"] == "0" or (body["navpre"] == "1") == (nav_now > prev_close))
        and body["stex_tp"] != "2"  # no ETF trades on Nextrade
    )


def _trace_levels(req: TrRequest, etfs: list[tuple[EtfProfile, Quote, float, float]]) -> dict[str, tuple[float, float]]:
    """Each tracked index's (level now, level at the previous close), the same for every ETF on it.

    Kiwoom's own index where the fake computes it (KOSPI 200); otherwise the index follows the
    NAV of the first plain (1X) ETF on it, or of the first ETF on it when all are geared.
    """
    found: dict[str, tuple[float, float]] = {}
    for etf, _, nav_now, nav_prev in sorted(etfs, key=lambda e: (e[0].multiple != 1, e[0].listing.code)):
        if etf.index_name in found:
            continue
        index = INDEXES.get(etf.index_code or "")
        if index is not None:
            now = index_now(req.market, index, req.now)
            found[etf.index_name] = (now.level, now.prev_close)
        else:
            found[etf.index_name] = (index_level(etf, nav_now), index_level(etf, nav_prev))
    return found


def ka40004(req: TrRequest) -> Answer:
    """ETF전체시세: every ETF the filters keep, by code, ``ETF_PAGE_SIZE`` a page."""
    etfs: list[tuple[EtfProfile, Quote, float, float]] = []
    for listing in sorted((x for x in LISTINGS if x.market is Market.ETF), key=lambda x: x.code):
        q = req.market.quote(listing.code, req.now)
        etfs.append((profile(listing), q, *_navs(req, q)))
    traces = _trace_levels(req, etfs)
    rows: list[Values] = []
    for etf, q, nav_now, _ in etfs:
        if not _matches(req, etf, nav_now, q.prev_close):
            continue
        level, prev_level = traces[etf.index_name]
        rows.append(
            {
                "stk_cd": q.listing.code,
                "stk_nm": q.listing.name,
                "close_pric": (q.price, q.prev_close),
                "pre_sig": sign_code(q.price, q.prev_close, q.lower, q.upper),
                "pred_pre": q.change,
                "pre_rt": q.change_rate,
                "trde_qty": q.volume,
                "nav": nav_now,
                "trace_eor_rt": tracking_error(q.listing),
                "txbs": nav_now if etf.taxed else None,
                "pred_dvida": 0,
                "trace_idex_nm": etf.index_name,
                "drng": str(etf.multiple),
                "trace_idex_cd": etf.index_code,
                "trace_idex": level,
                "trace_flu_rt": (level / prev_level - 1) * 100,
            }
        )
    return paged(req, rows, ETF_PAGE_SIZE)


def ka40009(req: TrRequest) -> Answer:
    """ETF시간대별체결 (NAV): the ETF's NAV over its last ``NAV_ROWS`` minutes traded, newest first."""
    listing = _require_etf(req.body["stk_cd"])
    if not listing.is_etf:
        return Answer()
    seed = req.market.seed
    foreign = 0.005 + 0.1 * abs(normals(f"{listing.code}:foreign")[0]) / 3
    rows: list[Values] = []
    for bar in req.market.minute_bars(listing.code, req.now, scope=1, days=1)[:NAV_ROWS]:
        day = bar.time.date()
        minute = (bar.time.hour - 9) * 60 + bar.time.minute
        j = day_index(req.market, day)
        prev_nav = nav(seed, listing, day_of(req.market, max(j - 1, 0)), SESSION_MINUTES, bar.prev_close)
        nav_now = nav(seed, listing, day, minute, bar.close)
        rows.append(
            {
                "nav": nav_now,
                "navpred_pre": nav_now - prev_nav,
                "navflu_rt": (nav_now / prev_nav - 1) * 100,
                "trace_eor_rt": tracking_error(listing),
                "dispty_rt": (bar.close / nav_now - 1) * 100,
                "stkcnt": listing.shares,
                "base_pric": bar.prev_close,
                "for_rmnd_qty": int(listing.shares * min(foreign, 0.3)),
                "repl_pric": math.floor(bar.prev_close * 0.9 / 5) * 5,
            }
        )
    return Answer(rows=rows)


GENERATORS: Mapping[str, Generator] = {"ka40001": ka40001, "ka40002": ka40002, "ka40004": ka40004, "ka40009": ka40009}
