"""Program trading: per stock by day (ka90013) and for a whole market by minute (ka90005) and by day (ka90010).

* A stock's program buying and selling are seeded shares of the day's traded volume (the
  bigger the company, the larger the share), so they never exceed ka10081's volume for the
  same day and grow with it while the day trades.
* A market's program trading is a seeded daily total per ``(seed, market, day)``, in
  millions of won, split into arbitrage and non-arbitrage buying and selling, and spread
  over the session along a U-shaped intraday profile (nothing trades in the closing call
  auction, which executes at 15:30). ka90005's rows are the day's running totals at each
  minute; ka90010's rows are the days' totals, today's so far.
* ``kospi200`` is the sectors family's KOSPI200 (index code 201, :mod:`.sectors_index`): at
  each minute the level ka20001 shows at that instant (through the closing auction the
  pre-auction level, as the member quotes hold), each day's close ka20009's close.
  ``basis`` (futures minus index) is seeded per day and drifts through the session.
* ka10086 and ka10005 report ka90013's program net buying as their ``prm`` (``stock_values``).
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from itertools import accumulate
from typing import Any

from ..auction import CONTINUOUS_MINUTES, SESSION_MINUTES, minutes_traded
from ..listings import Listing, Market
from ..market import DailyBar, SyntheticMarket, to_kst
from ..prices import change_rate, price_limits, sign_code
from ..tr_types import TrRequest
from ..venues import ALL, NXT, require_venue
from ..walks import HISTORY_START, normals
from .base import Answer, Generator, Values, paged
from .flows_model import asof, avg_price, latest_day, parse_day
from .sectors_index import INDEXES, day_index, index_now, levels, path_on, view

#: Rows a page of every program TR.
PAGE_SIZE = 100
#: NXT's program trading as a share of KRX's.
NXT_SHARE = 0.12
#: ``mrkt_tp`` → (market, venue multiplier). The guide also gives P001_AL02 for KOSDAQ combined.
MARKETS: dict[str, tuple[Market, float]] = {
    "P00101": (Market.KOSPI, 1.0), "P001_NX01": (Market.KOSPI, NXT_SHARE), "P001_AL01": (Market.KOSPI, 1 + NXT_SHARE),
    "P10102": (Market.KOSDAQ, 1.0), "P101_NX02": (Market.KOSDAQ, NXT_SHARE),
    "P101_AL02": (Market.KOSDAQ, 1 + NXT_SHARE), "P001_AL02": (Market.KOSDAQ, 1 + NXT_SHARE),
}  # fmt: skip
#: A typical day's program buying (or selling) per market, in millions of won, and an average share price.
_TURNOVER: dict[Market, tuple[float, float]] = {
    Market.KOSPI: (3_000_000.0, 45_000.0),
    Market.KOSDAQ: (900_000.0, 18_000.0),
}
#: A stock's program trading as a share of its volume, by size class (ETFs: 0.35).
_STOCK_SHARE: dict[str, float] = {"대형주": 0.22, "중형주": 0.12}
#: The index ``kospi200`` reports: the sectors family's KOSPI200.
KOSPI200 = INDEXES["201"]
_OPEN = time(9, 0)
_SIDES = ("dfrt_buy", "dfrt_sel", "nd_buy", "nd_sel")


# --- one stock -------------------------------------------------------------------------


def stock_program(seed: int, listing: Listing, bar: DailyBar) -> tuple[int, int]:
    """(program buying, program selling) in shares on ``bar``'s day."""
    share = 0.35 if listing.is_etf else _STOCK_SHARE.get(listing.size_class, 0.06)
    z1, z2, _ = normals(f"{seed}:{listing.code}:{bar.day.isoformat()}:prm")
    volume = bar.volume * min(0.45, share * math.exp(0.3 * z1))
    tilt = min(max(0.15 * z2, -0.6), 0.6)
    return round(volume * (1 + tilt) / 2), round(volume * (1 - tilt) / 2)


def stock_values(seed: int, listing: Listing, bar: DailyBar) -> dict[str, int]:
    buy, sell = stock_program(seed, listing, bar)
    price = avg_price(bar) / 1_000_000
    buy_amt, sell_amt = round(buy * price), round(sell * price)
    return {
        "prm_buy_qty": buy, "prm_sell_qty": sell, "prm_netprps_qty": buy - sell,
        "prm_buy_amt": buy_amt, "prm_sell_amt": sell_amt, "prm_netprps_amt": buy_amt - sell_amt,
    }  # fmt: skip


def ka90013(req: TrRequest) -> Answer:
    """종목일별프로그램매매추이요청: a stock's program trading per trading day (ka10081's days), newest first."""
    listing, suffix = require_venue(req.body["stk_cd"])
    now = asof(req)
    date_text = str(req.body.get("date", "") or "").strip()
    base_day = parse_day(date_text) if date_text else None
    count = req.config.daily_history_days + 1
    bars = req.market.daily_bars(listing.code, now, base_day=base_day, count=count)
    values = [stock_values(req.market.seed, listing, bar) for bar in bars]
    venue = {NXT: "NXT", ALL: "통합"}.get(suffix, "KRX")
    rows: list[Values] = []
    for i, bar in enumerate(bars[: count - 1]):
        lower, upper = price_limits(bar.prev_close, etf=listing.is_etp)
        older = values[i + 1] if i + 1 < len(values) else None
        row: dict[str, Any] = {
            "dt": bar.day, "cur_prc": (bar.close, bar.prev_close),
            "pre_sig": sign_code(bar.close, bar.prev_close, lower, upper), "pred_pre": bar.close - bar.prev_close,
            "flu_rt": change_rate(bar.close, bar.prev_close), "trde_qty": bar.volume, "stex_tp": venue, **values[i],
        }  # fmt: skip
        for unit in ("amt", "qty"):
            before = older[f"prm_netprps_{unit}"] if older else 0
            row[f"prm_netprps_{unit}_irds"] = values[i][f"prm_netprps_{unit}"] - before
        rows.append(row)
    return paged(req, rows, PAGE_SIZE)


# --- a market ---------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _market_day(seed: int, market: Market, day: date) -> tuple[dict[str, float], dict[str, tuple[float, ...]]]:
    """A day's program totals (millions of won) by side and each side's running share by minute (0..390)."""
    stamp = f"{seed}:{market.value}:{day.isoformat()}:prm"
    z = (*normals(f"{stamp}:a"), *normals(f"{stamp}:b"))
    base, _ = _TURNOVER[market]
    gross = base * math.exp(0.25 * z[0])
    arb = min(max(0.04 * math.exp(0.5 * z[1]), 0.01), 0.15)
    tilt_arb, tilt_nd = min(max(0.3 * z[2], -0.8), 0.8), min(max(0.08 * z[3], -0.4), 0.4)
    totals = {
        "dfrt_buy": gross * arb * (1 + tilt_arb), "dfrt_sel": gross * arb * (1 - tilt_arb),
        "nd_buy": gross * (1 - arb) * (1 + tilt_nd), "nd_sel": gross * (1 - arb) * (1 - tilt_nd),
    }  # fmt: skip
    rng = random.Random(stamp)
    last = CONTINUOUS_MINUTES - 1
    profile = [1 + 2 * math.exp(-k / 20) + 1.5 * math.exp(-(last - k) / 15) for k in range(SESSION_MINUTES)]
    shares: dict[str, tuple[float, ...]] = {}
    for side in _SIDES:
        weights = [w * (0.5 + rng.random()) if k < CONTINUOUS_MINUTES else 0.0 for k, w in enumerate(profile)]
        weights[SESSION_MINUTES - 1] = 0.06 * sum(weights) / 0.94  # the closing auction's execution
        total = sum(weights)
        shares[side] = (0.0, *(c / total for c in accumulate(weights)))
    return totals, shares


def _program_values(req: TrRequest, day: date, minutes: int) -> dict[str, int]:
    """A market's program trading on ``day`` after ``minutes`` of the session, in the units asked for."""
    market, venue = MARKETS[req.body["mrkt_tp"]]
    totals, shares = _market_day(req.market.seed, market, day)
    _, price = _TURNOVER[market]
    amount = {side: round(totals[side] * shares[side][minutes] * venue) for side in _SIDES}
    qty = {side: round(amount[side] * 1000 / price) for side in _SIDES}  # 천주
    main = amount if req.body["amt_qty_tp"] == "1" else qty
    values: dict[str, int] = {}
    for kind, prefix in (("dfrt", "dfrt_trde"), ("nd", "ndiffpro_trde")):
        b, s = main[f"{kind}_buy"], main[f"{kind}_sel"]
        values |= {f"{prefix}_buy": b, f"{prefix}_sel": s, f"{prefix}_netprps": b - s}
        b, s = qty[f"{kind}_buy"], qty[f"{kind}_sel"]
        values |= {f"{prefix}_buy_qty": b, f"{prefix}_sell_qty": s, f"{prefix}_netprps_qty": b - s}
    values["all_buy"] = values["dfrt_trde_buy"] + values["ndiffpro_trde_buy"]
    values["all_sel"] = values["dfrt_trde_sel"] + values["ndiffpro_trde_sel"]
    values["all_netprps"] = values["all_buy"] - values["all_sel"]
    return values


def _basis(seed: int, day: date, minutes: int) -> float:
    z = normals(f"{seed}:{day.isoformat()}:basis")
    return round(0.8 * z[0] + 0.6 * math.sin(2 * math.pi * minutes / SESSION_MINUTES * 2 + z[1]), 2)


def _traded(minutes: int) -> int:
    """The path minute whose prices stand ``minutes`` into the session (the auction minutes hold the last trade)."""
    return minutes if minutes >= SESSION_MINUTES else min(minutes, CONTINUOUS_MINUTES)


def kospi200_at(market: SyntheticMarket, day: date, minutes: int) -> float:
    """KOSPI200 ``minutes`` into ``day``'s session: ka20001's level at that instant, from the members' paths."""
    return path_on(market, KOSPI200, day_index(market, day)).points[_traded(minutes)]


def kospi200_closes(market: SyntheticMarket, now: float, days: list[date]) -> dict[date, float]:
    """KOSPI200 at the close of each of ``days`` (today's: its level at ``now``), as ka20009 shows them."""
    if not days:
        return {}
    i, _ = view(market, now)
    _, closes = levels(market, KOSPI200, day_index(market, max(days)))
    found: dict[date, float] = {}
    for day in days:
        j = day_index(market, day)
        found[day] = index_now(market, KOSPI200, now).level if j == i else closes[j]
    return found


def _session_day(req: TrRequest, now: float) -> tuple[date, int] | None:
    """(trading day on or before ``date``, minutes of it traded at ``now``); a day to come is the latest one."""
    asked = min(parse_day(req.body["date"]), latest_day(req, now))
    cal = req.market.calendar
    day = asked if cal.is_trading_day(asked) else cal.previous_trading_day(asked)
    if day < HISTORY_START:
        return None
    kst = to_kst(now)
    return day, SESSION_MINUTES if day < kst.date() else minutes_traded(kst)


def ka90005(req: TrRequest) -> Answer:
    """프로그램매매추이요청 시간대별: a market's running program totals at each minute of a day, newest first.

    Minute rows answer both ``min_tic_tp`` values (the fake keeps no ticks).
    """
    now = asof(req)
    session = _session_day(req, now)
    if session is None:
        return Answer()
    day, minutes = session
    answer = paged(req, [{"m": m} for m in range(minutes, 0, -1)], PAGE_SIZE)
    rows: list[Values] = []
    for skeleton in answer.rows:
        m = skeleton["m"]
        label = (datetime.combine(day, _OPEN) + timedelta(minutes=m)).time()
        rows.append({
            "cntr_tm": label, **_program_values(req, day, m), "kospi200": round(kospi200_at(req.market, day, m), 2),
            "basis": _basis(req.market.seed, day, m),
        })  # fmt: skip
    return Answer(answer.top, rows, answer.next_key)


def ka90010(req: TrRequest) -> Answer:
    """프로그램매매추이요청 일자별: a market's program totals per trading day up to ``date``, newest first."""
    now = asof(req)
    end = min(parse_day(req.body["date"]), latest_day(req, now))
    count = req.config.daily_history_days
    days = [b.day for b in req.market.daily_bars(KOSPI200.members[0].code, now, base_day=end, count=count)]
    closes = kospi200_closes(req.market, now, days)
    kst = to_kst(now)
    rows: list[Values] = []
    for day in days:
        minutes = minutes_traded(kst) if day == kst.date() else SESSION_MINUTES
        rows.append({
            "cntr_tm": datetime.combine(day, time()), **_program_values(req, day, minutes),
            "kospi200": round(closes[day], 2), "basis": _basis(req.market.seed, day, minutes),
        })  # fmt: skip
    return paged(req, rows, PAGE_SIZE)


GENERATORS: dict[str, Generator] = {"ka90005": ka90005, "ka90010": ka90010, "ka90013": ka90013}
