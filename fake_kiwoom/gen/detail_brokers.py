"""Brokers (거래원) behind one stock's trading: ka10002 and ka10040.

Every share traded today was bought through one exchange member and sold through
another. The fake splits the day's volume (the venue's ``trde_qty`` ka10001 reports at the
same instant) among the members below with weights fixed per (seed, code, day): a few
members carry most of it, the foreign ones together more on some days than others. So
each member's quantity grows with the day's volume, the members' buys (and sells) add up
to the volume, and the top five never reshuffle during a day, which is why ka10040's list
of members that dropped out of the top five (``tdy_main_trde_ori``) stays empty, as in
Kiwoom's own example. The foreign members' part (``foreign_desk``) is what ka10037 ranks and
ka10086 reports as the day's foreign-broker (외국계) net buying.

Member codes: 050 키움증권, 036 모건스탠리 and 006 신영 are the codes Kiwoom's guide examples
show; the others are the fake's own assignments (no public copy of ka10102 with codes was
found), unique and three digits like the real ones.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from ..listings import Listing
from ..market import Quote, SyntheticMarket
from ..prices import change_rate
from ..tr_types import TrRequest
from ..venues import require_venue, venue_quote
from .base import Answer, Generator, Values
from .detail_common import sign_of

SLOTS = 5
#: A member's quantity change is measured against this many seconds earlier.
CHANGE_WINDOW_S = 60.0
EMPTY_CODE = "000"


@dataclass(frozen=True, slots=True)
class Broker:
    code: str
    name: str
    foreign: bool = False


#: (code, short name as Kiwoom shows it, foreign?)
BROKERS: tuple[Broker, ...] = (
    Broker("050", "키움증권"),
    Broker("006", "신  영"),
    Broker("005", "미래에셋"),
    Broker("030", "삼성"),
    Broker("012", "NH투자"),
    Broker("003", "한국증권"),
    Broker("010", "KB증권"),
    Broker("002", "신한투자"),
    Broker("008", "대신"),
    Broker("017", "하나증권"),
    Broker("027", "메리츠"),
    Broker("036", "모건스탠리", foreign=True),
    Broker("043", "JP모간", foreign=True),
    Broker("040", "골드만", foreign=True),
    Broker("041", "메릴린치", foreign=True),
    Broker("037", "UBS", foreign=True),
    Broker("044", "CLSA", foreign=True),
    Broker("045", "맥쿼리", foreign=True),
    Broker("035", "씨티그룹", foreign=True),
)


@dataclass(frozen=True, slots=True)
class Flow:
    """One member's shares bought and sold today."""

    broker: Broker
    bought: int
    sold: int


def _weights(rng: random.Random, foreign_tilt: float) -> list[float]:
    raw = [rng.expovariate(1.0) ** 2 * (foreign_tilt if b.foreign else 1.0) for b in BROKERS]
    total = sum(raw)
    return [w / total for w in raw]


def flows(market: SyntheticMarket, listing: Listing, day: date, volume: int) -> list[Flow]:
    """Each member's buys and sells of ``volume`` shares traded on ``day`` (weights fixed for the day)."""
    rng = random.Random(f"{market.seed}:{listing.code}:{day.isoformat()}:brokers")
    tilt = rng.uniform(0.2, 1.5)
    buys, sells = _weights(rng, tilt), _weights(rng, tilt * rng.uniform(0.7, 1.3))
    return [Flow(b, int(volume * wb), int(volume * ws)) for b, wb, ws in zip(BROKERS, buys, sells, strict=True)]


def foreign_desk(market: SyntheticMarket, listing: Listing, day: date, volume: int, price: float) -> tuple[int, ...]:
    """The foreign members' (shares bought, shares sold, won bought, won sold) of ``volume`` traded at ``price``.

    What ka10037 sums over a period and ka10086 shows as a day's ``frgn`` (외국계).
    """
    bought = sold = bought_amt = sold_amt = 0
    for flow in flows(market, listing, day, volume):
        if flow.broker.foreign:
            bought, sold = bought + flow.bought, sold + flow.sold
            bought_amt, sold_amt = bought_amt + round(flow.bought * price), sold_amt + round(flow.sold * price)
    return bought, sold, bought_amt, sold_amt


def top(found: list[Flow], side: str) -> list[Flow]:
    """The members with the most shares on one side (``bought`` or ``sold``), at most five, none empty."""
    ranked = sorted(found, key=lambda f: (-getattr(f, side), f.broker.code))
    return [f for f in ranked[:SLOTS] if getattr(f, side) > 0]


def _quote(req: TrRequest, now: float) -> tuple[Listing, Quote]:
    listing, suffix = require_venue(req.body["stk_cd"])
    return listing, venue_quote(req.market.quote(listing.code, now), suffix)


def ka10002(req: TrRequest) -> Answer:
    """주식거래원: the day's five largest selling and buying members, with the quote."""
    listing, q = _quote(req, req.now)
    found = flows(req.market, listing, q.day, q.volume)
    top_values: Values = {
        "stk_cd": req.body["stk_cd"],
        "stk_nm": listing.name,
        "cur_prc": (q.price, q.prev_close),
        "flu_smbol": sign_of(q.price, q.prev_close, listing),
        "base_pric": q.prev_close,
        "pred_pre": q.change,
        "flu_rt": change_rate(q.price, q.prev_close),
    }
    for side, prefix in (("sold", "sel"), ("bought", "buy")):
        ranked = top(found, side)
        for slot in range(1, SLOTS + 1):
            flow = ranked[slot - 1] if slot <= len(ranked) else None
            top_values[f"{prefix}_trde_ori_nm_{slot}"] = flow.broker.name if flow else ""
            top_values[f"{prefix}_trde_ori_{slot}"] = flow.broker.code if flow else EMPTY_CODE
            top_values[f"{prefix}_trde_qty_{slot}"] = getattr(flow, side) if flow else 0
    return Answer(top_values)


def ka10040(req: TrRequest) -> Answer:
    """당일주요거래원: the top five members each side (sells negative) and their change over the last minute."""
    listing, q = _quote(req, req.now)
    _, before = _quote(req, req.now - CHANGE_WINDOW_S)
    now_flows = flows(req.market, listing, q.day, q.volume)
    previous_flows = flows(req.market, listing, before.day, before.volume) if before.day == q.day else []
    then = {f.broker.code: f for f in previous_flows}
    values: Values = {}
    for side, prefix, sign in (("sold", "sel", -1), ("bought", "buy", 1)):
        ranked = top(now_flows, side)
        for slot in range(1, SLOTS + 1):
            flow = ranked[slot - 1] if slot <= len(ranked) else None
            qty = getattr(flow, side) if flow else 0
            earlier = getattr(then[flow.broker.code], side) if flow and flow.broker.code in then else 0
            values[f"{prefix}_trde_ori_{slot}"] = flow.broker.name if flow else ""
            values[f"{prefix}_trde_ori_cd_{slot}"] = flow.broker.code if flow else EMPTY_CODE
            values[f"{prefix}_trde_ori_qty_{slot}"] = sign * qty
            values[f"{prefix}_trde_ori_irds_{slot}"] = qty - earlier if flow else 0
        foreign_now = sum(getattr(f, side) for f in now_flows if f.broker.foreign)
        foreign_then = sum(getattr(f, side) for f in then.values() if f.broker.foreign)
        values[f"frgn_{prefix}_prsm_sum"] = sign * foreign_now
        values[f"frgn_{prefix}_prsm_sum_chang"] = foreign_now - foreign_then
    return Answer(values, [])


GENERATORS: dict[str, Generator] = {"ka10002": ka10002, "ka10040": ka10040}
