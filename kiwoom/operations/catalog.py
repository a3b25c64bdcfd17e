"""Requests built and answers decoded from the TR catalog (``tr_catalog``), for the TRs without a hand-made method.

The client checks a body against the TR's rules before sending it, so a missing or
disallowed field fails as :class:`InvalidInputError` naming the field and the rule, and
never reaches Kiwoom. An answer is decoded field by field with the catalog's encodings:
prices lose their direction sign, amounts become ints, rates floats, dates ISO strings,
and a blank or unreadable value is None rather than a failure.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from kiwoom.errors import InvalidInputError
from tr_catalog import CATALOG, TrDef, decode
from tr_catalog.model import MISSING_FIELD_CODE


def tr_def(api_id: str) -> TrDef:
    """The catalog's TR ``api_id``; InvalidInputError naming the nearest ids when there is none."""
    tr = CATALOG.get(api_id)
    if tr is None:
        near = difflib.get_close_matches(str(api_id), list(CATALOG), n=3, cutoff=0.0)
        raise InvalidInputError("api_id", f"카탈로그에 없는 TR입니다 (비슷한 TR: {', '.join(near)})")
    return tr


def build_request(tr: TrDef, params: Mapping[str, Any]) -> dict[str, str]:
    """The body of ``tr`` from ``params`` (blank fields left out), checked against the catalog's rules."""
    known = {f.name for f in tr.request}
    unknown = sorted(set(params) - known)
    if unknown:
        raise InvalidInputError(unknown[0], f"{tr.api_id}에 없는 요청 필드입니다 (필드: {', '.join(sorted(known))})")
    body = {name: str(value) for name, value in params.items() if value is not None and str(value) != ""}
    broken = [(f.name, error) for f in tr.request if (error := f.error(body)) is not None]
    if broken:  # a missing field first, as the live server reports it (see tr_catalog.request_errors)
        name, (_, detail) = min(broken, key=lambda item: item[1][0] != MISSING_FIELD_CODE)
        raise InvalidInputError(name, detail)
    return body


def decode_answer(tr: TrDef, body: Mapping[str, Any]) -> dict[str, Any]:
    """``{"fields": {...}, "rows": [...]}`` with every declared field decoded (undeclared ones dropped)."""
    fields = {f.name: decode(body.get(f.name), f.encoding) for f in tr.top}
    rows: list[dict[str, Any]] = []
    if tr.list_key:
        raw_rows = body.get(tr.list_key)
        for raw in raw_rows if isinstance(raw_rows, list) else []:
            if isinstance(raw, Mapping):
                rows.append({f.name: decode(raw.get(f.name), f.encoding) for f in tr.rows})
    return {"fields": fields, "rows": rows}
