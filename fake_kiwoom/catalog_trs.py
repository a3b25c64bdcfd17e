"""The TR table's catalog side: request rules from ``tr_catalog``, answers from a generator, encoded by the spec.

Every TR the fake serves is in the catalog. The ten TRs written by hand before the catalog
(``trs_stock``, ``trs_chart``, ``trs_account``) keep their handlers, which encode their own
fields; the catalog's request rules run before them too. Every other TR is a generator
(:mod:`fake_kiwoom.gen`) whose values are encoded here field by field, so the shape of an
answer is exactly what its spec declares: a field the generator has no value for is blank,
as Kiwoom leaves it.
"""

from __future__ import annotations

from tr_catalog import TrDef, encode, request_errors

from .envelopes import KiwoomError
from .gen import Answer, Generator
from .tr_types import Handler, TrRequest, TrResult


def checked(tr: TrDef, handler: Handler) -> Handler:
    """``handler`` behind the catalog's request rules (1511 missing, 1517 not allowed or malformed)."""

    def handle(req: TrRequest) -> TrResult:
        problems = request_errors(tr, req.body)
        if problems:
            code, detail = problems[0]
            raise KiwoomError(code, detail)
        return handler(req)

    return handle


def generated(tr: TrDef, generate: Generator) -> Handler:
    """A handler that answers ``tr`` from ``generate``'s values, encoded as the spec says."""

    def handle(req: TrRequest) -> TrResult:
        return encoded(tr, generate(req))

    return checked(tr, handle)


def encoded(tr: TrDef, answer: Answer) -> TrResult:
    fields: dict[str, object] = {f.name: encode(answer.top.get(f.name), f.encoding) for f in tr.top}
    if tr.list_key:
        fields[tr.list_key] = [{f.name: encode(row.get(f.name), f.encoding) for f in tr.rows} for row in answer.rows]
    return TrResult(fields, answer.next_key)
