"""Seeded, plausible fundamentals for ka10001 (PER, EPS, ROE, PBR, BPS, sales, ...).

Per-share figures (EPS, BPS) are fixed per stock and seed, while ratios (PER, PBR) are
recomputed at the current price, as a real quote screen does. ETFs have none.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .listings import Listing


@dataclass(frozen=True, slots=True)
class Fundamentals:
    eps: int
    bps: int
    ev_ebitda: float
    sales_eok: int  # 억원
    operating_profit_eok: int
    net_income_eok: int
    credit_rate: float
    foreign_exhaustion: float
    float_rate: float

    def per(self, price: int) -> float:
        return price / self.eps if self.eps else 0.0

    def pbr(self, price: int) -> float:
        return price / self.bps if self.bps else 0.0

    @property
    def roe(self) -> float:
        return self.eps / self.bps * 100 if self.bps else 0.0


def fundamentals_for(listing: Listing, seed: int) -> Fundamentals | None:
    """``None`` for ETFs, which have no earnings of their own."""
    if listing.is_etp:
        return None
    rng = random.Random(f"{seed}:{listing.code}:fundamentals")
    per0 = rng.uniform(6.0, 35.0)
    pbr0 = rng.uniform(0.5, 4.0)
    eps = max(1, round(listing.base_price / per0))
    bps = max(1, round(listing.base_price / pbr0))
    net_income = eps * listing.shares // 100_000_000
    margin = rng.uniform(0.04, 0.2)
    sales = max(1, round(net_income / margin))
    return Fundamentals(
        eps=eps,
        bps=bps,
        ev_ebitda=round(rng.uniform(3.0, 20.0), 2),
        sales_eok=sales,
        operating_profit_eok=round(net_income * rng.uniform(1.1, 1.6)),
        net_income_eok=net_income,
        credit_rate=round(rng.uniform(0.0, 2.0), 2),
        foreign_exhaustion=round(rng.uniform(3.0, 60.0), 2),
        float_rate=round(rng.uniform(50.0, 95.0), 2),
    )
