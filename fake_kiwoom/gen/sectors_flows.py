"""ka10051 업종별투자자순매수: investors' net buying by sector, summed from deterministic flows of its members.

Each member's net buying on a day is drawn per investor type from a hash of (seed, code, day),
as a share of the shares it traded that day on the venue asked for, so a sector's flows are
exactly the sum of its members'. Individuals take the other side of everyone else: in every
row the individual, foreign, institutional (기관계 = its seven parts), other-corporate, national
and foreign-treated-as-domestic columns sum to zero. Amounts are in millions of won,
quantities in thousands of shares (as the row's ``trde_qty``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from ..envelopes import KiwoomError
from ..listings import Listing
from ..tr_types import TrRequest
from ..venues import ALL, NXT, nxt_share
from ..walks import normals
from .base import Answer, Generator, Values
from .sectors_index import (
    INDEXES,
    SectorIndex,
    day_index,
    day_of,
    index_now,
    level_sig,
    level_text,
    levels,
    member_volume,
    view,
    walk,
)

#: Investor types other than individuals, with the spread of their daily net buying (share of volume).
FLOW_SCALES: dict[str, float] = {
    "frgnr_netprps": 0.06,
    "sc_netprps": 0.015,
    "insrnc_netprps": 0.006,
    "invtrt_netprps": 0.01,
    "bank_netprps": 0.003,
    "jnsinkm_netprps": 0.003,
    "endw_netprps": 0.012,
    "samo_fund_netprps": 0.006,
    "natn_netprps": 0.002,
    "etc_corp_netprps": 0.015,
    "native_trmt_frgnr_netprps": 0.001,
}
#: The parts of 기관계 (orgn_netprps).
INSTITUTIONS: tuple[str, ...] = (
    "sc_netprps", "insrnc_netprps", "invtrt_netprps", "bank_netprps", "jnsinkm_netprps", "endw_netprps",
    "samo_fund_netprps",
)  # fmt: skip
VENUES: dict[str, str] = {"1": "", "2": NXT, "3": ALL}


def member_flows(seed: int, listing: Listing, day: str, volume: int) -> dict[str, int]:
    """Net shares bought by each investor type but individuals, for one member and day (``day`` ISO)."""
    draws = [z for n in range(4) for z in normals(f"{seed}:{listing.code}:{day}:flow{n}")]
    return {name: round(volume * scale * z) for (name, scale), z in zip(FLOW_SCALES.items(), draws, strict=False)}


def _venue_volume(listing: Listing, volume: int, venue: str) -> int:
    share = nxt_share(listing)
    if venue == NXT:
        return int(volume * share)
    return volume + int(volume * share) if venue == ALL else volume


def _day(req: TrRequest) -> int:
    i, minutes = view(req.market, req.now)
    last = i if minutes > 0 else i - 1
    base_dt = str(req.body.get("base_dt", "") or "").strip()
    if not base_dt:
        return last
    try:
        base_day = datetime.strptime(base_dt, "%Y%m%d").date()
    except ValueError:
        raise KiwoomError(1517, f"base_dt={base_dt} (형식: YYYYMMDD)") from None
    return min(last, day_index(req.market, base_day))


def _row(req: TrRequest, index: SectorIndex, j: int, traded: Mapping[str, tuple[int, int]]) -> Values:
    """One sector's row on trading day ``j``; ``traded`` holds each member's (volume, price) that day."""
    i, _ = view(req.market, req.now)
    if j == i:
        now = index_now(req.market, index, req.now)
        level, prev = now.level, now.prev_close
    else:
        _, closes = levels(req.market, index, j)
        level, prev = closes[j], closes[max(j - 1, 0)]
    by_amount = req.body["amt_qty_tp"] == "0"
    totals = dict.fromkeys(FLOW_SCALES, 0)
    day = day_of(req.market, j).isoformat()
    for member in index.members:
        volume, price = traded[member.code]
        for name, shares in member_flows(req.market.seed, member, day, volume).items():
            totals[name] += shares * price if by_amount else shares
    unit = 1_000_000 if by_amount else 1000
    flows = {name: round(total / unit) for name, total in totals.items()}
    flows["orgn_netprps"] = sum(flows[name] for name in INSTITUTIONS)
    others = ("frgnr_netprps", "orgn_netprps", "etc_corp_netprps", "natn_netprps", "native_trmt_frgnr_netprps")
    flows["ind_netprps"] = -sum(flows[name] for name in others)
    points = round(level, 2) - round(prev, 2)
    return {
        "inds_cd": index.code,
        "inds_nm": index.name,
        "cur_prc": level_text(level, prev),
        "pre_smbol": level_sig(level, prev),
        "pred_pre": points,
        "flu_rt": points / prev * 100 if prev else 0.0,
        "trde_qty": sum(traded[m.code][0] for m in index.members) // 1000,
        **flows,
    }


def ka10051(req: TrRequest) -> Answer:
    """업종별투자자순매수: every sector of the market, investors' net buying on ``base_dt`` (default: the last day)."""
    j = _day(req)
    if j < 0:
        return Answer()
    market, venue = req.body["mrkt_tp"], VENUES[req.body["stex_tp"]]
    group = sorted((x for x in INDEXES.values() if x.group_market == market), key=lambda x: x.code)
    members = {m.code: m for x in group for m in x.members}
    i, _ = view(req.market, req.now)
    traded: dict[str, tuple[int, int]] = {}
    for code, member in members.items():
        if j == i:
            q = req.market.quote(code, req.now)
            volume, price = q.volume, q.price
        else:
            volume, price = member_volume(req.market, member, j), walk(req.market, member, j)[0][j]
        traded[code] = (_venue_volume(member, volume, venue), price)
    return Answer(rows=[_row(req, x, j, traded) for x in group])


GENERATORS: Mapping[str, Generator] = {"ka10051": ka10051}
