"""Any TR of the catalog through the resilience chain: the calls behind the toolsets beyond the learning guide's.

A call names a TR and the request fields it wants to set; the rest come from the TR's
documented example request (``tr_catalog``), so ``get_rankings`` only says which market and
which order. The body is checked against the catalog's rules before anything is sent, the
answer goes through the same cache, breaker, retries and fallback as every other call
(``stale-only``: the catalog has no sample data), and it comes back decoded field by field,
with ``source`` and the rest of the provenance.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from kiwoom.errors import EmptyResponseError
from kiwoom.operations.catalog import build_request, decode_answer, tr_def
from kiwoom.resilience.guard import GuardedRun
from kiwoom.transport.tr import TRTransport

Data = dict[str, Any]
MAX_CATALOG_PAGES = 5


class CatalogCalls:
    """Catalog TRs through ``guarded``, sent with the transport ``transport()`` opens."""

    def __init__(self, guarded: GuardedRun, transport: Callable[[], Awaitable[TRTransport]]) -> None:
        self._guarded = guarded
        self._transport = transport

    async def query(self, api_id: str, params: Mapping[str, Any] | None = None, *, pages: int = 1) -> Data:
        """``api_id`` with ``params`` over its example request: ``{api_id, name, fields, rows, count, pages}``.

        ``pages`` (1 to 5) continuation pages at most are followed for a TR that pages.
        """
        tr = tr_def(api_id)
        body = build_request(tr, {**tr.example, **(params or {})})
        wanted = max(1, min(int(pages), MAX_CATALOG_PAGES))

        async def load() -> Data:
            transport = await self._transport()
            if tr.paging and wanted > 1:
                replies = await transport.pages(api_id, body, enough=lambda got: len(got) >= wanted)
            else:
                replies = [await transport.request(api_id, body)]
            first = decode_answer(tr, replies[0].body)
            rows = [row for reply in replies for row in decode_answer(tr, reply.body)["rows"]]
            if tr.list_key and not rows and not tr.extra.get("rows_may_be_empty"):
                raise EmptyResponseError(api_id, f"{tr.name} 목록 없음")
            return {
                "api_id": api_id,
                "name": tr.name,
                "fields": first["fields"],
                "rows": rows,
                "count": len(rows),
                "pages": len(replies),
            }

        return await self._guarded(f"tr:{api_id}", {"body": body, "pages": wanted}, load, fallback="stale-only")
