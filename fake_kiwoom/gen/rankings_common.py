"""What the ranking generators share: the snapshot instant, the market and venue asked for, the stock conditions.

A ranking ranks the quotes ka10001 reports at the same instant: every listed stock of the
market ``mrkt_tp`` names is quoted with ``SyntheticMarket.quote`` at the snapshot instant,
on the venue ``stex_tp`` names (``venues.py``: 1 KRX, 2 Nextrade, 3 both combined), and the
rows are sorted and paged. A continued query keeps the first page's instant (carried in the
next-key), so the pages of one query never overlap or skip a stock even as prices move.

Codes come back as the venue writes them, as public clients measured against the live
server (they strip the suffix): bare for KRX (``005930``), ``005930_NX`` for Nextrade and
``005930_AL`` for the combined venue, each exactly the code ka10001 takes for that quote.
ka10019's price jumps (``detail_jumps``) write their codes the same way.

Markets: ``000`` KOSPI and KOSDAQ, ``001`` KOSPI, ``101`` KOSDAQ. ETFs trade on the KOSPI
market; they are listed only by the TRs whose stock condition offers to leave them out
(ka10023, ka10027, ka10029, ka10030), which is how Kiwoom documents that those rankings
hold ETFs. The conditions the fake has data for are honoured (ETFs, preferred shares,
SPACs; margin-rate groups as ka10099 states them: every listing is 증거금20%); the
administrative-issue, liquidation and credit-group conditions are accepted and keep every
stock, as the fake designates no such issues and keeps no credit groups.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from krx.calendar import KST, REGULAR_CLOSE

from ..auction import SESSION_MINUTES
from ..envelopes import KiwoomError
from ..listings import LISTINGS, Listing, Market
from ..market import OrderBook, Quote, SyntheticMarket
from ..paging import parse_key
from ..prices import change_rate, sign_code
from ..tr_types import TrRequest
from ..venues import ALL, KRX, NXT, venue_book, venue_quote
from .base import Answer, Values, paged

#: Rows a page of a ranking (not measured: Kiwoom documents continuation for these TRs, not the page size).
PAGE_SIZE = 50

VENUES: dict[str, str] = {"1": KRX, "2": NXT, "3": ALL}
MARKETS: dict[str, frozenset[Market]] = {
    "000": frozenset({Market.KOSPI, Market.KOSDAQ}),
    "001": frozenset({Market.KOSPI}),
    "101": frozenset({Market.KOSDAQ}),
}
#: Markets whose stocks' lists carry the ETFs too (ETFs are listed on the KOSPI market).
ETF_MARKETS = frozenset({"000", "001"})

#: The margin rate (증거금률) every listing has in the fake, as ka10099's ``state`` says.
MARGIN_RATE = 20
#: Stock conditions (``stk_cnd``, ka10030's ``mang_stk_incls``) that show one margin-rate group only.
_MARGIN_ONLY: dict[str, int] = {"6": 100, "7": 40, "8": 30, "9": 20, "12": 50, "13": 60}
_NO_PREFERRED = frozenset({"3", "4"})
_NO_ETF = frozenset({"14", "16", "18", "20"})
_NO_SPAC = frozenset({"15", "20"})

INF = math.inf


@dataclass(frozen=True, slots=True)
class Entry:
    """One stock on the venue asked for: its listing, the code as the venue writes it, and its quote."""

    listing: Listing
    code: str
    suffix: str
    quote: Quote


def asof(req: TrRequest) -> float:
    """The instant the answer shows: the first page's, so every page of a query ranks one snapshot."""
    return parse_key(req.api_id, req.body, req.next_key).asof if req.next_key else req.now


def preferred(listing: Listing) -> bool:
    """Preferred shares end their code in a non-zero digit (005935 삼성전자우)."""
    return not listing.code.endswith("0")


def passes(listing: Listing, condition: str) -> bool:
    """Whether ``listing`` meets a stock condition (``stk_cnd``); conditions without data keep every stock."""
    if condition in _MARGIN_ONLY:
        return _MARGIN_ONLY[condition] == MARGIN_RATE
    if condition in _NO_PREFERRED and preferred(listing):
        return False
    if condition in _NO_ETF and listing.is_etp:
        return False
    return not (condition in _NO_SPAC and "스팩" in listing.name)


def listings_of(mrkt_tp: str, *, etfs: bool) -> list[Listing]:
    """The listings of ``mrkt_tp``, ETFs included when the TR lists them."""
    markets = MARKETS[mrkt_tp] | ({Market.ETF, Market.ETN} if etfs and mrkt_tp in ETF_MARKETS else set())
    return [x for x in LISTINGS if x.market in markets]


def entries(req: TrRequest, now: float, *, etfs: bool = False, condition: str = "0") -> list[Entry]:
    """Every stock of the request's market on its venue that meets ``condition``, quoted at ``now``."""
    suffix = VENUES[req.body.get("stex_tp") or "1"]
    found: list[Entry] = []
    for listing in listings_of(req.body["mrkt_tp"], etfs=etfs):
        if suffix == NXT and not listing.nxt_enabled:
            continue
        if not passes(listing, condition):
            continue
        q = venue_quote(req.market.quote(listing.code, now), suffix)
        found.append(Entry(listing, listing.code + suffix, suffix, q))
    return found


def book(market: SyntheticMarket, e: Entry, now: float) -> OrderBook:
    """The order book ka10004 shows for the entry's code at ``now``."""
    return venue_book(market.order_book(e.listing.code, now), e.listing, e.suffix)


def sign(q: Quote) -> str:
    """Kiwoom's sign code of the quote: 1 upper limit, 2 up, 3 flat, 4 lower limit, 5 down."""
    return sign_code(q.price, q.prev_close, q.lower, q.upper)


def price_block(e: Entry) -> Values:
    """Code, name and the quote's price against the previous close, as every ranking row starts."""
    q = e.quote
    return {
        "stk_cd": e.code,
        "stk_nm": e.listing.name,
        "cur_prc": (q.price, q.prev_close),
        "pred_pre_sig": sign(q),
        "pred_pre": q.change,
        "flu_rt": change_rate(q.price, q.prev_close),
    }


def bid_price(price: int, prev_close: int) -> int | tuple[int, int]:
    """An order-book price with its direction; an empty level (no ask at the upper limit) is a plain 0, as live."""
    return (price, prev_close) if price else 0


def at_limit(q: Quote) -> bool:
    return q.price >= q.upper or q.price <= q.lower


def thousands(value: str) -> int:
    """A volume condition: the documented codes are thousands of shares (``0010`` 만주, ``00100`` 10만주)."""
    return int(value) * 1000


def ranked(req: TrRequest, scored: Iterable[tuple[Any, Values]], *, rank_field: str | None = None) -> Answer:
    """Rows sorted by their key (ties by code), numbered when the TR has a rank field, and paged."""
    rows = [row for _, row in sorted(scored, key=lambda item: (item[0], item[1]["stk_cd"]))]
    if rank_field:
        for n, row in enumerate(rows, start=1):
            row[rank_field] = n
    return paged(req, rows, PAGE_SIZE)


def enrich(answer: Answer, extra: Callable[[Values], Values]) -> Answer:
    """``answer`` with ``extra``'s values added to each row of the page (work done for the page's rows only)."""
    for row in answer.rows:
        row.update(extra(row))
    return answer


def reference_instant(market: SyntheticMarket, now: float) -> float:
    """The instant a change "in the last minutes" is measured at: ``now`` while the day's session is open
    (or yet to open), the day's close once it has closed, so a surge list after hours shows the session's end."""
    q = market.quote(LISTINGS[0].code, now)
    if q.minutes < SESSION_MINUTES:
        return now
    return datetime.combine(q.day, REGULAR_CLOSE, tzinfo=KST).timestamp()


def minutes_field(req: TrRequest, name: str, default: int = 1) -> int:
    """A minutes count from the body (blank: ``default``); out of 1..1440 is an input error (1517)."""
    text = str(req.body.get(name, "") or "").strip()
    if not text:
        return default
    minutes = int(text)
    if not 1 <= minutes <= 24 * 60:
        raise KiwoomError(1517, f"{name}={text} (1~1440분)")
    return minutes
