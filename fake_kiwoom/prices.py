"""KRX price rules and Kiwoom value encodings, as pure functions.

Kept apart from the market model so tests (and the client engineer) can check the
grid and the wire encodings without building a market.
"""

from __future__ import annotations

import math

#: (upper bound exclusive, tick) for KRX equities, 2023 rules.
_EQUITY_TICKS: tuple[tuple[int, int], ...] = (
    (2_000, 1),
    (5_000, 5),
    (20_000, 10),
    (50_000, 50),
    (200_000, 100),
    (500_000, 500),
)
#: The flat grid of exchange-traded products: ETFs and ETNs alike (KRX gives ETNs the ETF tick).
ETF_TICK = 5
LIMIT_RATE = 0.30


def tick_size(price: float, *, etf: bool = False) -> int:
    """The KRX tick at ``price``; ETFs and ETNs trade on a flat 5-won grid.

    ``etf`` means any exchange-traded product: pass ``Listing.is_etp`` (ETF or ETN), not
    ``Listing.is_etf``, so that an ETN is quoted on the ETF grid as on KRX. Every helper
    below takes the same flag.
    """
    if etf:
        return ETF_TICK
    for bound, tick in _EQUITY_TICKS:
        if price < bound:
            return tick
    return 1_000


def tick_round(price: float, *, etf: bool = False) -> int:
    """Nearest grid price. Monotone because every band edge lies on both neighbouring grids."""
    tick = tick_size(price, etf=etf)
    return max(tick, round(price / tick) * tick)


def tick_floor(price: float, *, etf: bool = False) -> int:
    tick = tick_size(price, etf=etf)
    return max(tick, math.floor(price / tick + 1e-9) * tick)


def tick_ceil(price: float, *, etf: bool = False) -> int:
    tick = tick_size(price, etf=etf)
    return max(tick, math.ceil(price / tick - 1e-9) * tick)


def on_grid(price: int, *, etf: bool = False) -> bool:
    return price > 0 and price % tick_size(price, etf=etf) == 0


def price_limits(prev_close: int, *, etf: bool = False) -> tuple[int, int]:
    """(lower, upper) limit: ±30 % of the previous close, pulled inside onto the grid."""
    upper = tick_floor(prev_close * (1 + LIMIT_RATE), etf=etf)
    lower = tick_ceil(prev_close * (1 - LIMIT_RATE), etf=etf)
    return lower, upper


def step_up(price: int, steps: int = 1, *, etf: bool = False) -> int:
    """``steps`` ticks above ``price``, crossing band edges correctly."""
    for _ in range(steps):
        price += tick_size(price, etf=etf)
    return price


def step_down(price: int, steps: int = 1, *, etf: bool = False) -> int:
    """``steps`` ticks below ``price``; the tick below a band edge is the lower band's."""
    for _ in range(steps):
        price -= tick_size(price - 1, etf=etf)
    return price


# --- wire encodings -------------------------------------------------------------------


def signed_price(price: int, prev_close: int) -> str:
    """Kiwoom price field: absolute price with a ``+``/``-`` showing direction vs the previous close."""
    if price == 0:
        return "0"
    if price > prev_close:
        return f"+{price}"
    if price < prev_close:
        return f"-{price}"
    return str(price)


def signed(value: int) -> str:
    """A change field with its real sign (``"+600"``, ``"-600"``, ``"0"``)."""
    return f"+{value}" if value > 0 else str(value)


def rate(value: float) -> str:
    """A percentage with two decimals and its sign (``"+1.25"``, ``"-0.24"``, ``"0.00"``)."""
    text = f"{value:.2f}"
    if text in ("0.00", "-0.00"):
        return "0.00"
    return f"+{text}" if value > 0 else text


def change_rate(price: int, prev_close: int) -> float:
    return 0.0 if prev_close == 0 else (price - prev_close) / prev_close * 100


def sign_code(price: int, prev_close: int, lower: int, upper: int) -> str:
    """``pre_sig``: 1 upper limit, 2 up, 3 unchanged, 4 lower limit, 5 down."""
    if price in (0, prev_close):
        return "3"
    if price > prev_close:
        return "1" if price >= upper else "2"
    return "4" if price <= lower else "5"


def padded(value: int, width: int) -> str:
    """Zero-padded account amount; a negative keeps ``width`` characters with its ``-`` first."""
    if value < 0:
        return "-" + str(-value).zfill(width - 1)
    return str(value).zfill(width)
