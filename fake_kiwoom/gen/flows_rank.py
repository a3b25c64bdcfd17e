"""Flow rankings across the market: ka10131 (institution/foreign buying streaks) and ka90009 (top net buyers/sellers).

Both rank the same per-stock flows ka10059 reports, over every listing of the market
asked for. Venues (``stex_tp``) do not change the flows: every venue shows KRX's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from ..envelopes import KiwoomError
from ..listings import LISTINGS, Listing, Market
from ..market import DailyBar
from ..tr_types import TrRequest
from .base import Answer, Generator, Values, paged, stocks
from .flows_model import asof, avg_price, flows_of, latest_day, parse_day, streak

#: Rows a page of ka10131.
PAGE_SIZE = 100
#: Trading days back a buying streak is looked for (at least; a longer period reaches further).
STREAK_WINDOW = 20
#: Rows of ka90009 (each holds the n-th of its four rankings).
TOP_ROWS = 50
PERIODS = {"1": 1, "3": 3, "5": 5, "10": 10, "20": 20, "120": 120}


@dataclass(frozen=True, slots=True)
class _Day:
    """One day of a stock: institutional and foreign net buying in shares and millions of won."""

    bar: DailyBar
    orgn_qty: int
    orgn_amt: int
    frgnr_qty: int
    frgnr_amt: int


def _days(req: TrRequest, listing: Listing, end: date, count: int, now: float) -> list[_Day]:
    days: list[_Day] = []
    for bar in req.market.daily_bars(listing.code, now, base_day=end, count=count):
        flows = flows_of(req, listing, bar, now)
        price = avg_price(bar) / 1_000_000
        orgn, frgnr = flows.institutions, flows.foreign
        days.append(_Day(bar, orgn, round(orgn * price), frgnr, round(frgnr * price)))
    return days


def _streak(days: list[_Day], who: str) -> tuple[int, int, int]:
    """(days, shares, millions of won) of the newest run of net buying by ``who`` (orgn or frgnr)."""
    n = streak([getattr(d, f"{who}_qty") for d in days])
    run = days[:n]
    return n, sum(getattr(d, f"{who}_qty") for d in run), sum(getattr(d, f"{who}_amt") for d in run)


def _streak_row(listing: Listing, days: list[_Day], period: int) -> dict[str, Any]:
    span = days[:period]
    base = span[-1].bar.prev_close
    row: dict[str, Any] = {
        "stk_cd": listing.code, "stk_nm": listing.name,
        "prid_stkpc_flu_rt": (span[0].bar.close - base) / base * 100 if base else 0.0,
    }  # fmt: skip
    for who in ("orgn", "frgnr"):
        row[f"{who}_nettrde_qty"] = sum(getattr(d, f"{who}_qty") for d in span)
        row[f"{who}_nettrde_amt"] = sum(getattr(d, f"{who}_amt") for d in span)
        dys, qty, amt = _streak(days, who)
        row[f"{who}_cont_netprps_dys"], row[f"{who}_cont_netprps_qty"], row[f"{who}_cont_netprps_amt"] = dys, qty, amt
    row["nettrde_qty"] = row["orgn_nettrde_qty"] + row["frgnr_nettrde_qty"]
    row["nettrde_amt"] = row["orgn_nettrde_amt"] + row["frgnr_nettrde_amt"]
    row["tot_cont_netprps_dys"] = row["orgn_cont_netprps_dys"] + row["frgnr_cont_netprps_dys"]
    row["tot_cont_nettrde_qty"] = row["orgn_cont_netprps_qty"] + row["frgnr_cont_netprps_qty"]
    row["tot_cont_netprps_amt"] = row["orgn_cont_netprps_amt"] + row["frgnr_cont_netprps_amt"]
    return row


def _period(req: TrRequest, now: float) -> tuple[date, int, date | None]:
    """(last day, days to look back, first day of a dated period): ``dt`` trading days, or from ``strt_dt``."""
    body = req.body
    if body["dt"] != "0":
        return latest_day(req, now), PERIODS[body["dt"]], None
    for name in ("strt_dt", "end_dt"):
        if not str(body.get(name, "") or "").strip():
            raise KiwoomError(1511, f"필수입력 파라미터={name}")
    start, end = parse_day(body["strt_dt"]), min(parse_day(body["end_dt"]), latest_day(req, now))
    return end, max((end - start).days + 1, 1), start


def ka10131(req: TrRequest) -> Answer:
    """기관외국인연속매매현황요청: stocks ranked by institutional plus foreign net buying over a period."""
    now = asof(req)
    end, span, start = _period(req, now)
    if req.body["stk_inds_tp"] != "0":
        return Answer()  # the fake keeps no sector flows
    found: list[dict[str, Any]] = []
    for listing in stocks(Market.KOSPI if req.body["mrkt_tp"] == "001" else Market.KOSDAQ):
        days = _days(req, listing, end, max(span, STREAK_WINDOW), now)
        n = span if start is None else sum(1 for d in days[:span] if d.bar.day >= start)
        if n:
            found.append(_streak_row(listing, days, n))
    key = "nettrde_amt" if req.body["amt_qty_tp"] == "0" else "nettrde_qty"
    ranked = sorted((r for r in found if r[key] > 0), key=lambda r: (-r[key], r["stk_cd"]))
    rows: list[Values] = [{"rank": i, **r} for i, r in enumerate(ranked, 1)]
    return paged(req, rows, PAGE_SIZE)


def _universe(mrkt_tp: str) -> list[Listing]:
    """ka90009's market: KOSPI lists its ETFs too (they trade on the securities market)."""
    if mrkt_tp == "101":
        return stocks(Market.KOSDAQ)
    if mrkt_tp == "001":
        return [x for x in LISTINGS if x.market is not Market.KOSDAQ]
    return list(LISTINGS)


def ka90009(req: TrRequest) -> Answer:
    """외국인기관매매상위요청: the day's top foreign and institutional net sellers and buyers, side by side."""
    body = req.body
    day = latest_day(req, req.now)
    if body["qry_dt_tp"] == "1" and str(body.get("date", "") or "").strip():
        day = min(parse_day(body["date"]), day)
    entries: list[tuple[Listing, dict[str, int]]] = []
    for listing in _universe(body["mrkt_tp"]):
        bars = req.market.daily_bars(listing.code, req.now, base_day=day, count=1)
        if not bars:
            continue
        flows = flows_of(req, listing, bars[0], req.now)
        price = avg_price(bars[0])
        values: dict[str, int] = {}
        for who, shares in (("for", flows.foreign), ("orgn", flows.institutions)):
            values[f"{who}_amt"] = round(shares * price / 10_000_000)  # 천만원
            values[f"{who}_qty"] = round(shares / 1000)  # 천주
        entries.append((listing, values))
    unit = "amt" if body["amt_qty_tp"] == "1" else "qty"
    columns: dict[str, list[tuple[Listing, dict[str, int]]]] = {}
    for who in ("for", "orgn"):
        key = f"{who}_{unit}"
        columns[f"{who}_netslmt"] = sorted((e for e in entries if e[1][key] < 0), key=lambda e: (e[1][key], e[0].code))
        columns[f"{who}_netprps"] = sorted((e for e in entries if e[1][key] > 0), key=lambda e: (-e[1][key], e[0].code))
    rows: list[Values] = []
    for i in range(min(TOP_ROWS, max((len(c) for c in columns.values()), default=0))):
        row: Values = {}
        for name, column in columns.items():
            if i < len(column):
                listing, values = column[i]
                who = name.split("_")[0]
                row.update({
                    f"{name}_stk_cd": listing.code, f"{name}_stk_nm": listing.name,
                    f"{name}_amt": values[f"{who}_amt"], f"{name}_qty": values[f"{who}_qty"],
                })  # fmt: skip
        rows.append(row)
    return Answer(rows=rows)


GENERATORS: dict[str, Generator] = {"ka10131": ka10131, "ka90009": ka90009}
