"""A ka10095 (관심종목정보) body as the batch quote of ``get_stock_prices``.

ka10095 answers an unknown code with a row whose price is blank rather than with an
error, so this is where "unknown stock" is decided for a batch: such codes go to
``not_found``, and a batch in which no code is known is Kiwoom's verdict, raised as
:class:`StockNotFoundError` (1902, the code ka10001 gives one unknown stock) so that the
guard reports it instead of inventing sample prices for codes that do not exist. An
empty row list is different: Kiwoom said nothing about any code, the seed's "API 응답 없음".
"""

from __future__ import annotations

from typing import Any

from kiwoom.errors import STOCK_NOT_FOUND_CODE, EmptyResponseError, StockNotFoundError
from kiwoom.operations import results
from kiwoom.operations.validation import echo

API_ID = "ka10095"


def watchlist_quotes(body: dict[str, Any], codes: list[str]) -> dict[str, Any]:
    """``{"prices", "not_found", "count"}`` for ``codes`` (validated, in the caller's order)."""
    rows = results.rows_of(body, "atn_stk_infr")
    if not rows:
        raise EmptyResponseError(API_ID, "관심종목 목록 없음")
    by_code = {results.strip_venue(str(r.get("stk_cd", ""))): r for r in rows}
    prices, not_found = [], []
    for code in codes:
        row = by_code.get(results.strip_venue(code))
        if row is None or not str(row.get("cur_prc", "")).strip():
            not_found.append(code)
        else:
            prices.append(results.quote(row, code))
    if not prices:
        # Kiwoom answered (return_code 0) for every code, and knew none of them.
        message = f"종목 정보가 없습니다: {echo(', '.join(not_found))}"
        raise StockNotFoundError(API_ID, 0, STOCK_NOT_FOUND_CODE, message, 200)
    return {"prices": prices, "not_found": not_found, "count": len(prices)}
