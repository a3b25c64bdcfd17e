"""Configuration of one fake Kiwoom server.

Defaults follow what developers measured against the live server (about one request a
second per TR with a burst of two; about 24 h token lifetime), so a client tuned
against the fake behaves the same against the real hosts. Every figure is a field so a
test or scenario can tighten or relax it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FakeKiwoomConfig:
    """Everything that shapes the fake's behaviour; the clock is passed to ``create_app`` separately."""

    seed: int = 0
    token_lifetime_s: float = 86400.0
    #: appkey -> secretkey; ``None`` accepts any non-empty pair.
    app_keys: Mapping[str, str] | None = None
    #: Token-bucket refill per (app key, api-id); ``<= 0`` disables rate limiting.
    rate_limit_per_s: float = 1.0
    rate_limit_burst: int = 2
    daily_page_size: int = 600
    minute_page_size: int = 900
    #: How many trading days of daily bars a ka10081 query reaches back from ``base_dt``.
    daily_history_days: int = 750
    #: Bounded request journal; 0 turns it off.
    journal_limit: int = 10000
