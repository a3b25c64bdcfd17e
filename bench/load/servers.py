"""Starting what one run loads: the fake and our server under a scenario, or a floor.

Our server gets its settings spelled out (``SERVER_DEFAULTS``), a clean environment and an
empty working directory, so that a developer's shell or ``.env`` cannot skew a run.
"""

from __future__ import annotations

import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench.load.console import RunnerError, log
from bench.load.plan import Options, Run, scenario_path
from bench.load.probes import http_json
from bench.load.processes import Child, Processes, child_env, wait_ready, wait_workers
from bench.load.redis_admin import drop_namespace
from kiwoom_lab.loopback import free_port, loopback_url

#: What our server runs with, spelled out so that a developer's environment or .env cannot skew a run.
SERVER_DEFAULTS: dict[str, str] = {
    "KIWOOM_RATE_LIMIT_PER_S": "1",
    "KIWOOM_RATE_LIMIT_BURST": "2",
    "KIWOOM_MAX_RETRIES": "3",
    "KIWOOM_RETRY_DELAY": "1.0",
    "KIWOOM_BREAKER_FAILURES": "5",
    "KIWOOM_BREAKER_COOLDOWN_S": "30",
    "KIWOOM_FALLBACK": "sample",
}
#: Log levels at which uvicorn says ``Application startup complete.`` once per worker.
_LEVELS_LOGGING_STARTUP = ("trace", "debug", "info")


@dataclass(frozen=True, slots=True)
class Ours:
    """Our server as started for one run: where it and its fake listen, and how it was set up."""

    url: str
    fake_url: str
    env: dict[str, str]
    #: Epoch time before our server started: the fake's journal from here on is its whole life.
    since: float
    #: The server's ``KIWOOM_REDIS_NAMESPACE`` (``None`` on the memory backend), removed after the run.
    namespace: str | None
    #: The processes themselves, for a run that kills or stops one on its own (the chaos run).
    fake: Child | None = None
    server: Child | None = None


def fake_argv(port: int, scenario_file: Path) -> list[str]:
    """``fake-kiwoom`` on ``port`` under a scenario, at Kiwoom's measured limit (1 request/s per TR, burst 2)."""
    return [
        sys.executable, "-m", "fake_kiwoom", "--port", str(port), "--scenario", str(scenario_file),
        "--rate-limit", "1", "--rate-burst", "2", "--log-level", "warning",
    ]  # fmt: skip


def start_ours(procs: Processes, run: Run, options: Options, port: int, workdir: Path) -> Ours:
    """Start the fake under ``run.scenario`` and our server (``--workers run.workers``) on ``port``."""
    logs = options.out / "logs"
    assert run.scenario is not None
    scenario_file = scenario_path(run.scenario)
    fake_port = free_port()
    fake_url = loopback_url(fake_port)
    fake_log = logs / f"{run.label}.fake.log"
    log(f"{run.label}: starting fake-kiwoom :{fake_port} ({scenario_file.name}) and kiwoom-mcp :{port}")
    fake = procs.start(
        "fake-kiwoom", fake_argv(fake_port, scenario_file), env=child_env({}), log_path=fake_log, cwd=workdir
    )
    wait_ready(fake, "fake-kiwoom", f"{fake_url}/__admin/health", fake_log)
    server_env = {**SERVER_DEFAULTS, **options.server_env, "KIWOOM_BASE_URL": fake_url}
    if options.scaling:
        # --workers N>1 is always stateless; one worker is made so too, so that only the count differs.
        server_env["KIWOOM_MCP_STATELESS"] = "true"
    namespace = None
    if options.redis_url:
        # A fresh namespace per server: nothing cached, no token, no breaker state from an earlier run.
        namespace = f"bench-{run.label}-{uuid.uuid4().hex[:8]}"
        server_env |= {"KIWOOM_REDIS_URL": options.redis_url, "KIWOOM_REDIS_NAMESPACE": namespace}
        redis_url = options.redis_url
        procs.after_stop(lambda: drop_namespace(redis_url, namespace))
    url = loopback_url(port)
    server_log = logs / f"{run.label}.server.log"
    since = time.time()
    argv = [sys.executable, "-m", "kiwoom", "--port", str(port), "--log-level", options.server_log_level]
    if run.workers > 1:
        argv += ["--workers", str(run.workers)]
    server = procs.start("kiwoom-mcp", argv, env=child_env(server_env), log_path=server_log, cwd=workdir)
    wait_ready(server, "kiwoom-mcp", f"{url}/readyz", server_log)
    if run.workers > 1 and options.server_log_level.lower() in _LEVELS_LOGGING_STARTUP:
        wait_workers(server, "kiwoom-mcp", server_log, run.workers)
    if options.redis_url:
        _, health = http_json(f"{url}/readyz")
        serving = ((health or {}).get("storage") or {}).get("serving_from")
        if serving != "redis":
            raise RunnerError(f"kiwoom-mcp serves from {serving!r}, not Redis ({options.redis_url}); log {server_log}")
    return Ours(url, fake_url, server_env, since, namespace, fake, server)


def start_floor(procs: Processes, run: Run, options: Options, workdir: Path) -> str:
    """Start the floor ``run.target`` on a free port; its URL."""
    floor_port = free_port()
    url = loopback_url(floor_port)
    floor_log = options.out / "logs" / f"{run.label}.log"
    log(f"{run.label}: starting the {run.target} floor :{floor_port}")
    floor = procs.start(
        run.target,
        [sys.executable, "-m", "bench.floors", run.target, "--port", str(floor_port)],
        env=child_env({}), log_path=floor_log, cwd=workdir,
    )  # fmt: skip
    wait_ready(floor, run.target, f"{url}/readyz", floor_log)
    return url
