"""A fake of the Kiwoom Securities REST API backed by a deterministic synthetic market."""

from __future__ import annotations

from .app import create_app
from .config import FakeKiwoomConfig
from .market import SyntheticMarket
from .scenario_model import Scenario, ScenarioError, load_scenario, parse_scenario

__all__ = [
    "FakeKiwoomConfig",
    "Scenario",
    "ScenarioError",
    "SyntheticMarket",
    "create_app",
    "load_scenario",
    "parse_scenario",
]
