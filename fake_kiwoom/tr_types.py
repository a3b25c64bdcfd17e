"""What a TR handler receives and returns, plus the body checks handlers share.

This module sits below both the TR table (``trs.py``) and the handler modules
(``trs_account``, ``trs_chart``, ``trs_stock``): handlers import only from here, and the
table imports the handlers, so neither side has to import the other lazily.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .config import FakeKiwoomConfig
from .envelopes import KiwoomError
from .listings import Listing, find_listing, split_venue
from .market import SyntheticMarket


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


def require_choice(body: Mapping[str, str], field: str, allowed: tuple[str, ...]) -> str:
    """A body field restricted to documented values; anything else is an input-format error."""
    value = body[field]
    if value not in allowed:
        raise KiwoomError(1517, f"{field}={value} (허용값: {', '.join(allowed)})")
    return value


def require_listing(stk_cd: str) -> Listing:
    """The listing a TR's ``stk_cd`` names; an unknown code is error 1902.

    Stricter than ``find_listing``: the code must be exactly a listed code plus an optional
    venue suffix, as the live server expects, so ``A``-prefixed or padded codes are rejected.
    """
    found = find_listing(stk_cd)
    if found is None or split_venue(stk_cd)[0] != found.code:
        raise KiwoomError(1902, f"종목코드={stk_cd}")
    return found
