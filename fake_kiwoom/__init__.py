"""A fake of the Kiwoom Securities REST API backed by a deterministic synthetic market.

``create_app`` and ``SyntheticMarket`` are imported lazily on purpose: the market needs
``krx.calendar``, and importing ``kiwoom`` pulls in the client, whose embedded
sandbox imports this package. Keeping this module free of ``kiwoom`` imports lets either
package be imported first without a circular-import failure. The scenario schema has no
such dependency and is exported directly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .config import FakeKiwoomConfig
from .scenario_model import Scenario, ScenarioError, load_scenario, parse_scenario

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from .market import SyntheticMarket

__all__ = [
    "FakeKiwoomConfig",
    "Scenario",
    "ScenarioError",
    "SyntheticMarket",
    "create_app",
    "load_scenario",
    "parse_scenario",
]


def create_app(
    config: FakeKiwoomConfig | None = None,
    *,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    scenario: Scenario | None = None,
) -> Starlette:
    """Build the fake server (see ``fake_kiwoom.app.create_app``)."""
    from .app import create_app as _create_app

    return _create_app(config, clock=clock, sleep=sleep, scenario=scenario)


def __getattr__(name: str) -> Any:
    if name == "SyntheticMarket":
        from .market import SyntheticMarket

        return SyntheticMarket
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
