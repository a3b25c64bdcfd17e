"""The TR table: which api-id lives at which URL group, what it requires, who answers it.

The app checks headers, auth and rate limits generically, then looks the TR up here;
handlers only see a validated ``TrRequest`` and return the TR's fields. Keeping the table
declarative makes "which TR is at which path" (error 1504) a lookup, not scattered code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .config import FakeKiwoomConfig
from .envelopes import KiwoomError
from .market import SyntheticMarket

#: Kiwoom's ``/api/dostk/{group}`` URL groups; a TR sent to another known group gets 1504, not 404.
KNOWN_GROUPS: frozenset[str] = frozenset(
    {"stkinfo", "mrkcond", "chart", "acnt", "rkinfo", "sect", "etf", "thme", "frgnistt", "ordr",
     "crdordr", "shsa", "slb", "elw", "websocket"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class TrRequest:
    """A request that passed header, auth, rate-limit and required-field checks."""

    api_id: str
    path: str
    body: Mapping[str, str]
    now: float
    appkey: str
    next_key: str  # empty unless the client continued with ``cont-yn: Y``
    market: SyntheticMarket
    config: FakeKiwoomConfig


@dataclass(frozen=True, slots=True)
class TrResult:
    fields: dict[str, object]
    next_key: str = ""


Handler = Callable[[TrRequest], TrResult]


@dataclass(frozen=True, slots=True)
class TrSpec:
    api_id: str
    group: str
    required: tuple[str, ...]
    handler: Handler


def _table() -> dict[str, TrSpec]:
    from . import trs_account, trs_chart, trs_stock

    specs = (
        TrSpec("ka10001", "stkinfo", ("stk_cd",), trs_stock.ka10001),
        TrSpec("ka10095", "stkinfo", ("stk_cd",), trs_stock.ka10095),
        TrSpec("ka10099", "stkinfo", ("mrkt_tp",), trs_stock.ka10099),
        TrSpec("ka10004", "mrkcond", ("stk_cd",), trs_stock.ka10004),
        TrSpec("ka10007", "mrkcond", ("stk_cd",), trs_stock.ka10007),
        TrSpec("ka10080", "chart", ("stk_cd", "tic_scope", "upd_stkpc_tp"), trs_chart.ka10080),
        TrSpec("ka10081", "chart", ("stk_cd", "base_dt", "upd_stkpc_tp"), trs_chart.ka10081),
        TrSpec("kt00001", "acnt", ("qry_tp",), trs_account.kt00001),
        TrSpec("kt00004", "acnt", ("qry_tp", "dmst_stex_tp"), trs_account.kt00004),
        TrSpec("kt00018", "acnt", ("qry_tp", "dmst_stex_tp"), trs_account.kt00018),
    )
    return {spec.api_id: spec for spec in specs}


_TABLE: dict[str, TrSpec] | None = None


def tr_table() -> dict[str, TrSpec]:
    """The TR table, built on first use (handler modules import the market lazily)."""
    global _TABLE  # noqa: PLW0603
    if _TABLE is None:
        _TABLE = _table()
    return _TABLE


def require_choice(body: Mapping[str, str], field: str, allowed: tuple[str, ...]) -> str:
    """A body field restricted to documented values; anything else is an input-format error."""
    value = body[field]
    if value not in allowed:
        raise KiwoomError(1517, f"{field}={value} (허용값: {', '.join(allowed)})")
    return value
