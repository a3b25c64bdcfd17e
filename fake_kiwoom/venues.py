"""Trading venues behind a stock code's suffix: KRX (bare code), Nextrade (``_NX``), both (``_AL``).

Since March 2025 a KRX-listed stock may also trade on Nextrade (NXT), and Kiwoom's quote
TRs take the venue from the code: ``005930`` is KRX alone, ``005930_NX`` Nextrade alone and
``005930_AL`` the two combined (live: 19.4 M shares traded on KRX against 35.0 M combined).
The fake's model, deterministic and deliberately simple:

* Which listings trade on NXT: ``Listing.nxt_enabled`` (large and mid caps of KOSPI and
  KOSDAQ; no ETFs), the same flag ka10099 reports as ``nxtEnable``.
* NXT trades a fixed share of KRX's continuous-trading volume, ``nxt_share`` (between 30 %
  and 90 % of it, fixed per listing by a hash of its code, whatever the seed or the day). It
  takes no part in KRX's closing auction, and its own pre-market (08:00-08:50) and
  after-market (15:30-20:00) sessions are not modelled: its volume grows with KRX's from
  09:00 to 15:20 and then stands still.
* Prices are the instrument's, the same on every venue (a simplification: real NXT prices
  differ from KRX's by a tick or two); volumes, traded values and order-book quantities
  follow the venue: ``_NX`` NXT's share, ``_AL`` the sum. The order book keeps KRX's price
  levels on every venue, with NXT's quantities scaled by the same share.
* A listing without NXT: ``_AL`` is KRX alone (there is nothing to add) and ``_NX`` names
  an instrument that does not exist, so each TR answers as it does for an unknown code
  (ka10001, ka10004 and the charts 1902; ka10007 a blank answer; ka10095 a blank row). No
  public measurement of the live answer was found; this is the fake's documented choice.
* Charts (ka10080, ka10081) accept the suffixes but show KRX's bars on every venue.
"""

from __future__ import annotations

import dataclasses
import hashlib

from .envelopes import KiwoomError
from .listings import Listing, find_listing, split_venue
from .market import OrderBook, Quote

KRX, NXT, ALL = "", "_NX", "_AL"

#: NXT's volume as a fraction of KRX's continuous-trading volume spans this range.
NXT_SHARE_RANGE: tuple[float, float] = (0.3, 0.9)


def nxt_share(listing: Listing) -> float:
    """NXT's volume per share traded on KRX in continuous trading; 0 for a listing NXT does not trade."""
    if not listing.nxt_enabled:
        return 0.0
    digest = hashlib.blake2b(f"nxt:{listing.code}".encode(), digest_size=8).digest()
    low, high = NXT_SHARE_RANGE
    return low + (high - low) * int.from_bytes(digest, "big") / 2.0**64


def find_venue(stk_cd: str) -> tuple[Listing, str] | None:
    """The listing and venue suffix ``stk_cd`` names, or None when no such instrument trades.

    As strict as the live server: the code must be a listed code plus an optional suffix
    (no ``A`` prefix, no padding), and ``_NX`` needs a listing that trades on NXT.
    """
    code, suffix = split_venue(stk_cd)
    listing = find_listing(stk_cd)
    if listing is None or code != listing.code:
        return None
    if suffix == NXT and not listing.nxt_enabled:
        return None
    return listing, suffix


def require_venue(stk_cd: str) -> tuple[Listing, str]:
    """``find_venue`` for TRs that answer an unknown code with error 1902."""
    found = find_venue(stk_cd)
    if found is None:
        raise KiwoomError(1902, f"종목코드={stk_cd}")
    return found


def venue_quote(q: Quote, suffix: str) -> Quote:
    """``q`` (KRX) as seen on the venue ``suffix`` names: the same prices, that venue's volumes."""
    share = nxt_share(q.listing)
    if suffix == KRX or share == 0.0:
        return q
    volume = int((q.volume - q.auction_volume) * share)
    prev_volume = int((q.prev_volume - q.prev_auction_volume) * share)
    value = q.value * volume // q.volume if q.volume else 0
    if suffix == NXT:
        return dataclasses.replace(
            q, volume=volume, value=value, prev_volume=prev_volume, auction_volume=0, prev_auction_volume=0
        )
    return dataclasses.replace(
        q, volume=q.volume + volume, value=q.value + value, prev_volume=q.prev_volume + prev_volume
    )


def venue_book(book: OrderBook, listing: Listing, suffix: str) -> OrderBook:
    """``book`` (KRX) on the venue ``suffix`` names: KRX's price levels, that venue's quantities."""
    share = nxt_share(listing)
    if suffix == KRX or share == 0.0:
        return book

    def level(price: int, qty: int) -> tuple[int, int]:
        if not price:
            return price, qty
        nxt = max(1, int(qty * share))
        return price, nxt if suffix == NXT else qty + nxt

    return OrderBook(tuple(level(*a) for a in book.asks), tuple(level(*b) for b in book.bids))
