"""What a generator returns, and the helpers every family shares (paging, the market's universe)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..listings import LISTINGS, Listing, Market
from ..paging import Cursor, make_key, page, parse_key
from ..tr_types import TrRequest

Values = dict[str, Any]


@dataclass(slots=True)
class Answer:
    """A TR's answer as values: top-level fields, the rows of its list, and the next page's key."""

    top: Values = field(default_factory=dict)
    rows: list[Values] = field(default_factory=list)
    next_key: str = ""


Generator = Callable[[TrRequest], Answer]


def stocks(market: Market | None = None) -> list[Listing]:
    """The listed stocks (no ETFs), of one market or both."""
    return [x for x in LISTINGS if not x.is_etp and (market is None or x.market is market)]


def paged(req: TrRequest, rows: list[Values], size: int, top: Values | None = None) -> Answer:
    """One page of ``rows`` (``size`` a page) with the continuation key of the next, as ``cont-yn`` wants."""
    cursor = parse_key(req.api_id, req.body, req.next_key) if req.next_key else Cursor(0, req.now)
    chunk, following = page(rows, cursor.offset, size)
    key = make_key(req.api_id, req.body, Cursor(following, cursor.asof)) if following is not None else ""
    return Answer(top or {}, chunk, key)
