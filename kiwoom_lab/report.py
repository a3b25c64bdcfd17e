"""What one run did and whether it met its expectations (the runner's and the stream runner's result)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fake_kiwoom.scenario_model import Scenario
from kiwoom.config import Settings
from kiwoom.wiring import guard_config
from kiwoom_lab.checks import CallOutcome, Check
from kiwoom_lab.spec import Expect
from kiwoom_lab.timeline import Event


@dataclass(frozen=True, slots=True)
class CachePolicy:
    """How long the run's client kept results: the chart draws each cached answer's fresh and stale windows."""

    default_ttl_s: float
    #: Per-operation TTLs (``KIWOOM_CACHE_TTL_OVERRIDES``, and the listing's own TTL).
    ttl_overrides: Mapping[str, float]
    #: How long past its TTL a result may still answer a failure (``KIWOOM_STALE_IF_ERROR_S``).
    stale_s: float

    @classmethod
    def of(cls, settings: Settings) -> CachePolicy:
        """Read as the client's guard reads it, so the chart and the client cannot disagree."""
        config = guard_config(settings)
        return cls(config.default_ttl_s, dict(config.ttl_overrides), config.stale_window_s)

    def ttl_for(self, operation: str) -> float:
        return self.ttl_overrides.get(operation, self.default_ttl_s)

    def to_dict(self) -> dict[str, Any]:
        return {"ttl_s": self.default_ttl_s, "ttl_overrides": dict(self.ttl_overrides), "stale_s": self.stale_s}


@dataclass(slots=True)
class RunReport:
    """What one run did and whether it met its expectations."""

    scenario: Scenario
    expect: Expect
    source: str
    events: list[Event]
    calls: list[CallOutcome]
    checks: list[Check]
    journal: list[dict[str, Any]]
    wall_s: float
    #: ``--set`` overrides the run was made with (``KIWOOM_*`` → value): shown wherever the run is.
    overrides: dict[str, str] = field(default_factory=dict)
    #: The run's cache TTLs and stale window (None: unknown, nothing drawn).
    cache: CachePolicy | None = None

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def clock(self) -> str:
        return self.expect.clock

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario.name,
            "file": self.source,
            # Both languages, as the file has them (one plain text gives the same text twice).
            "description": {"ko": self.scenario.narrative("ko"), "en": self.scenario.narrative("en")},
            "clock": self.clock,
            "passed": self.passed,
            "wall_s": round(self.wall_s, 3),
            "overrides": self.overrides,
            "cache": self.cache.to_dict() if self.cache is not None else None,
            "checks": [c.to_dict() for c in self.checks],
            "calls": [
                {"index": c.index, "t": c.started, "duration_s": c.duration_s, "source": c.source, "error": c.error}
                for c in self.calls
            ],
            "timeline": [e.to_dict() for e in self.events],
            "journal": self.journal,
        }
