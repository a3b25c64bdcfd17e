"""What the detail family's generators share: the snapshot instant, request dates, signs and hashed draws."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any

from ..auction import SESSION_MINUTES
from ..envelopes import KiwoomError
from ..listings import Listing
from ..market import DailyBar, SyntheticMarket
from ..paging import parse_key
from ..prices import change_rate, price_limits, sign_code
from ..tr_types import TrRequest

#: ``stex_tp`` as the execution TRs report the venue a code's suffix names.
VENUE_NAMES: dict[str, str] = {"": "KRX", "_NX": "NXT", "_AL": "통합"}


def asof(req: TrRequest) -> float:
    """The instant an answer shows: the first page's, so every page of a continued query cuts one snapshot."""
    return parse_key(req.api_id, req.body, req.next_key).asof if req.next_key else req.now


def body_day(req: TrRequest, name: str) -> date | None:
    """A ``YYYYMMDD`` body field as a date, None when blank; an impossible date is error 1517."""
    text = str(req.body.get(name, "") or "").strip()
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        raise KiwoomError(1517, f"{name}={text} (형식: YYYYMMDD)") from None


def sign_of(price: int, prev_close: int, listing: Listing) -> str:
    """Kiwoom's sign code of ``price`` against ``prev_close``: 1 upper limit, 2 up, 3 flat, 4 lower limit, 5 down."""
    lower, upper = price_limits(prev_close, etf=listing.is_etp)
    return sign_code(price, prev_close, lower, upper)


def unit(*parts: object) -> float:
    """A uniform draw in [0, 1) from a hash of ``parts``: the same parts, the same draw, in any order of requests."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def day_change(bar: DailyBar, listing: Listing, *, price_key: str = "cur_prc") -> dict[str, Any]:
    """A daily row's price block: the close with its direction, the change, its sign code and rate."""
    return {
        price_key: (bar.close, bar.prev_close),
        "pred_pre": bar.close - bar.prev_close,
        "pred_pre_sig": sign_of(bar.close, bar.prev_close, listing),
        "flu_rt": change_rate(bar.close, bar.prev_close),
    }


def last_finished_day(market: SyntheticMarket, listing: Listing, now: float) -> date:
    """The latest trading day whose session has closed at ``now`` (data published after the close)."""
    q = market.quote(listing.code, now)
    if market.calendar.is_trading_day(q.day) and q.minutes < SESSION_MINUTES:
        return market.calendar.previous_trading_day(q.day)
    return q.day
