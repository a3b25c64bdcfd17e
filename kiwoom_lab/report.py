"""What one run did and whether it met its expectations (the runner's and the stream runner's result)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fake_kiwoom.scenario_model import Scenario
from kiwoom_lab.checks import CallOutcome, Check
from kiwoom_lab.spec import Expect
from kiwoom_lab.timeline import Event


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
            "description": self.scenario.narrative("ko"),
            "description_en": self.scenario.narrative("en"),
            "clock": self.clock,
            "passed": self.passed,
            "wall_s": round(self.wall_s, 3),
            "overrides": self.overrides,
            "checks": [c.to_dict() for c in self.checks],
            "calls": [
                {"index": c.index, "t": c.started, "duration_s": c.duration_s, "source": c.source, "error": c.error}
                for c in self.calls
            ],
            "timeline": [e.to_dict() for e in self.events],
            "journal": self.journal,
        }
