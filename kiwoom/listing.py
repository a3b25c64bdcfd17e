"""The ka10099 stock listing (KOSPI, KOSDAQ and ETF), read page by page for each market.

One load serves ``search_stock``, the market and sector of ``get_stock_info`` and the
resolution of stock names given where a code was expected; the client caches it like an
operation (``listing_ttl_s``). The I/O lives here rather than in :mod:`kiwoom.client` so
the facade stays a list of the seed's methods.
"""

from __future__ import annotations

from typing import Any

from kiwoom.errors import EmptyResponseError
from kiwoom.operations import results
from kiwoom.transport.protocol import MARKET_CODES
from kiwoom.transport.tr import TRTransport


async def load_listing(tr: TRTransport) -> dict[str, Any]:
    """``{"entries": [...]}``: one entry per code, the first market that lists it winning."""
    entries: dict[str, dict[str, Any]] = {}
    for market_code, market in MARKET_CODES.items():
        for reply in await tr.pages("ka10099", {"mrkt_tp": market_code}):
            for row in results.rows_of(reply.body, "list"):
                entry = results.listing_row(row, market)
                if entry is not None:
                    entry["market"] = market
                    entries.setdefault(entry["stock_code"], entry)
    if not entries:
        raise EmptyResponseError("ka10099", "종목 리스트 없음")
    return {"entries": list(entries.values())}
