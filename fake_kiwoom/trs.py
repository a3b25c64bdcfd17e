"""The TR table: every TR of ``tr_catalog``, at its URL group, with who answers it.

The app checks headers, auth and rate limits generically, then looks the TR up here;
handlers only see a validated ``TrRequest`` (see ``tr_types``). The table is built from
the catalog, so "which TR is at which path" (error 1504), "which fields are required"
(1511) and "which values are allowed" (1517) are read from one place for every TR.
"""

from __future__ import annotations

from collections.abc import Mapping

from tr_catalog import CATALOG
from tr_catalog.model import GROUPS

from .catalog_trs import checked, generated
from .gen import GENERATORS
from .tr_types import Handler, TrSpec
from .trs_account import kt00001, kt00004, kt00018
from .trs_chart import ka10080, ka10081
from .trs_stock import ka10001, ka10004, ka10007, ka10095, ka10099

#: Kiwoom's ``/api/dostk/{group}`` URL groups; a TR sent to another known group gets 1504, not 404.
KNOWN_GROUPS: frozenset[str] = GROUPS

#: The TRs written by hand before the catalog; they encode their own fields.
HANDWRITTEN: Mapping[str, Handler] = {
    "ka10001": ka10001,
    "ka10095": ka10095,
    "ka10099": ka10099,
    "ka10004": ka10004,
    "ka10007": ka10007,
    "ka10080": ka10080,
    "ka10081": ka10081,
    "kt00001": kt00001,
    "kt00004": kt00004,
    "kt00018": kt00018,
}


def _handler(api_id: str) -> Handler | None:
    tr = CATALOG[api_id]
    if api_id in HANDWRITTEN:
        return checked(tr, HANDWRITTEN[api_id])
    generate = GENERATORS.get(api_id)
    return generated(tr, generate) if generate is not None else None


#: Every TR the fake answers, by api-id; an api-id missing here is error 1505.
TR_TABLE: Mapping[str, TrSpec] = {
    api_id: TrSpec(api_id, tr.group, tr.required, handler)
    for api_id, tr in CATALOG.items()
    if (handler := _handler(api_id)) is not None
}
