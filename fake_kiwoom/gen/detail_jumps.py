"""Price jumps (가격급등락, ka10019): the stocks that moved most against their price some minutes or days ago.

The current price, change and volume are the ones ka10001 reports at the same instant
(on the venue ``stex_tp`` names), and codes come back as that venue writes them, as the
rankings return them (``rankings_common``): bare for KRX, ``005930_NX`` for Nextrade and
``005930_AL`` for both combined, each the code ka10001 takes for that quote. The base price
is the close of the minute bar ``tm`` minutes back in the latest session (the session's
open when it is younger than that), or the close ``tm`` trading days back in ka10081's
bars; the jump rate is the current price against it. Surges rank highest first, drops
lowest first; only stocks that moved the asked way are listed. The conditions the fake has
data for filter (market, volume, price band, limit prices, preferred shares); KOSPI200
(``mrkt_tp`` 201) is the sectors family's index 201 (``sectors_index``). The credit-group and
margin-rate conditions are accepted and list every stock, as the fake keeps no such classes.
"""

from __future__ import annotations

import math

from ..listings import Listing, Market
from ..market import SyntheticMarket
from ..prices import change_rate
from ..tr_types import TrRequest
from ..venues import ALL, KRX, NXT, venue_quote
from .base import Answer, Generator, Values, paged, stocks
from .detail_common import asof, sign_of
from .sectors_index import INDEXES

JUMP_PAGE = 50
_VENUES: dict[str, str] = {"1": KRX, "2": NXT, "3": ALL}
_PRICE_BANDS: dict[str, tuple[float, float]] = {
    "0": (0, math.inf),
    "1": (0, 1000),
    "2": (1000, 2000),
    "3": (2000, 3000),
    "4": (5000, 10000),
    "5": (10000, math.inf),
    "8": (1000, math.inf),
}


def universe(mrkt_tp: str) -> list[Listing]:
    """The stocks of ``mrkt_tp``; KOSPI200's are the members of ka20001's index 201."""
    if mrkt_tp == "001":
        return stocks(Market.KOSPI)
    if mrkt_tp == "101":
        return stocks(Market.KOSDAQ)
    if mrkt_tp == "201":
        return list(INDEXES["201"].members)
    return stocks()


def base_price(market: SyntheticMarket, listing: Listing, now: float, tm_tp: str, back: int) -> int | None:
    """The price ``back`` minutes (``tm_tp`` 1) or trading days (2) before the latest one."""
    if tm_tp == "1":
        minutes = market.minute_bars(listing.code, now, scope=1, days=1)
        if not minutes:
            return None
        return minutes[back].close if back < len(minutes) else minutes[-1].open
    days = market.daily_bars(listing.code, now, count=back + 1)
    return days[back].close if back < len(days) else None


def _preferred(listing: Listing) -> bool:
    """Preferred shares carry a non-zero last digit in their code (005935 삼성전자우)."""
    return not listing.code.endswith("0")


def ka10019(req: TrRequest) -> Answer:
    """가격급등락: surges (``flu_tp`` 1) or drops (2) against ``tm`` minutes or days ago, largest first."""
    body = req.body
    now = asof(req)
    suffix = _VENUES[body["stex_tp"]]
    low, high = _PRICE_BANDS[body["pric_cnd"]]
    min_volume = int(body["trde_qty_tp"]) * 1000
    back = int(body["tm"])
    surge = body["flu_tp"] == "1"
    found: list[tuple[float, str, Values]] = []
    for listing in universe(body["mrkt_tp"]):
        if suffix == NXT and not listing.nxt_enabled:
            continue
        if body["stk_cnd"] == "3" and _preferred(listing):
            continue
        q = venue_quote(req.market.quote(listing.code, now), suffix)
        if q.volume < min_volume or not low <= q.price < high:
            continue
        if body["updown_incls"] == "0" and (q.price >= q.upper or q.price <= q.lower):
            continue
        base = base_price(req.market, listing, now, body["tm_tp"], back)
        if not base:
            continue
        jump = change_rate(q.price, base)
        if (jump <= 0) if surge else (jump >= 0):
            continue
        row: Values = {
            "stk_cd": listing.code + suffix,
            "stk_cls": "",
            "stk_nm": listing.name,
            "pred_pre_sig": sign_of(q.price, q.prev_close, listing),
            "pred_pre": q.change,
            "flu_rt": q.change_rate,
            "base_pric": base,
            "cur_prc": (q.price, q.prev_close),
            "base_pre": abs(q.price - base),
            "trde_qty": q.volume,
            "jmp_rt": jump,
        }
        found.append((-jump if surge else jump, listing.code, row))
    found.sort(key=lambda item: (item[0], item[1]))
    return paged(req, [row for _, _, row in found], JUMP_PAGE)


GENERATORS: dict[str, Generator] = {"ka10019": ka10019}
