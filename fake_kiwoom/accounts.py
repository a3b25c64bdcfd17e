"""Fake brokerage accounts, valued at the synthetic market's current prices.

Every app key sees the same default account: the account TRs exist to exercise
decoding and valuation arithmetic, not multi-user bookkeeping.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .listings import Listing
from .market import SyntheticMarket

DEFAULT_ACCOUNT_NO = "5012345611"


@dataclass(frozen=True, slots=True)
class Holding:
    code: str
    qty: int
    avg_price: int


@dataclass(frozen=True, slots=True)
class Account:
    number: str
    owner: str
    branch: str
    deposit: int  # 예수금, won
    holdings: tuple[Holding, ...]


DEFAULT_ACCOUNT = Account(
    number=DEFAULT_ACCOUNT_NO,
    owner="홍길동",
    branch="키움은행",
    deposit=10_000_000,
    holdings=(
        Holding("005930", 100, 68_500),
        Holding("000660", 20, 172_000),
        Holding("035420", 15, 210_000),
        Holding("247540", 10, 161_000),
        Holding("069500", 50, 34_200),
    ),
)


@dataclass(frozen=True, slots=True)
class Position:
    """One holding at the current price: evaluation = qty x price, P/L = evaluation - purchase."""

    listing: Listing
    qty: int
    avg_price: int
    price: int
    prev_close: int

    @property
    def purchase(self) -> int:
        return self.qty * self.avg_price

    @property
    def evaluation(self) -> int:
        return self.qty * self.price

    @property
    def pl(self) -> int:
        return self.evaluation - self.purchase

    @property
    def pl_rate(self) -> float:
        return round(self.pl / self.purchase * 100, 2) if self.purchase else 0.0


def account_for(appkey: str) -> Account:
    """The account an app key trades; one shared default account for now."""
    del appkey
    return DEFAULT_ACCOUNT


def positions(account: Account, market: SyntheticMarket, now: datetime | float) -> list[Position]:
    result: list[Position] = []
    for holding in account.holdings:
        quote = market.quote(holding.code, now)
        result.append(Position(quote.listing, holding.qty, holding.avg_price, quote.price, quote.prev_close))
    return result
