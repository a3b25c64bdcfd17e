"""The TR table: which api-id lives at which URL group, what it requires, who answers it.

The app checks headers, auth and rate limits generically, then looks the TR up here;
handlers only see a validated ``TrRequest`` (see ``tr_types``) and return the TR's fields.
Keeping the table declarative makes "which TR is at which path" (error 1504) a lookup,
not scattered code.
"""

from __future__ import annotations

from collections.abc import Mapping

from .tr_types import TrSpec
from .trs_account import kt00001, kt00004, kt00018
from .trs_chart import ka10080, ka10081
from .trs_stock import ka10001, ka10004, ka10007, ka10095, ka10099

#: Kiwoom's ``/api/dostk/{group}`` URL groups; a TR sent to another known group gets 1504, not 404.
KNOWN_GROUPS: frozenset[str] = frozenset(
    {"stkinfo", "mrkcond", "chart", "acnt", "rkinfo", "sect", "etf", "thme", "frgnistt", "ordr",
     "crdordr", "shsa", "slb", "elw", "websocket"}
)  # fmt: skip

_SPECS: tuple[TrSpec, ...] = (
    TrSpec("ka10001", "stkinfo", ("stk_cd",), ka10001),
    TrSpec("ka10095", "stkinfo", ("stk_cd",), ka10095),
    TrSpec("ka10099", "stkinfo", ("mrkt_tp",), ka10099),
    TrSpec("ka10004", "mrkcond", ("stk_cd",), ka10004),
    TrSpec("ka10007", "mrkcond", ("stk_cd",), ka10007),
    TrSpec("ka10080", "chart", ("stk_cd", "tic_scope", "upd_stkpc_tp"), ka10080),
    TrSpec("ka10081", "chart", ("stk_cd", "base_dt", "upd_stkpc_tp"), ka10081),
    TrSpec("kt00001", "acnt", ("qry_tp",), kt00001),
    TrSpec("kt00004", "acnt", ("qry_tp", "dmst_stex_tp"), kt00004),
    TrSpec("kt00018", "acnt", ("qry_tp", "dmst_stex_tp"), kt00018),
)

#: Every TR the fake answers, by api-id; an api-id missing here is error 1505.
TR_TABLE: Mapping[str, TrSpec] = {spec.api_id: spec for spec in _SPECS}
