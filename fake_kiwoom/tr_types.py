"""What a TR handler receives and returns (the catalog checks the body before a handler runs).

This module sits below both the TR table (``trs.py``) and the handler modules
(``trs_account``, ``trs_chart``, ``trs_stock``): handlers import only from here, and the
table imports the handlers, so neither side has to import the other lazily.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .config import FakeKiwoomConfig
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
