"""ka10095 (관심종목정보) rows per code, and the watchlist result assembled from per-code quotes.

ka10095 answers an unknown code with a blank row rather than with an error (and the live
server leaves that row's ``stk_cd`` blank), so rows are matched to codes by ``stk_cd`` and a
code without a priced row is "unknown": :func:`not_found` builds the same
:class:`StockNotFoundError` (1902) ka10001 gives one unknown stock, so a batched lookup
fails its own caller exactly as a single one would. An empty row list is different: Kiwoom
said nothing about any code, the seed's "API 응답 없음".

:func:`assemble` makes ``get_stock_prices``'s answer out of one guarded lookup per code, so
each entry keeps its own provenance and the whole says the least fresh of them.
"""

from __future__ import annotations

from typing import Any

from kiwoom.errors import STOCK_NOT_FOUND_CODE, EmptyResponseError, KiwoomError, StockNotFoundError
from kiwoom.operations import results
from kiwoom.operations.validation import echo

API_ID = "ka10095"

Row = dict[str, Any]
#: Each entry of ``prices`` keeps where its own quote came from.
ENTRY_PROVENANCE = ("source", "timestamp", "cache_age_s", "fallback_reason")
#: From the freshest to the least fresh: the whole takes the last one any entry has.
FRESHNESS = ("live", "simulated", "cache", "stale")


def batch_rows(body: dict[str, Any], codes: list[str]) -> dict[str, Row | None]:
    """Each of ``codes``' ka10095 row, or None when Kiwoom sent a blank row (an unknown code)."""
    rows = results.rows_of(body, "atn_stk_infr")
    if not rows:
        raise EmptyResponseError(API_ID, "관심종목 목록 없음")
    exact = {str(row.get("stk_cd", "")).strip(): row for row in rows}
    bare = {results.strip_venue(code): row for code, row in exact.items() if code}
    found: dict[str, Row | None] = {}
    for code in codes:
        row = exact.get(code) or bare.get(results.strip_venue(code))
        found[code] = row if row is not None and str(row.get("cur_prc", "")).strip() else None
    return found


def not_found(codes: list[str], api_id: str = API_ID) -> StockNotFoundError:
    """Kiwoom answered (return_code 0) and knew none of ``codes``."""
    message = f"종목 정보가 없습니다: {echo(', '.join(codes))}"
    return StockNotFoundError(api_id, 0, STOCK_NOT_FOUND_CODE, message, 200)


def entry(quote: dict[str, Any]) -> dict[str, Any]:
    """One ``prices`` entry: the quote fields and its own provenance, without the per-call figures."""
    kept = {key: quote[key] for key in ENTRY_PROVENANCE if quote.get(key) is not None}
    return {**{key: quote.get(key) for key in results.QUOTE_FIELDS}, **kept}


def assemble(
    codes: list[str], outcomes: list[dict[str, Any] | BaseException]
) -> tuple[dict[str, Any], list[KiwoomError]]:
    """``{"prices", "not_found", "unavailable", "count"}`` plus provenance, and the failures behind ``unavailable``.

    ``outcomes`` are the per-code guarded lookups in ``codes``' order: a quote, a
    :class:`StockNotFoundError`, or the error of a code that had neither a live nor a stale quote.
    """
    prices: list[dict[str, Any]] = []
    unknown: list[str] = []
    unavailable: list[dict[str, str]] = []
    failures: list[KiwoomError] = []
    for code, outcome in zip(codes, outcomes, strict=True):
        if isinstance(outcome, StockNotFoundError):
            unknown.append(code)
        elif isinstance(outcome, KiwoomError):
            unavailable.append({"stock_code": code, "error": str(outcome)})
            failures.append(outcome)
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            prices.append(entry(outcome))
    result: dict[str, Any] = {"prices": prices, "not_found": unknown, "unavailable": unavailable, "count": len(prices)}
    if prices:
        result.update(provenance(prices, [o for o in outcomes if isinstance(o, dict)]))
    return result, failures


def provenance(prices: list[dict[str, Any]], quotes: list[dict[str, Any]]) -> dict[str, Any]:
    """The whole's provenance: the least fresh entry's source, the oldest fetch time, the oldest age."""
    sources = [p.get("source", "live") for p in prices]
    worst = max(sources, key=lambda s: FRESHNESS.index(s) if s in FRESHNESS else 0)
    whole: dict[str, Any] = {"source": worst}
    stamps = [p["timestamp"] for p in prices if p.get("timestamp")]
    if stamps:
        whole["timestamp"] = min(stamps)
    ages = [p["cache_age_s"] for p in prices if p.get("cache_age_s") is not None]
    if ages:
        whole["cache_age_s"] = max(ages)
    reasons = [p["fallback_reason"] for p in prices if p.get("fallback_reason")]
    if reasons:
        whole["fallback_reason"] = reasons[0]
    whole["attempts"] = max((int(q.get("attempts") or 0) for q in quotes), default=0)
    return whole
