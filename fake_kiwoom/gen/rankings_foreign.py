"""Foreign-investor rankings: ka10034 (net buying over a period), ka10035 (buying or selling streaks),
ka10036 (limit exhaustion rising) and ka10037 (foreign brokers' trading).

They rank the flows the flows family reports per stock (:mod:`.flows_model`): foreign
holdings are a level per (seed, code, day), a day's foreign net buying is its change, and
the day still trading has the share of its flows the session has traded. So a period's net
buying (ka10034) is the rise in holdings ka10036 shows over the same days, and both match
the sums of ka10008's daily rows. ka10037 sums the foreign members' buys and sells of the
broker split ka10040 reports for a stock's day (:mod:`.detail_brokers`).

Periods (``dt``): 0 the latest trading day with trades (today once 09:00 has passed), 1 the
trading day before it, 5/10/20/60 that many trading days ending with the latest. Prices,
volumes and best bid/ask are today's quote and book, as ka10001 and ka10004 show them; the
flows are KRX's on every venue, as the flows family reports them.
"""

from __future__ import annotations

import itertools
from datetime import date

from ..tr_types import TrRequest
from .base import Answer, Generator, Values
from .detail_brokers import foreign_desk
from .flows_model import avg_price, day_flows, foreign_holding, foreign_limit, latest_day, progress
from .rankings_common import Entry, asof, bid_price, book, entries, price_block, ranked

#: Trading days ka10035 looks back for a streak.
STREAK_WINDOW = 20
#: Days in a row of net buying (or selling) that make a streak worth listing.
MIN_STREAK = 2
MILLION = 1_000_000


def period(req: TrRequest, dt: str, now: float) -> list[date]:
    """The trading days ``dt`` names, newest first."""
    calendar = req.market.calendar
    latest = latest_day(req, now)
    if dt == "1":
        return [calendar.previous_trading_day(latest)]
    days = [latest]
    while len(days) < max(1, int(dt)):
        days.append(calendar.previous_trading_day(days[-1]))
    return days


def holding_after(req: TrRequest, e: Entry, day: date, now: float) -> int:
    """Foreign holdings after ``day``'s trading so far (ka10008's ``poss_stkcnt``)."""
    prev = req.market.calendar.previous_trading_day(day)
    net = day_flows(req.market.seed, e.listing, day, prev, progress(req.market, day, now)).foreign
    return foreign_holding(req.market.seed, e.listing, prev) + net


def holdings_span(req: TrRequest, e: Entry, days: list[date], now: float) -> tuple[int, int]:
    """(holdings before the oldest of ``days``, holdings after the newest)."""
    before = foreign_holding(req.market.seed, e.listing, req.market.calendar.previous_trading_day(days[-1]))
    return before, holding_after(req, e, days[0], now)


def ka10034(req: TrRequest) -> Answer:
    """외인기간별매매상위: foreign net selling (1), buying (2) or either (3, by size) over the period."""
    now = asof(req)
    days = period(req, req.body["dt"], now)
    trde_tp = req.body["trde_tp"]
    scored: list[tuple[int, Values]] = []
    for e in entries(req, now):
        before, after = holdings_span(req, e, days, now)
        net = after - before
        if (trde_tp == "1" and net >= 0) or (trde_tp == "2" and net <= 0) or net == 0:
            continue
        b = book(req.market, e, now)
        row = price_block(e) | {
            "sel_bid": bid_price(b.asks[0][0], e.quote.prev_close),
            "buy_bid": bid_price(b.bids[0][0], e.quote.prev_close),
            "trde_qty": e.quote.volume,
            "netprps_qty": net,
            "gain_pos_stkcnt": foreign_limit(e.listing) - holding_after(req, e, days[0], now),
        }
        del row["flu_rt"]
        scored.append(({"1": net, "2": -net, "3": -abs(net)}[trde_tp], row))
    return ranked(req, scored, rank_field="rank")


def _daily_nets(req: TrRequest, e: Entry, base: date, now: float) -> list[int]:
    """Foreign net buying of the ``STREAK_WINDOW`` trading days ending with ``base``, newest first."""
    calendar = req.market.calendar
    days = [base]
    while len(days) <= STREAK_WINDOW:
        days.append(calendar.previous_trading_day(days[-1]))
    levels = [foreign_holding(req.market.seed, e.listing, d) for d in days]
    nets = [newer - older for newer, older in itertools.pairwise(levels)]
    nets[0] = holding_after(req, e, base, now) - levels[1]  # the base day may still be trading
    return nets


def ka10035(req: TrRequest) -> Answer:
    """외인연속순매매상위: the longest foreign net selling (1) or buying (2) streaks up to today or yesterday."""
    now = asof(req)
    latest = latest_day(req, now)
    base = latest if req.body["base_dt_tp"] == "0" else req.market.calendar.previous_trading_day(latest)
    way = 1 if req.body["trde_tp"] == "2" else -1
    scored: list[tuple[tuple[int, int], Values]] = []
    for e in entries(req, now):
        nets = _daily_nets(req, e, base, now)
        run = next((n for n, net in enumerate(nets) if net * way <= 0), len(nets))
        if run < MIN_STREAK:
            continue
        total = sum(nets[:3])
        limit = foreign_limit(e.listing)
        row = price_block(e) | {
            "dm1": nets[0],
            "dm2": nets[1],
            "dm3": nets[2],
            "tot": total,
            "limit_exh_rt": holding_after(req, e, base, now) / limit * 100,
        }
        del row["flu_rt"]
        scored.append(((-run, -abs(total)), row))
    return ranked(req, scored)


def ka10036(req: TrRequest) -> Answer:
    """외인한도소진율증가상위: the foreign limit exhaustion rate risen most over the period."""
    now = asof(req)
    days = period(req, req.body["dt"], now)
    scored: list[tuple[float, Values]] = []
    for e in entries(req, now):
        limit = foreign_limit(e.listing)
        before, after = holdings_span(req, e, days, now)
        base_rate, rate = before / limit * 100, after / limit * 100
        if rate <= base_rate:
            continue
        row = price_block(e) | {
            "trde_qty": e.quote.volume,
            "poss_stkcnt": after,
            "gain_pos_stkcnt": limit - after,
            "base_limit_exh_rt": base_rate,
            "limit_exh_rt": rate,
            "exh_rt_incrs": rate - base_rate,
        }
        del row["flu_rt"]
        scored.append((base_rate - rate, row))
    return ranked(req, scored, rank_field="rank")


def _foreign_desk(req: TrRequest, e: Entry, days: list[date], now: float) -> dict[str, int]:
    """The foreign members' shares and won bought and sold over ``days``, and everyone's volume and value."""
    bars = {b.day: b for b in req.market.daily_bars(e.listing.code, now, count=len(days) + 2)}
    totals = dict.fromkeys(("buy", "sell", "buy_amt", "sell_amt", "volume", "value"), 0)
    for day in days:
        bar = bars.get(day)
        if bar is None:
            continue
        today = day == e.quote.day
        volume, value = (e.quote.volume, e.quote.value) if today else (bar.volume, bar.value)
        price = value / volume if volume else avg_price(bar)
        desk = foreign_desk(req.market, e.listing, day, volume, price)
        for key, amount in zip(("buy", "sell", "buy_amt", "sell_amt"), desk, strict=True):
            totals[key] += amount
        totals["volume"] += volume
        totals["value"] += value
    return totals


def ka10037(req: TrRequest) -> Answer:
    """외국계창구매매상위: foreign members' net buying (1) or selling (2), buys (3) or sells (4), in won or shares."""
    now = asof(req)
    days = period(req, req.body["dt"], now)
    trde_tp, by_amount = req.body["trde_tp"], req.body["sort_tp"] == "1"
    scored: list[tuple[int, Values]] = []
    for e in entries(req, now):
        t = _foreign_desk(req, e, days, now)
        net, net_amt = t["buy"] - t["sell"], t["buy_amt"] - t["sell_amt"]
        measure = {
            "1": net_amt if by_amount else net,
            "2": -(net_amt if by_amount else net),
            "3": t["buy_amt"] if by_amount else t["buy"],
            "4": t["sell_amt"] if by_amount else t["sell"],
        }[trde_tp]
        if measure <= 0:
            continue
        row = price_block(e) | {
            "sel_trde_qty": -t["sell"],
            "buy_trde_qty": t["buy"],
            "netprps_trde_qty": net,
            "netprps_prica": round(net_amt / MILLION),
            "trde_qty": t["volume"],
            "trde_prica": t["value"] // MILLION,
        }
        scored.append((-measure, row))
    return ranked(req, scored, rank_field="rank")


GENERATORS: dict[str, Generator] = {"ka10034": ka10034, "ka10035": ka10035, "ka10036": ka10036, "ka10037": ka10037}
