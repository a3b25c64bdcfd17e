"""What the chart generators share: the instant a paged answer is cut from, the listing, the base date."""

from __future__ import annotations

from datetime import date, datetime

from ..envelopes import KiwoomError
from ..listings import Listing
from ..paging import parse_key
from ..tr_types import TrRequest
from ..venues import require_venue

#: Enough trading days to reach back to the synthetic market's first day (2019).
FULL_HISTORY = 10_000


def asof(req: TrRequest) -> float:
    """The instant the answer is computed at: the first page's, so later pages cut the same snapshot."""
    return parse_key(req.api_id, req.body, req.next_key).asof if req.next_key else req.now


def listing_of(req: TrRequest) -> Listing:
    """The listing ``stk_cd`` names (1902 when none); every venue shows KRX's bars, as ka10081 does."""
    listing, _ = require_venue(str(req.body["stk_cd"]))
    return listing


def day_of(req: TrRequest, name: str) -> date:
    """A ``YYYYMMDD`` body field as a date; a well-shaped but impossible date is 1517."""
    value = str(req.body[name])
    try:
        return datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        raise KiwoomError(1517, f"{name}={value} (형식: YYYYMMDD)") from None
