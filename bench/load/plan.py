"""The plan of a load run: the options from the command line and the runs they make.

Floors come first so that our figures can be read as ratios of floors measured minutes
earlier on the same machine; ours follows once per worker count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCENARIO_DIR = REPO / "scenarios"
DEFAULT_SCENARIOS = ("happy_path", "5xx_burst", "flapping", "total_outage", "rate_limited")
FLOOR_KINDS = ("fastmcp", "starlette")
#: Where scale-out runs keep shared state unless told otherwise: a DB the test suite leaves alone.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"


@dataclass(frozen=True, slots=True)
class Run:
    """One locust run: against ours (under ``scenario``) or a floor, with one mix."""

    label: str
    target: str  # "ours" or a floor kind
    mix: str
    scenario: str | None = None
    #: Locust runs against the same processes: ``("",)`` is one; ``("cold", "warm")`` measures
    #: the first ``duration`` seconds (cache filling behind Kiwoom's pacing, the scenario's faults)
    #: and then the next ones (steady state).
    phases: tuple[str, ...] = ("",)
    #: ``kiwoom-mcp --workers`` (ours only).
    workers: int = 1


@dataclass
class Options:
    """The command line, resolved: what every run of one invocation shares."""

    scenarios: list[str]
    users: int
    duration: int
    out: Path
    port: int
    smoke: bool
    server_env: dict[str, str] = field(default_factory=dict)
    server_log_level: str = "info"
    warm: bool = True
    #: Worker counts of our server; ``[1]`` is the single-process server the default runs measure.
    workers: list[int] = field(default_factory=lambda: [1])
    #: Shared state for our server (``KIWOOM_REDIS_URL``); ``None`` runs it on the memory backend.
    redis_url: str | None = None
    #: The scale-out benchmark: no floors, figures per worker count in ``scaling.json``.
    scaling: bool = False
    #: The chaos run (``bench/load/chaos.py``): faults injected under load, its own Redis.
    chaos: bool = False
    #: The chaos run's locust mix (the other runs choose theirs per run).
    mix: str = "mixed"


def plan(options: Options) -> list[Run]:
    """The runs, floors first (none when scaling); the smoke plan skips the price-only runs.

    Ours is measured once per worker count, labelled ``-wN`` unless the only count is the
    default single process, so that default labels (and the plot's) stay what they were.
    """
    mixes = ("mixed",) if options.smoke else ("mixed", "price_only")
    runs = [] if options.scaling else [Run(f"floor_{kind}_{mix}", kind, mix) for kind in FLOOR_KINDS for mix in mixes]
    phases = ("cold", "warm") if options.warm and not options.smoke else ("",)
    for workers in options.workers:
        suffix = "" if options.workers == [1] else f"-w{workers}"
        runs += [
            Run(scenario_path(name).stem + suffix, "ours", "mixed", name, phases, workers) for name in options.scenarios
        ]
        if not options.smoke:
            runs.append(Run(f"cache_hit{suffix}", "ours", "price_only", "happy_path", workers=workers))
    return runs


def scenario_path(name: str) -> Path:
    """``scenarios/<name>.yaml``, or ``name`` itself when it is a path to a file."""
    return Path(name) if name.endswith((".yaml", ".yml", ".json")) else SCENARIO_DIR / f"{name}.yaml"


def late_faults(path: Path) -> float:
    """The latest ``when.after_s`` of the scenario's rules: faults a short run may never reach."""
    import yaml

    rules = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("rules") or []
    return max((float((rule.get("when") or {}).get("after_s") or 0) for rule in rules), default=0.0)
