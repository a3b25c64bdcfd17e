"""The ka10099 stock listing (KOSPI, KOSDAQ, ETF and ETN), read page by page for each market.

One load serves ``search_stock``, the market and sector of ``get_stock_info`` and the
resolution of stock names given where a code was expected; the client caches it like an
operation (``listing_ttl_s``). The I/O lives here rather than in :mod:`kiwoom.client` so
the facade stays a list of the seed's methods.

The lists overlap: ETFs trade on KRX's securities market, so the KOSPI list (``mrkt_tp``
0) carries every ETF as well as the ETF list (8) does; its rows say so in ``marketCode``
(8, a product type rather than the list they came in). ETNs come in the KOSPI list only
(Kiwoom documents no ETN list), with ``marketCode`` 60, or 70 and 90 for loss-limited and
volatility ETNs (measured by Soochol/hoga-ops, ``hoga/api/kiwoom_master.py``); they are
labelled ETN. Each code is kept once, and a product's label (ETF, ETN) wins over the
label of the list that showed it, whichever came first.
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

#: A row's ``marketCode`` for ETNs (there is no ETN ``mrkt_tp``; they come in the KOSPI list).
ETN_MARKET_CODE = "60"
ETN = "ETN"

#: The labels a row's own ``marketCode`` gives, over the list it came in: ETF, and ETN for
#: plain (60), loss-limited (70) and volatility (90) ETNs.
PRODUCT_LABELS: dict[str, str] = {ETF_MARKET_CODE: ETF, ETN_MARKET_CODE: ETN, "70": ETN, "90": ETN}
PRODUCTS = frozenset(PRODUCT_LABELS.values())


def _market(row: dict[str, Any], listed_in: str) -> str:
    """The market a row is shown under: the list it came in, unless the row says it is an ETF or ETN."""
    return PRODUCT_LABELS.get(str(row.get("marketCode", "")).strip(), listed_in)


async def load_listing(tr: TRTransport) -> dict[str, Any]:
    """``{"entries": [...]}``: one entry per code, in first-seen order; an ETF or ETN label wins over a market's."""
    entries: dict[str, dict[str, Any]] = {}
    for market_code, market in MARKET_CODES.items():
        for reply in await tr.pages("ka10099", {"mrkt_tp": market_code}):
            for row in results.rows_of(reply.body, "list"):
                entry = results.listing_row(row, market)
                if entry is None:
                    continue
                entry["market"] = _market(row, market)
                known = entries.get(entry["stock_code"])
                if known is None or (entry["market"] in PRODUCTS and known["market"] not in PRODUCTS):
                    entries[entry["stock_code"]] = entry
    if not entries:
        raise EmptyResponseError("ka10099", "종목 리스트 없음")
    return {"entries": list(entries.values())}
