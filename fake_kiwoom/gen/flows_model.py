"""Who bought and sold: the investor-flow model behind the flows family (investors, foreigners, institutions).

Every number is a pure function of ``(seed, code, trading day)``, so any TR can ask for any
day in any order and get the same answer:

* Foreign holdings are a level, ``H(day) = limit * ratio(day)``: the listing's foreign
  exhaustion rate (ka10001's ``for_exh_rt``) plus two slow waves and a little daily noise.
  The foreigners' net buying of a day is the change of that level since the previous
  trading day, so ka10008's holdings and net changes always add up, and the waves give the
  buying and selling streaks ka10131 counts.
* Institutions (eight kinds, Kiwoom's ``fnnc_invt`` ... ``natn``), other corporations and
  resident foreigners net-buy a seeded fraction of the listing's average daily volume; the
  institutions share a slow wave of their own. Individuals take the other side, so the
  net buying of all investors is exactly zero every day, in shares and in every unit a TR
  reports (the individuals absorb the rounding).
* During a trading day the day's flows grow with the share of the session that has traded;
  before 09:00 the day has none (and no daily bar either, as ka10081 shows).
* Gross buying and selling split the day's traded volume among the investor kinds at fixed
  shares, so buys minus sells is each kind's net and the buys (or sells) add up to about the
  volume (a kind never trades less than its net).

It is the one model of who bought and sold: besides the flows family and the foreign
rankings (ka10034-ka10036), the daily-price TRs (ka10086, ka10005, :mod:`.charts_daily`), the
sector sums (ka10051, :mod:`.sectors_flows`) and the ETF period sums (ka40001) report it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from ..auction import SESSION_MINUTES, minutes_traded
from ..envelopes import KiwoomError
from ..fundamentals import fundamentals_for
from ..listings import Listing
from ..market import DailyBar, SyntheticMarket, to_kst
from ..paging import parse_key
from ..tr_types import TrRequest
from ..walks import normals

#: Institution kinds, in Kiwoom's field order; their sum is ``orgn`` (기관계).
INSTITUTIONS: tuple[str, ...] = ("fnnc_invt", "insrnc", "invtrt", "etc_fnnc", "bank", "penfnd_etc", "samo_fund", "natn")
#: Every investor field a ka10059/ka10061 row carries, in Kiwoom's order.
INVESTOR_FIELDS: tuple[str, ...] = ("ind_invsr", "frgnr_invsr", "orgn", *INSTITUTIONS, "etc_corp", "natfor")

#: Daily noise of each kind's net buying, as a fraction of the average daily volume.
_NOISE: dict[str, float] = {
    "fnnc_invt": 0.040, "insrnc": 0.010, "invtrt": 0.015, "etc_fnnc": 0.005, "bank": 0.004,
    "penfnd_etc": 0.025, "samo_fund": 0.012, "natn": 0.002, "etc_corp": 0.020, "natfor": 0.002,
}  # fmt: skip
#: How strongly each institution kind follows the institutions' shared slow wave.
_WAVE: dict[str, float] = {"fnnc_invt": 0.030, "invtrt": 0.010, "penfnd_etc": 0.020}
#: Each kind's share of a day's traded volume (of all buying, and of all selling).
_GROSS: dict[str, float] = {
    "ind_invsr": 0.436, "frgnr_invsr": 0.28, "fnnc_invt": 0.08, "insrnc": 0.02, "invtrt": 0.035, "etc_fnnc": 0.015,
    "bank": 0.012, "penfnd_etc": 0.05, "samo_fund": 0.025, "natn": 0.004, "etc_corp": 0.038, "natfor": 0.005,
}  # fmt: skip


def turnover(listing: Listing) -> float:
    """Typical daily volume per share (the market draws each day's volume around it)."""
    return 0.02 if listing.is_etf else 0.003


def _uniform(key: str) -> float:
    """A uniform number in (0, 1) fixed by ``key`` (a hashed normal through its distribution function)."""
    return 0.5 * (1 + math.erf(normals(key)[0] / math.sqrt(2)))


@dataclass(frozen=True, slots=True)
class _Profile:
    """What fixes a listing's flows for a seed: base foreign ownership and the slow waves."""

    ratio: float
    waves: tuple[tuple[float, float, float], ...]  # (amplitude as a share of shares, period days, phase)
    noise: float  # daily noise of the foreign ratio
    inst_wave: tuple[float, float]  # (period days, phase) of the institutions' shared wave


@lru_cache(maxsize=4096)
def _profile(seed: int, listing: Listing) -> _Profile:
    key = f"{seed}:{listing.code}:flows"
    turn = turnover(listing)
    fundamentals = fundamentals_for(listing, seed)  # ka10001's for_exh_rt is the level foreigners hover around
    ratio = fundamentals.foreign_exhaustion / 100 if fundamentals else 0.10 + 0.20 * _uniform(f"{key}:ratio")
    long_period = 170 + 180 * _uniform(f"{key}:p1")
    short_period = 40 + 45 * _uniform(f"{key}:p2")
    waves = (
        (3.0 * turn, long_period, 2 * math.pi * _uniform(f"{key}:f1")),
        (1.07 * turn, short_period, 2 * math.pi * _uniform(f"{key}:f2")),
    )
    inst = (25 + 35 * _uniform(f"{key}:po"), 2 * math.pi * _uniform(f"{key}:fo"))
    return _Profile(ratio, waves, 0.08 * turn, inst)


def _wave(period: float, phase: float, day: date) -> float:
    return math.sin(2 * math.pi * day.toordinal() / period + phase)


def foreign_limit(listing: Listing) -> int:
    """Foreign ownership limit in shares: 49 % for telecoms (a legal cap), else every share."""
    return listing.shares * 49 // 100 if listing.sector == "통신업" else listing.shares


def foreign_holding(seed: int, listing: Listing, day: date) -> int:
    """Shares foreigners hold at the close of ``day`` (the ratio is of the foreign limit)."""
    p = _profile(seed, listing)
    level = p.ratio + sum(a * _wave(period, phase, day) for a, period, phase in p.waves)
    level += p.noise * normals(f"{seed}:{listing.code}:{day.isoformat()}:hold")[0]
    return round(foreign_limit(listing) * min(max(level, 0.0), 0.99))


@dataclass(frozen=True, slots=True)
class DayFlows:
    """One day's net buying in shares by investor kind (Kiwoom's field names); individuals balance it."""

    day: date
    base: dict[str, int]  # the independent kinds: frgnr_invsr, the institutions, etc_corp, natfor

    def scaled(self, factor: float) -> dict[str, int]:
        """Every investor field in a unit ``factor`` converts shares into; still summing to zero."""
        values = {k: round(v * factor) for k, v in self.base.items()}
        values["orgn"] = sum(values[k] for k in INSTITUTIONS)
        values["ind_invsr"] = -(values["frgnr_invsr"] + values["orgn"] + values["etc_corp"] + values["natfor"])
        return values

    @property
    def shares(self) -> dict[str, int]:
        return self.scaled(1.0)

    @property
    def foreign(self) -> int:
        return self.base["frgnr_invsr"]

    @property
    def institutions(self) -> int:
        return sum(self.base[k] for k in INSTITUTIONS)


def day_flows(seed: int, listing: Listing, day: date, prev_day: date, progress: float = 1.0) -> DayFlows:
    """Net buying on ``day`` (``prev_day`` is the trading day before it); ``progress`` of the session traded."""
    p = _profile(seed, listing)
    adv = listing.shares * turnover(listing)
    stamp = f"{seed}:{listing.code}:{day.isoformat()}:inv"
    draws = [*normals(f"{stamp}:a"), *normals(f"{stamp}:b"), *normals(f"{stamp}:c"), *normals(f"{stamp}:d")]
    inst_wave = _wave(*p.inst_wave, day)
    base = {"frgnr_invsr": foreign_holding(seed, listing, day) - foreign_holding(seed, listing, prev_day)}
    for z, kind in zip(draws, _NOISE, strict=False):
        base[kind] = round(adv * (_NOISE[kind] * z + _WAVE.get(kind, 0.0) * inst_wave))
    if progress < 1.0:
        base = {k: round(v * progress) for k, v in base.items()}
    return DayFlows(day, base)


def gross(flows: dict[str, int], volume: int) -> tuple[dict[str, int], dict[str, int]]:
    """(buys, sells) in shares by investor field: each kind trades its share of ``volume`` around its net."""
    buys: dict[str, int] = {}
    sells: dict[str, int] = {}
    for kind in (k for k in INVESTOR_FIELDS if k != "orgn"):
        net = flows[kind]
        turn = max(round(2 * volume * _GROSS[kind]), abs(net))  # its buys plus its sells
        buys[kind] = (turn + net + 1) // 2
        sells[kind] = buys[kind] - net
    buys["orgn"] = sum(buys[k] for k in INSTITUTIONS)
    sells["orgn"] = sum(sells[k] for k in INSTITUTIONS)
    return buys, sells


def progress(market: SyntheticMarket, day: date, now: float | datetime) -> float:
    """How much of ``day``'s session has traded at ``now``: 1 for past days, 0 for days to come."""
    kst = to_kst(now)
    if day < kst.date():
        return 1.0
    if day > kst.date() or not market.calendar.is_trading_day(day):
        return 0.0
    return minutes_traded(kst) / SESSION_MINUTES


def latest_day(req: TrRequest, now: float) -> date:
    """The newest trading day with trades at ``now`` (today once 09:00 has passed)."""
    kst = to_kst(now)
    today = kst.date()
    if req.market.calendar.is_trading_day(today) and minutes_traded(kst) > 0:
        return today
    return req.market.calendar.previous_trading_day(today)


def flows_of(req: TrRequest, listing: Listing, bar: DailyBar, now: float) -> DayFlows:
    """The flows of the day ``bar`` shows (partial if that day is still trading at ``now``)."""
    prev_day = req.market.calendar.previous_trading_day(bar.day)
    return day_flows(req.market.seed, listing, bar.day, prev_day, progress(req.market, bar.day, now))


def avg_price(bar: DailyBar) -> float:
    """The day's average traded price (its close when nothing traded)."""
    return bar.value / bar.volume if bar.volume else float(bar.close)


def asof(req: TrRequest) -> float:
    """The instant a paged answer is cut from: the first page's, carried in the continuation key."""
    return parse_key(req.api_id, req.body, req.next_key).asof if req.next_key else req.now


def parse_day(text: str) -> date:
    """A request's YYYYMMDD; a date that does not exist is an input error (1517)."""
    try:
        return datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        raise KiwoomError(1517, f"{text} (형식: YYYYMMDD)") from None


def streak(nets: list[int]) -> int:
    """How many of ``nets`` (newest first) in a row are net buying."""
    count = 0
    for net in nets:
        if net <= 0:
            break
        count += 1
    return count
