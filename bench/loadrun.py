"""One command for the locust load runs: ours under each scenario, beside the two floors.

``python -m bench.loadrun --scenarios happy_path,5xx_burst --users 20 --duration 20 --out bench/results``

For each scenario it starts ``fake-kiwoom --scenario scenarios/<name>.yaml`` (Kiwoom's
measured rate limit: 1 request/s per TR, burst 2) on a free port and ``kiwoom-mcp`` on
8030 (or a free port when 8030 is taken) pointed at it, waits for ``/readyz``, runs locust
headless for a bounded time, reads the fake's journal and our ``/metrics``, and stops both.
In the same run it measures the two floors (``bench/floors.py``) with the same users and
duration, with the mixed and the price-only (cache-hit) mix, and a cache-hit run of ours,
because only ratios measured side by side mean anything on a noisy 2-core machine.

Outputs under ``--out``: ``<run>.html`` (locust's report), ``<run>.json`` (locust's stats,
the gate: its CSV can miss the end of a run), ``<run>.stats.json`` (sources and statuses
the locust user saw), ``logs/``, and ``summary.json`` with every figure. Exit status: 0;
1 when our server answered any HTTP 5xx (the gate); 2 when a process did not start or
locust wrote no JSON. Every process runs in its own process group and is stopped
(SIGTERM, then SIGKILL after a bound) whatever happens.

Scale-out: ``--workers 1,2,4`` runs our server as ``kiwoom-mcp --workers N`` for each count
(runs labelled ``-wN``), sharing state through Redis (``--redis-url``, by default DB 14 of
the local Redis as soon as a count above 1 is asked, and then for every count, so that the
counts are compared on the same backend) under a fresh ``KIWOOM_REDIS_NAMESPACE`` per
server, removed afterwards. ``--scaling 1,2,4`` is the scale-out benchmark: per count, the
scenarios (default happy_path) cold and warm plus the cache-hit run, no floors, written to
``scaling.json`` (``summary.json`` is left alone); its figures include what only a whole
server life shows: token issues (one per run with Redis) and ``ka10001`` requests per code
(one per code and operation per TTL window). A count that fails to start is recorded and the next one still runs;
the exit status is then 2.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.mcp_wire import (
    distinct_mixed_calls,
    initialize_body,
    initialized_notification,
    judge_tool_response,
    parse_rpc_response,
    percentile,
    request_headers,
    session_of,
    tool_call_body,
)

REPO = Path(__file__).resolve().parent.parent
LOCUSTFILE = REPO / "bench" / "locustfile.py"
SCENARIO_DIR = REPO / "scenarios"
DEFAULT_SCENARIOS = ("happy_path", "5xx_burst", "flapping", "total_outage", "rate_limited")
FLOOR_KINDS = ("fastmcp", "starlette")
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
START_TIMEOUT_S = 30.0
#: Filling the cache takes about 45 s (40 ka10001 loads at Kiwoom's 1 request/s); bound it anyway.
PREWARM_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 10.0
CACHE_HIT_TARGET = 0.9
OUTAGE_P99_TARGET_MS = 20.0
#: Where scale-out runs keep shared state unless told otherwise: a DB the test suite leaves alone.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"


class RunnerError(RuntimeError):
    """A process did not start, or a run left no locust JSON: the figures would be meaningless."""


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


def log(message: str) -> None:
    print(message, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def http_json(url: str, body: dict[str, Any] | None = None, timeout_s: float = 5.0) -> tuple[int, Any]:
    """GET (or POST ``body`` as JSON) and decode the answer; errors come back as (status, None)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except (OSError, ValueError):
        return 0, None


def http_text(url: str, timeout_s: float = 5.0) -> str:
    with urllib.request.urlopen(url, timeout=timeout_s) as response:
        text: str = response.read().decode("utf-8")
        return text


class Processes:
    """Child processes, each in its own process group, stopped in reverse order on exit."""

    def __init__(self) -> None:
        self._children: list[tuple[str, subprocess.Popen[bytes]]] = []
        #: Run once every child is stopped (e.g. removing the run's Redis keys), whatever happened.
        self._after_stop: list[Callable[[], object]] = []

    def after_stop(self, action: Callable[[], object]) -> None:
        self._after_stop.append(action)

    def start(self, name: str, argv: Sequence[str], *, env: dict[str, str], log_path: Path, cwd: Path) -> None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("wb") as sink:
            child = subprocess.Popen(
                list(argv), env=env, cwd=cwd, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
            )
        self._children.append((name, child))

    def alive(self, name: str) -> bool:
        return any(n == name and c.poll() is None for n, c in self._children)

    def stop_all(self) -> dict[str, float]:
        """SIGTERM each group, wait up to :data:`STOP_TIMEOUT_S`, then SIGKILL; how long each took."""
        took: dict[str, float] = {}
        while self._children:
            name, child = self._children.pop()
            started = time.monotonic()
            if child.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGTERM)
                try:
                    child.wait(STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    log(f"    {name} ignored SIGTERM for {STOP_TIMEOUT_S:.0f} s: killing it")
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(child.pid, signal.SIGKILL)
                    child.wait(5)
            took[name] = round(time.monotonic() - started, 2)
        while self._after_stop:
            self._after_stop.pop()()
        return took


@contextlib.contextmanager
def processes() -> Iterator[Processes]:
    procs = Processes()
    try:
        yield procs
    finally:
        procs.stop_all()


def wait_ready(procs: Processes, name: str, url: str, log_path: Path) -> None:
    """Poll ``url`` until it answers 200; fail fast if the process died."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if not procs.alive(name):
            tail = log_path.read_text(errors="replace")[-800:]
            raise RunnerError(f"{name} exited during start-up; log {log_path}:\n{tail}")
        status, _ = http_json(url, timeout_s=2.0)
        if status == 200:
            return
        time.sleep(0.2)
    raise RunnerError(f"{name} not ready at {url} after {START_TIMEOUT_S:.0f} s; log {log_path}")


def child_env(extra: dict[str, str]) -> dict[str, str]:
    """This environment without any ``KIWOOM_*`` (reproducible runs, no real keys), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIWOOM_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def read_locust(json_path: Path, duration_s: int) -> dict[str, Any]:
    """Tool-call figures from locust's JSON stats (initialize and notifications left out).

    Throughput is calls over the whole run (``-t``): a span from first to last request would
    turn one call in a run where every user is stuck into a huge rate.
    """
    if not json_path.is_file():
        raise RunnerError(f"locust wrote no JSON stats ({json_path})")
    entries: list[dict[str, Any]] = json.loads(json_path.read_text())
    calls = [e for e in entries if str(e["name"]).startswith("tools/call ")]
    histogram: Counter[float] = Counter()
    for entry in calls:
        for ms, n in entry["response_times"].items():
            histogram[float(ms)] += int(n)
    requests = sum(int(e["num_requests"]) for e in calls)
    return {
        "tool_calls": requests,
        "failures": sum(int(e["num_failures"]) for e in calls),
        "session_failures": sum(int(e["num_failures"]) for e in entries if e not in calls),
        "rps": round(requests / duration_s, 1),
        "p50_ms": percentile(histogram, 0.50),
        "p95_ms": percentile(histogram, 0.95),
        "p99_ms": percentile(histogram, 0.99),
        "max_ms": max((float(e["max_response_time"]) for e in calls), default=None),
        "per_tool": {
            str(e["name"]).removeprefix("tools/call "): {"calls": e["num_requests"], "failures": e["num_failures"]}
            for e in calls
        },
    }


def read_journal(fake_url: str, since: float) -> dict[str, Any]:
    """TR requests the fake saw from ``since`` on (token calls left out), by api-id; 429s and 1700s.

    ``since`` is epoch time on this machine, which is the fake's clock too (journal ``ts``).
    """
    status, answer = http_json(f"{fake_url}/__admin/requests", timeout_s=10.0)
    if status != 200 or not isinstance(answer, dict):
        raise RunnerError(f"fake journal unreadable (HTTP {status})")
    journal: list[dict[str, Any]] = answer["requests"]
    entries = [e for e in journal if float(e["ts"]) >= since]
    trs = [e for e in entries if str(e.get("path", "")).startswith("/api/")]
    _, count_429 = http_json(f"{fake_url}/__admin/requests/count", {"status": 429, "since_ts": since})
    return {
        "tr_requests": len(trs),
        "by_api_id": dict(Counter(str(e["api_id"]) for e in trs).most_common()),
        "by_status": {str(k): v for k, v in Counter(e["status"] for e in trs).most_common()},
        "faults": dict(Counter(str(e["fault"]) for e in trs if e["fault"]).most_common()),
        "status_429": (count_429 or {}).get("count"),
        # The fake's own rate limiter (fault null) answers 1700 when a client outruns the TR limit:
        # that is the target (0). A scenario's scripted 1700s (rate_limited) are counted apart.
        "kiwoom_1700": sum(1 for e in trs if e.get("detail_code") == 1700 and not e.get("fault")),
        "kiwoom_1700_injected": sum(1 for e in trs if e.get("detail_code") == 1700 and e.get("fault")),
        "token_issues": sum(1 for e in entries if e.get("api_id") == "au10001"),
        "journal_full": len(journal) >= 10000,
    }


def tool_latency_buckets(server_url: str) -> dict[float, float]:
    """Our ``kiwoom_mcp_tool_latency_seconds`` histogram over all tools: {upper bound s: cumulative count}."""
    from prometheus_client.parser import text_string_to_metric_families

    buckets: dict[float, float] = {}
    for family in text_string_to_metric_families(http_text(f"{server_url}/metrics")):
        for sample in family.samples:
            if sample.name == "kiwoom_mcp_tool_latency_seconds_bucket":
                le = float(sample.labels["le"])
                buckets[le] = buckets.get(le, 0.0) + sample.value
    return buckets


def bucket_quantile(before: dict[float, float], after: dict[float, float], fraction: float) -> float | None:
    """Upper bound (ms) of the bucket holding the ``fraction`` quantile of what was observed in between."""
    delta = {le: after.get(le, 0.0) - before.get(le, 0.0) for le in after}
    total = delta.get(float("inf"), 0.0)
    if total <= 0:
        return None
    for le in sorted(delta):
        if delta[le] >= fraction * total:
            return None if le == float("inf") else round(le * 1000, 3)
    return None


def read_metrics(server_url: str) -> dict[str, Any]:
    """A digest of our ``/metrics``: tool outcomes, upstream outcomes, retries, fallbacks, breaker."""
    from prometheus_client.parser import text_string_to_metric_families

    digest: dict[str, Counter[str]] = {
        "tool_outcomes": Counter(),
        "upstream": Counter(),
        "retries": Counter(),
        "fallbacks": Counter(),
        "cache": Counter(),
    }
    breaker = "unknown"
    for family in text_string_to_metric_families(http_text(f"{server_url}/metrics")):
        for sample in family.samples:
            labels, value = sample.labels, sample.value
            if sample.name == "kiwoom_mcp_tool_calls_total":
                digest["tool_outcomes"][labels["outcome"]] += int(value)
            elif sample.name == "kiwoom_upstream_requests_total":
                digest["upstream"][f"{labels['api_id']} {labels['outcome']}"] += int(value)
            elif sample.name == "kiwoom_retries_total":
                digest["retries"][labels["operation"]] += int(value)
            elif sample.name == "kiwoom_fallbacks_total":
                digest["fallbacks"][labels["kind"]] += int(value)
            elif sample.name == "kiwoom_cache_events_total":
                digest["cache"][labels["event"]] += int(value)
            elif sample.name == "kiwoom_breaker_state" and value == 1:
                breaker = labels["state"]
    return {name: dict(counts) for name, counts in digest.items()} | {"breaker": breaker}


async def _prewarm(url: str) -> dict[str, Any]:
    """Call every distinct tool call of the mixed load once, concurrently, on one MCP session."""
    import httpx2

    calls = distinct_mixed_calls()
    async with httpx2.AsyncClient(base_url=url, timeout=PREWARM_TIMEOUT_S) as http:
        opened = await http.post("/mcp", json=initialize_body(1, "bench-prewarm"), headers=request_headers(None))
        if opened.status_code != 200:
            raise ValueError(f"initialize answered HTTP {opened.status_code}")
        session = session_of(opened.headers)  # None from a stateless server (--workers N)
        headers = request_headers(session)
        await http.post("/mcp", json=initialized_notification(), headers=headers)

        async def call(request_id: int, tool: str, arguments: dict[str, Any]) -> str:
            answer = await http.post("/mcp", json=tool_call_body(request_id, tool, arguments), headers=headers)
            verdict = judge_tool_response(parse_rpc_response(answer.content, answer.headers.get("content-type")))
            return str(verdict.source) if verdict.ok else f"failed: {verdict.reason}"

        outcomes = await asyncio.gather(*(call(i, tool, args) for i, (tool, args) in enumerate(calls, 2)))
        if session is not None:
            await http.delete("/mcp", headers=headers)
    return {"calls": len(calls), "outcomes": dict(Counter(outcomes).most_common())}


def prewarm(url: str) -> dict[str, Any]:
    """Fill our cache before the warm phase, so that it measures the steady state (bounded)."""
    started = time.monotonic()
    try:
        report = asyncio.run(asyncio.wait_for(_prewarm(url), PREWARM_TIMEOUT_S))
        report["complete"] = True
    except (TimeoutError, OSError, KeyError, ValueError) as exc:
        report = {"complete": False, "error": f"{type(exc).__name__}: {exc}"}
    report["seconds"] = round(time.monotonic() - started, 1)
    return report


def run_locust(label: str, mix: str, url: str, logs: Path, options: Options) -> dict[str, Any]:
    """Locust headless against ``url``; returns the figures of its JSON plus the user's own stats."""
    out = options.out
    stats_path = out / f"{label}.stats.json"
    for stale in (out / f"{label}.json", stats_path):
        stale.unlink(missing_ok=True)
    argv = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
        "-u", str(options.users), "-r", str(options.users), "-t", f"{options.duration}s",
        "--host", url, "--json-file", str(out / label), "--html", str(out / f"{label}.html"),
        "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0",
    ]  # fmt: skip
    env = child_env({"MCP_BENCH_MIX": mix, "MCP_BENCH_STATS_FILE": str(stats_path)})
    log_path = logs / f"{label}.locust.log"
    with log_path.open("wb") as sink:
        try:
            completed = subprocess.run(
                argv,
                check=False,
                env=env,
                cwd=REPO,
                stdout=sink,
                stderr=subprocess.STDOUT,
                timeout=options.duration + 60,
            )
        except subprocess.TimeoutExpired as exc:
            raise RunnerError(f"locust did not finish within {options.duration + 60} s (log {log_path})") from exc
    if completed.returncode != 0:
        raise RunnerError(f"locust exited {completed.returncode} (log {log_path})")
    figures = read_locust(out / f"{label}.json", options.duration)
    seen: dict[str, Any] = json.loads(stats_path.read_text()) if stats_path.is_file() else {}
    short: Counter[float] = Counter({float(k): int(v) for k, v in seen.get("short_circuit_ms", {}).items()})
    sources: Counter[str] = Counter()
    for counts in seen.get("sources", {}).values():
        sources.update(counts)
    figures.update(
        http_5xx=seen.get("http_5xx"),
        http_status=seen.get("http_status", {}),
        failure_reasons=seen.get("failures", {}),
        sources=dict(sources.most_common()),
        sources_by_tool=seen.get("sources", {}),
        short_circuit_calls=sum(short.values()),
        short_circuit_p99_ms=percentile(short, 0.99),
    )
    return figures


def scenario_path(name: str) -> Path:
    """``scenarios/<name>.yaml``, or ``name`` itself when it is a path to a file."""
    return Path(name) if name.endswith((".yaml", ".yml", ".json")) else SCENARIO_DIR / f"{name}.yaml"


def late_faults(path: Path) -> float:
    """The latest ``when.after_s`` of the scenario's rules: faults a short run may never reach."""
    import yaml

    rules = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("rules") or []
    return max((float((rule.get("when") or {}).get("after_s") or 0) for rule in rules), default=0.0)


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


def redis_client(url: str) -> Any:
    """A synchronous client of the official ``redis`` package, bounded like our server's commands."""
    import redis

    return redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)


def check_redis(url: str) -> None:
    """Fail before anything starts when Redis is not there: the workers would silently fall back to memory."""
    import redis

    try:
        with redis_client(url) as client:
            client.ping()
    except redis.RedisError as exc:
        raise RunnerError(f"Redis at {url} is unreachable ({exc}): start redis-server or pass --redis-url") from exc


def drop_namespace(url: str, namespace: str) -> int:
    """Delete the run's keys (``namespace:*``), so that benchmark runs leave the Redis as they found it."""
    import redis

    try:
        with redis_client(url) as client:
            keys = list(client.scan_iter(match=f"{namespace}:*", count=500))
            return int(client.delete(*keys)) if keys else 0
    except redis.RedisError as exc:
        log(f"    could not remove Redis namespace {namespace}: {exc}")
        return 0


def wait_workers(procs: Processes, name: str, log_path: Path, workers: int) -> None:
    """Wait until every worker has run its lifespan start-up, not just the first to answer ``/readyz``.

    uvicorn logs ``Application startup complete.`` once per worker process; a run that began
    before the last one would time a worker still issuing (or waiting for) its token.
    """
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if not procs.alive(name):
            raise RunnerError(f"{name} exited during start-up; log {log_path}")
        if log_path.read_text(errors="replace").count("Application startup complete.") >= workers:
            return
        time.sleep(0.2)
    raise RunnerError(f"{name}: fewer than {workers} workers started within {START_TIMEOUT_S:.0f} s; log {log_path}")


def start_ours(procs: Processes, run: Run, options: Options, port: int, workdir: Path) -> Ours:
    """Start the fake under ``run.scenario`` and our server (``--workers run.workers``) on ``port``."""
    logs = options.out / "logs"
    assert run.scenario is not None
    scenario_file = scenario_path(run.scenario)
    fake_port = free_port()
    fake_url = f"http://127.0.0.1:{fake_port}"
    fake_log = logs / f"{run.label}.fake.log"
    log(f"{run.label}: starting fake-kiwoom :{fake_port} ({scenario_file.name}) and kiwoom-mcp :{port}")
    procs.start(
        "fake-kiwoom",
        [sys.executable, "-m", "fake_kiwoom", "--port", str(fake_port), "--scenario", str(scenario_file),
         "--rate-limit", "1", "--rate-burst", "2", "--log-level", "warning"],
        env=child_env({}), log_path=fake_log, cwd=workdir,
    )  # fmt: skip
    wait_ready(procs, "fake-kiwoom", f"{fake_url}/__admin/health", fake_log)
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
    url = f"http://127.0.0.1:{port}"
    server_log = logs / f"{run.label}.server.log"
    since = time.time()
    argv = [sys.executable, "-m", "kiwoom", "--port", str(port), "--log-level", options.server_log_level]
    if run.workers > 1:
        argv += ["--workers", str(run.workers)]
    procs.start("kiwoom-mcp", argv, env=child_env(server_env), log_path=server_log, cwd=workdir)
    wait_ready(procs, "kiwoom-mcp", f"{url}/readyz", server_log)
    if run.workers > 1 and options.server_log_level.lower() in ("trace", "debug", "info"):
        wait_workers(procs, "kiwoom-mcp", server_log, run.workers)
    if options.redis_url:
        _, health = http_json(f"{url}/readyz")
        serving = ((health or {}).get("storage") or {}).get("serving_from")
        if serving != "redis":
            raise RunnerError(f"kiwoom-mcp serves from {serving!r}, not Redis ({options.redis_url}); log {server_log}")
    return Ours(url, fake_url, server_env, since, namespace)


def start_floor(procs: Processes, run: Run, options: Options, workdir: Path) -> str:
    """Start the floor ``run.target`` on a free port; its URL."""
    floor_port = free_port()
    url = f"http://127.0.0.1:{floor_port}"
    floor_log = options.out / "logs" / f"{run.label}.log"
    log(f"{run.label}: starting the {run.target} floor :{floor_port}")
    procs.start(
        run.target,
        [sys.executable, "-m", "bench.floors", run.target, "--port", str(floor_port)],
        env=child_env({}), log_path=floor_log, cwd=workdir,
    )  # fmt: skip
    wait_ready(procs, run.target, f"{url}/readyz", floor_log)
    return url


def measure(run: Run, options: Options, steps: Iterator[int], total: int, port: int) -> dict[str, dict[str, Any]]:
    """Start what ``run`` needs, load it (once per phase), read the counters, stop everything."""
    results: dict[str, dict[str, Any]] = {}
    # The servers run in an empty directory: no .env in reach to change their settings.
    with tempfile.TemporaryDirectory(prefix="loadrun-") as tmp, processes() as procs:
        workdir = Path(tmp)
        started = time.monotonic()
        ours: Ours | None = None
        if run.target == "ours":
            ours = start_ours(procs, run, options, port, workdir)
            url = ours.url
        else:
            url = start_floor(procs, run, options, workdir)
        # /metrics is per process: with several workers it shows whichever one answered, so it is not read.
        per_process = ours is not None and run.workers == 1
        startup_s = round(time.monotonic() - started, 2)
        warmed: dict[str, Any] | None = None
        for phase in run.phases:
            label = f"{run.label}-{phase}" if phase else run.label
            head = f"[{next(steps)}/{total}] {label}:"
            if phase == "warm":
                log(f"{head} filling the cache: every distinct call of the mix once (bounded) ...")
                warmed = prewarm(url)
                log(f"{head} cache filled in {warmed['seconds']} s: {warmed.get('outcomes', warmed.get('error'))}")
            what = {"cold": ", cache cold", "warm": ", cache warm"}.get(phase, "")
            log(f"{head} running locust {options.users} users for {options.duration} s ({run.mix} mix{what}) ...")
            result: dict[str, Any] = {
                "target": run.target, "mix": run.mix, "phase": phase or None,
                "scenario": scenario_path(run.scenario).stem if run.scenario else None,
                "startup_s": startup_s,
            }  # fmt: skip
            if ours is not None:
                result |= {"server": run.label, "workers": run.workers, "redis": ours.namespace is not None}
            if warmed is not None:
                result["prewarm"] = warmed
            since = time.time()
            before = tool_latency_buckets(url) if per_process else {}
            result.update(run_locust(label, run.mix, url, options.out / "logs", options))
            if ours is not None:
                result["server_tool_latency_ms"] = {"p50": None, "p99": None}
                result["metrics"] = None
                if per_process:
                    after = tool_latency_buckets(url)
                    result["server_tool_latency_ms"] = {
                        q: bucket_quantile(before, after, f) for q, f in (("p50", 0.5), ("p99", 0.99))
                    }
                    result["metrics"] = read_metrics(url)
                result["server_env"] = ours.env
                result["upstream"] = read_journal(ours.fake_url, since)
                calls = result["tool_calls"]
                result["upstream_per_call"] = round(result["upstream"]["tr_requests"] / calls, 4) if calls else None
            log(
                f"{head} {result['tool_calls']} calls, {result['rps']}/s, p50/p95/p99 "
                f"{_fmt(result['p50_ms'])}/{_fmt(result['p95_ms'])}/{_fmt(result['p99_ms'])} ms, "
                f"{result['failures']} failures, {result['http_5xx']} HTTP 5xx"
            )
            results[label] = result
        life = read_server_life(ours.fake_url, ours.since, ours.env) if ours is not None else None
        stop_s = procs.stop_all()
    for result in results.values():
        result["stop_s"] = stop_s
        if life is not None:
            result["server_life"] = life
    return results


def read_server_life(fake_url: str, since: float, env: dict[str, str]) -> dict[str, Any]:
    """What the fake saw over our server's whole life (every phase and the pre-fill).

    Shared state shows here, not per phase: one token issue per server however many workers
    (the first one a worker issues is shared through Redis), and ``ka10001`` requests per
    stock code, which single-flight and the shared cache hold to one per code and operation
    per TTL window, whichever worker is asked: ``get_stock_price`` and ``get_stock_info``
    each load ``ka10001`` under their own key, so the mixed mix may send 2 per code, the
    price-only mix 1.
    """
    status, answer = http_json(f"{fake_url}/__admin/requests", timeout_s=10.0)
    if status != 200 or not isinstance(answer, dict):
        raise RunnerError(f"fake journal unreadable (HTTP {status})")
    entries = [e for e in answer["requests"] if float(e["ts"]) >= since]
    per_code = Counter(str(e["stock_code"]) for e in entries if e.get("api_id") == "ka10001" and e.get("stock_code"))
    life_s = time.time() - since
    ttl = float(env.get("KIWOOM_CACHE_TTL", "300"))
    return {
        "seconds": round(life_s, 1),
        "token_issues": sum(1 for e in entries if e.get("api_id") == "au10001"),
        "tr_requests": sum(1 for e in entries if str(e.get("path", "")).startswith("/api/")),
        "ka10001_codes": len(per_code),
        "ka10001_requests": sum(per_code.values()),
        "ka10001_max_per_code": max(per_code.values(), default=0),
        "ka10001_per_code": round(sum(per_code.values()) / len(per_code), 2) if per_code else None,
        # A key may be loaded again in every TTL window the life spans.
        "ttl_windows": max(1, math.ceil(life_s / ttl)),
        "journal_full": len(answer["requests"]) >= 10000,
    }


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, 3)


def add_ratios(results: dict[str, dict[str, Any]]) -> None:
    """Our throughput and percentiles as fractions of each floor measured with the same mix."""
    for result in results.values():
        if result["target"] != "ours":
            continue
        vs: dict[str, dict[str, float | None]] = {}
        for kind in FLOOR_KINDS:
            floor = results.get(f"floor_{kind}_{result['mix']}")
            if floor is None:
                continue
            vs[kind] = {
                "rps": ratio(result["rps"], floor["rps"]),
                **{q: ratio(result[f"{q}_ms"], floor[f"{q}_ms"]) for q in ("p50", "p95", "p99")},
            }
        result["vs_floor"] = vs


def targets(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The issue's targets, measured (reported, not asserted)."""
    report: dict[str, Any] = {}
    cache_hit, floor = results.get("cache_hit"), results.get("floor_fastmcp_price_only")
    if cache_hit and floor:
        share = ratio(cache_hit["rps"], floor["rps"])
        report["cache_hit_vs_fastmcp_rps"] = {
            "value": share,
            "target": CACHE_HIT_TARGET,
            "met": bool(share and share >= CACHE_HIT_TARGET),
        }
    for label, result in results.items():
        if result["scenario"] == "total_outage" and result["target"] == "ours":
            p99 = result["short_circuit_p99_ms"]
            report[f"{label}_breaker_open_p99_ms"] = {
                "value": p99, "calls": result["short_circuit_calls"], "target": OUTAGE_P99_TARGET_MS,
                "met": p99 is not None and p99 < OUTAGE_P99_TARGET_MS,
                "note": "client side (locust), at saturation: includes HTTP + MCP queueing",
            }  # fmt: skip
            server_p99 = result["server_tool_latency_ms"]["p99"]
            report[f"{label}_server_tool_p99_ms"] = {
                "value": server_p99, "target": OUTAGE_P99_TARGET_MS,
                "met": server_p99 is not None and server_p99 < OUTAGE_P99_TARGET_MS,
                "note": "server side (/metrics histogram, bucket upper bound): the tool call itself",
            }  # fmt: skip
    ours = [r for r in results.values() if r["target"] == "ours"]
    report["http_5xx_from_ours"] = {"value": sum(r["http_5xx"] or 0 for r in ours), "target": 0}
    report["kiwoom_1700_from_fake"] = {
        "value": sum(r["upstream"]["kiwoom_1700"] for r in ours),
        "target": 0,
        "injected_by_scenarios": sum(r["upstream"]["kiwoom_1700_injected"] for r in ours),
    }
    for item in ("http_5xx_from_ours", "kiwoom_1700_from_fake"):
        report[item]["met"] = report[item]["value"] == 0
    return report


def _fmt(value: Any, suffix: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}{suffix}"
    return f"{value}{suffix}"


def table(results: dict[str, dict[str, Any]]) -> str:
    """A markdown table of every run (pasted into bench/README.md as is)."""
    head = (
        "| run | mix | calls/s | p50 ms | p95 ms | p99 ms | tool p99 ms (server) | MCP fails | HTTP 5xx "
        "| upstream/call | 1700s | sources | calls/s ÷ fastmcp | p99 ÷ fastmcp "
        "| calls/s ÷ starlette | p99 ÷ starlette |"
    )
    lines = [head, "|" + "---|" * 16]
    for label, r in results.items():
        upstream = r.get("upstream") or {}
        vs = r.get("vs_floor") or {}
        fast, bare = vs.get("fastmcp") or {}, vs.get("starlette") or {}
        server_p99 = (r.get("server_tool_latency_ms") or {}).get("p99")
        sources = ", ".join(f"{k} {v}" for k, v in r["sources"].items())
        lines.append(
            f"| {label} | {r['mix']} | {_fmt(r['rps'])} | {_fmt(r['p50_ms'])} | {_fmt(r['p95_ms'])} "
            f"| {_fmt(r['p99_ms'])} | {'≤ ' + _fmt(server_p99) if server_p99 is not None else '-'} | {r['failures']} "
            f"| {_fmt(r['http_5xx'])} | {_fmt(r.get('upstream_per_call'))} | {_fmt(upstream.get('kiwoom_1700'))} "
            f"| {sources} | {_fmt(fast.get('rps'))} | {_fmt(fast.get('p99'))} | {_fmt(bare.get('rps'))} "
            f"| {_fmt(bare.get('p99'))} |"
        )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.loadrun", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scenarios", default=None,
        help=f"comma-separated names in scenarios/ or .yaml paths (default {','.join(DEFAULT_SCENARIOS)}; "
        "happy_path with --scaling)",
    )  # fmt: skip
    parser.add_argument("--users", type=int, default=20, help="locust users (default 20; the machine has 2 cores)")
    parser.add_argument("--duration", type=int, default=20, help="seconds of load per run (default 20)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    parser.add_argument("--port", type=int, default=8030, help="our server's port (a free one if it is taken)")
    parser.add_argument(
        "--smoke", action="store_true", help="CI: happy_path and the two floors, mixed mix, 10 users, 15 s each"
    )
    parser.add_argument(
        "--env", action="append", default=[], metavar="KIWOOM_X=V", help="extra setting for our server (repeatable)"
    )
    parser.add_argument(
        "--no-warm", action="store_true", help="one phase per scenario instead of a cold and a warm one"
    )
    parser.add_argument("--server-log-level", default="info", help="our server's log level (default: as shipped)")
    parser.add_argument(
        "--workers", type=worker_counts, default=None, metavar="N[,N...]",
        help="run our server as kiwoom-mcp --workers N for each count (default 1); above 1 it shares state via Redis",
    )  # fmt: skip
    parser.add_argument(
        "--redis-url", default=None,
        help=f"KIWOOM_REDIS_URL for our server (default {DEFAULT_REDIS_URL} once a count above 1 is asked)",
    )  # fmt: skip
    parser.add_argument(
        "--scaling", type=worker_counts, default=None, metavar="N[,N...]",
        help="scale-out benchmark: per worker count, the scenarios (default happy_path) cold+warm and the "
        "cache-hit run, with Redis, no floors; writes scaling.json",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.scaling is not None and args.workers is not None:
        parser.error("--scaling takes the worker counts itself: drop --workers")
    if args.scaling is not None and args.smoke:
        parser.error("--scaling and --smoke do not go together")
    scaling = args.scaling is not None
    workers: list[int] = args.scaling or args.workers or [1]
    redis_url: str | None = args.redis_url
    if redis_url is None and (scaling or max(workers) > 1):
        redis_url = DEFAULT_REDIS_URL
    server_env: dict[str, str] = {}
    for item in args.env:
        key, sep, value = item.partition("=")
        if not sep or not key.startswith("KIWOOM_"):
            parser.error(f"--env wants KIWOOM_NAME=value, got {item!r}")
        server_env[key] = value
    names = args.scenarios or ("happy_path" if scaling else ",".join(DEFAULT_SCENARIOS))
    scenarios = [s.strip() for s in names.split(",") if s.strip()]
    users, duration = args.users, args.duration
    if args.smoke:
        scenarios, users, duration = ["happy_path"], 10, 15
    for name in scenarios:
        path = scenario_path(name)
        if not path.is_file():
            parser.error(f"unknown scenario {name!r}: no {path}")
        if (after := late_faults(path)) > 0:
            log(f"note: {path.name} starts its faults {after:g} s after the fake starts; runs are {duration} s")
    if users < 1 or duration < 1:
        parser.error("--users and --duration must be positive")
    return Options(
        scenarios, users, duration, args.out, args.port, args.smoke, server_env, args.server_log_level,
        not args.no_warm, workers, redis_url, scaling,
    )  # fmt: skip


def worker_counts(text: str) -> list[int]:
    """``"1,2,4"`` as ``[1, 2, 4]`` (argparse type): positive, in the order given, no repeats."""
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"worker counts are integers, got {text!r}") from exc
    if not counts or any(n < 1 or n > 64 for n in counts) or len(set(counts)) != len(counts):
        raise argparse.ArgumentTypeError(f"worker counts are distinct integers from 1 to 64, got {text!r}")
    return counts


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "platform": sys.platform,
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def scaling_targets(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """What must hold however many workers share the app key (reported; 5xx also gates the exit status).

    Per server (both phases of one server share its life): exactly one token issue, and no
    more ``ka10001`` per code than one per operation (quote, info) per TTL window.
    """
    servers = {r["server"]: r["server_life"] for r in results.values() if r.get("server_life")}
    tokens = {name: life["token_issues"] for name, life in servers.items()}
    per_code = {name: life["ka10001_max_per_code"] for name, life in servers.items()}
    allowed = {name: 2 * life["ttl_windows"] for name, life in servers.items()}
    report: dict[str, Any] = {
        "token_issues_per_server": {"value": tokens, "target": 1, "met": all(n == 1 for n in tokens.values())},
        "ka10001_max_per_code": {
            "value": per_code,
            "target": "≤ 2 per TTL window (quote + info)",
            "met": all(per_code[name] <= allowed[name] for name in per_code),
        },
    }
    common = targets(results)
    report["http_5xx_from_ours"] = common["http_5xx_from_ours"]
    report["kiwoom_1700_from_fake"] = common["kiwoom_1700_from_fake"]
    return report


def scaling_table(results: dict[str, dict[str, Any]]) -> str:
    """A markdown table of the scale-out runs; token issues and ka10001/code are per server life."""
    head = (
        "| workers | run | calls/s | p50 ms | p95 ms | p99 ms | MCP fails | HTTP 5xx | upstream/call | 1700s "
        "| token issues (server life) | ka10001 per code, mean/max (server life) | sources |"
    )
    lines = [head, "|" + "---|" * 13]
    for label, r in sorted(results.items(), key=lambda item: int(item[1].get("workers") or 0)):  # stable: run order
        life = r.get("server_life") or {}
        upstream = r.get("upstream") or {}
        sources = ", ".join(f"{k} {v}" for k, v in r["sources"].items())
        lines.append(
            f"| {r.get('workers')} | {label} | {_fmt(r['rps'])} | {_fmt(r['p50_ms'])} | {_fmt(r['p95_ms'])} "
            f"| {_fmt(r['p99_ms'])} | {r['failures']} | {_fmt(r['http_5xx'])} | {_fmt(r.get('upstream_per_call'))} "
            f"| {_fmt(upstream.get('kiwoom_1700'))} | {_fmt(life.get('token_issues'))} "
            f"| {_fmt(life.get('ka10001_per_code'))}/{_fmt(life.get('ka10001_max_per_code'))} | {sources} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    options.out.mkdir(parents=True, exist_ok=True)
    port = options.port
    if not port_is_free(port):
        port = free_port()
        log(f"port {options.port} is taken: our server runs on {port} instead")
    if options.redis_url:
        try:
            check_redis(options.redis_url)
        except RunnerError as exc:
            log(f"load run failed: {exc}")
            return 2
        log(f"our server shares state through Redis at {options.redis_url} (workers: {options.workers})")
    runs = plan(options)
    steps = itertools.count(1)
    total = sum(len(run.phases) for run in runs)
    began = time.monotonic()
    results: dict[str, dict[str, Any]] = {}
    failed: dict[str, str] = {}
    for run in runs:
        try:
            results.update(measure(run, options, steps, total, port))
        except RunnerError as exc:
            if len(options.workers) == 1:
                log(f"load run failed: {exc}")
                return 2
            # One worker count that cannot start must not hide the figures of the others.
            log(f"{run.label} failed: {exc}")
            failed[run.label] = str(exc)
    add_ratios(results)
    summary: dict[str, Any] = {
        "command": " ".join(["python -m bench.loadrun", *(argv if argv is not None else sys.argv[1:])]),
        "machine": machine(),
        "users": options.users,
        "duration_s": options.duration,
        "port": port,
        "workers": options.workers,
        "redis_url": options.redis_url,
        "elapsed_s": round(time.monotonic() - began, 1),
        "failed": failed,
        "targets": scaling_targets(results) if options.scaling else targets(results),
        "runs": results,
    }
    name = "scaling.json" if options.scaling else "summary.json"
    (options.out / name).write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    log("")
    log(scaling_table(results) if options.scaling else table(results))
    log("")
    for item, target in summary["targets"].items():
        log(f"target {item}: {target['value']} (target {target['target']}) {'met' if target['met'] else 'NOT met'}")
    log(f"summary: {options.out / name} ({summary['elapsed_s']} s)")
    if failed:
        log(f"gate: {len(failed)} run(s) did not start or left no figures: {', '.join(failed)}")
        return 2
    fives = summary["targets"]["http_5xx_from_ours"]["value"]
    if fives:
        log(f"gate: our server answered {fives} HTTP 5xx")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
