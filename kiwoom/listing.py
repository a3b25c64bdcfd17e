"""The ka10099 stock listing (KOSPI, KOSDAQ and ETF), read page by page for each market.

One load serves ``search_stock``, the market and sector of ``get_stock_info`` and the
resolution of stock names given where a code was expected; the client caches it like an
operation (``listing_ttl_s``). The I/O lives here rather than in :mod:`kiwoom.client` so
the facade stays a list of the seed's methods.

The lists overlap: ETFs trade on KRX's securities market, so the KOSPI list (``mrkt_tp``
0) carries every ETF as well as the ETF list (8) does; its rows say so in ``marketCode``
(8, a product type rather than the list they came in). Each code is kept once, and an
ETF keeps the ETF label whichever list shows it first.
"""

from __future__ import annotations

from typing import Any

from kiwoom.errors import EmptyResponseError
from kiwoom.operations import results
from kiwoom.transport.protocol import MARKET_CODES
from kiwoom.transport.tr import TRTransport

#: ka10099's ``mrkt_tp`` (and a row's ``marketCode``) for ETFs.
ETF_MARKET_CODE = "8"
ETF = MARKET_CODES[ETF_MARKET_CODE]


def _market(row: dict[str, Any], listed_in: str) -> str:
    """The market a row is shown under: the list it came in, unless the row says it is an ETF."""
    return ETF if str(row.get("marketCode", "")).strip() == ETF_MARKET_CODE else listed_in


async def load_listing(tr: TRTransport) -> dict[str, Any]:
    """``{"entries": [...]}``: one entry per code, in first-seen order; an ETF label wins over a market's."""
    entries: dict[str, dict[str, Any]] = {}
    for market_code, market in MARKET_CODES.items():
        for reply in await tr.pages("ka10099", {"mrkt_tp": market_code}):
            for row in results.rows_of(reply.body, "list"):
                entry = results.listing_row(row, market)
                if entry is None:
                    continue
                entry["market"] = _market(row, market)
                known = entries.get(entry["stock_code"])
                if known is None or (entry["market"] == ETF and known["market"] != ETF):
                    entries[entry["stock_code"]] = entry
    if not entries:
        raise EmptyResponseError("ka10099", "종목 리스트 없음")
    return {"entries": list(entries.values())}
