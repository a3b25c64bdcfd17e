"""ka10051 업종별투자자순매수: investors' net buying by sector, the sum of its members' flows.

A member's flows are the flows family's investor model (:mod:`.flows_model`), the figures
ka10059 reports for that stock and day in the unit asked for: amounts in millions of won at
the day's average price (ka10059's ``amt_qty_tp`` 1), quantities in thousands of shares (its
``unit_tp`` 1000), each member rounded as ka10059 rounds it. So a sector's row on KRX
(``stex_tp`` 1) is exactly the sum of its members' ka10059 rows. On Nextrade (2) each
member's flows are scaled by NXT's share of its volume (``venues.nxt_share``; nothing for a
listing NXT does not trade), on both combined (3) by one plus that share, as the row's
``trde_qty`` is (ka10059 itself shows KRX's flows whatever the code's suffix). Kiwoom's kinds
map onto the model's: 증권 ``sc`` is 금융투자 ``fnnc_invt``, 종신금 ``jnsinkm`` is 기타금융
``etc_fnnc``, 기금 ``endw`` is 연기금등 ``penfnd_etc``; 기관계 (``orgn_netprps``) is its seven
parts, 국가 (``natn_netprps``) shown beside it, so 기관계 plus 국가 is ka10059's ``orgn``.
Individuals take the other side, so in every row the individual, foreign, institutional,
other-corporate, national and foreign-treated-as-domestic columns sum to zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from ..envelopes import KiwoomError
from ..listings import Listing
from ..market import DailyBar
from ..tr_types import TrRequest
from ..venues import ALL, NXT, nxt_share
from .base import Answer, Generator, Values
from .flows_model import avg_price, flows_of
from .sectors_index import INDEXES, SectorIndex, day_index, day_of, index_now, level_sig, level_text, levels, view

#: ka10051's columns by the flows model's field they show (individuals and 기관계 are derived).
FIELDS: dict[str, str] = {
    "frgnr_netprps": "frgnr_invsr",
    "sc_netprps": "fnnc_invt",
    "insrnc_netprps": "insrnc",
    "invtrt_netprps": "invtrt",
    "bank_netprps": "bank",
    "jnsinkm_netprps": "etc_fnnc",
    "endw_netprps": "penfnd_etc",
    "samo_fund_netprps": "samo_fund",
    "natn_netprps": "natn",
    "etc_corp_netprps": "etc_corp",
    "native_trmt_frgnr_netprps": "natfor",
    "ind_netprps": "ind_invsr",
}
#: The parts of 기관계 (orgn_netprps).
INSTITUTIONS: tuple[str, ...] = (
    "sc_netprps", "insrnc_netprps", "invtrt_netprps", "bank_netprps", "jnsinkm_netprps", "endw_netprps",
    "samo_fund_netprps",
)  # fmt: skip
VENUES: dict[str, str] = {"1": "", "2": NXT, "3": ALL}


def _venue_share(listing: Listing, venue: str) -> float:
    """A venue's flows (and volume) per share of KRX's."""
    share = nxt_share(listing)
    return share if venue == NXT else 1 + share if venue == ALL else 1.0


def _venue_volume(listing: Listing, volume: int, venue: str) -> int:
    share = nxt_share(listing)
    if venue == NXT:
        return int(volume * share)
    return volume + int(volume * share) if venue == ALL else volume


def member_flows(req: TrRequest, listing: Listing, bar: DailyBar, *, by_amount: bool, venue: str) -> dict[str, int]:
    """One member's ka10051 columns on ``bar``'s day, in 백만원 (``by_amount``) or 천주."""
    unit = avg_price(bar) / 1_000_000 if by_amount else 1 / 1000
    values = flows_of(req, listing, bar, req.now).scaled(unit * _venue_share(listing, venue))
    return {name: values[field] for name, field in FIELDS.items()}


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


def _row(req: TrRequest, index: SectorIndex, j: int, members: Mapping[str, tuple[int, dict[str, int]]]) -> Values:
    """One sector's row on trading day ``j``; ``members`` holds each member's (venue volume, columns) that day."""
    i, _ = view(req.market, req.now)
    if j == i:
        now = index_now(req.market, index, req.now)
        level, prev = now.level, now.prev_close
    else:
        _, closes = levels(req.market, index, j)
        level, prev = closes[j], closes[max(j - 1, 0)]
    flows = dict.fromkeys(FIELDS, 0)
    for member in index.members:
        for name, value in members[member.code][1].items():
            flows[name] += value
    flows["orgn_netprps"] = sum(flows[name] for name in INSTITUTIONS)
    points = round(level, 2) - round(prev, 2)
    return {
        "inds_cd": index.code,
        "inds_nm": index.name,
        "cur_prc": level_text(level, prev),
        "pre_smbol": level_sig(level, prev),
        "pred_pre": points,
        "flu_rt": points / prev * 100 if prev else 0.0,
        "trde_qty": sum(members[m.code][0] for m in index.members) // 1000,
        **flows,
    }


def ka10051(req: TrRequest) -> Answer:
    """업종별투자자순매수: every sector of the market, investors' net buying on ``base_dt`` (default: the last day)."""
    j = _day(req)
    if j < 1:  # the history's first day has no bar (ka10081 starts the day after)
        return Answer()
    market, venue = req.body["mrkt_tp"], VENUES[req.body["stex_tp"]]
    by_amount = req.body["amt_qty_tp"] == "0"
    group = sorted((x for x in INDEXES.values() if x.group_market == market), key=lambda x: x.code)
    day = day_of(req.market, j)
    members: dict[str, tuple[int, dict[str, int]]] = {}
    for member in {m.code: m for x in group for m in x.members}.values():
        bar = req.market.daily_bars(member.code, req.now, base_day=day, count=1)[0]
        flows = member_flows(req, member, bar, by_amount=by_amount, venue=venue)
        members[member.code] = (_venue_volume(member, bar.volume, venue), flows)
    return Answer(rows=[_row(req, x, j, members) for x in group])


GENERATORS: Mapping[str, Generator] = {"ka10051": ka10051}
