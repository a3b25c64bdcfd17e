"""``FakeState``: everything one fake server instance owns (also reachable as ``app.state.fake``).

It lives in its own module so the endpoints (``app``) and the admin routes (``admin``)
share it without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .config import FakeKiwoomConfig
from .faults import Sleep
from .journal import Journal
from .market import SyntheticMarket
from .ratelimit import RateLimiter
from .scenario_engine import ScenarioEngine
from .tokens import TokenStore


@dataclass
class FakeState:
    config: FakeKiwoomConfig
    clock: Callable[[], float]
    market: SyntheticMarket
    journal: Journal
    engine: ScenarioEngine
    sleep: Sleep
    tokens: TokenStore = field(default_factory=TokenStore)
    limiter: RateLimiter = field(default_factory=lambda: RateLimiter(0, 1))

    def reset(self) -> None:
        """Forget every request: journal, tokens, rate buckets, scenario counters and time origin.

        The loaded scenario stays loaded; it starts again as if just loaded.
        """
        self.journal.clear()
        self.tokens.clear()
        self.limiter.clear()
        self.engine.reset()
