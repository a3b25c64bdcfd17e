"""One headless locust run against a URL, and the figures it leaves behind.

Locust runs as a child process (importing it here would monkey-patch the runner with
gevent). Its JSON stats are the gate: its CSV can miss the end of a run. The locust user
(``bench/locustfile.py``) adds what locust does not count: sources, HTTP statuses and the
latency of calls answered by an open breaker.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from bench.load.console import RunnerError
from bench.load.plan import REPO, Options
from bench.load.processes import child_env
from bench.mcp_wire import percentile

LOCUSTFILE = REPO / "bench" / "locustfile.py"
#: Locust stops itself after ``-t``; this much longer and it is stuck.
LOCUST_GRACE_S = 60


def locust_command(
    label: str, mix: str, url: str, options: Options, extra_env: dict[str, str] | None = None
) -> tuple[list[str], dict[str, str]]:
    """The argv and environment of a headless locust run against ``url`` (stale outputs removed)."""
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
    env = child_env({"MCP_BENCH_MIX": mix, "MCP_BENCH_STATS_FILE": str(stats_path), **(extra_env or {})})
    return argv, env


def run_locust(label: str, mix: str, url: str, logs: Path, options: Options) -> dict[str, Any]:
    """Locust headless against ``url``; returns the figures of its JSON plus the user's own stats."""
    argv, env = locust_command(label, mix, url, options)
    log_path = logs / f"{label}.locust.log"
    bound_s = options.duration + LOCUST_GRACE_S
    with log_path.open("wb") as sink:
        try:
            completed = subprocess.run(
                argv, check=False, env=env, cwd=REPO, stdout=sink, stderr=subprocess.STDOUT, timeout=bound_s
            )
        except subprocess.TimeoutExpired as exc:
            raise RunnerError(f"locust did not finish within {bound_s} s (log {log_path})") from exc
    if completed.returncode != 0:
        raise RunnerError(f"locust exited {completed.returncode} (log {log_path})")
    return locust_figures(label, options)


def locust_figures(label: str, options: Options) -> dict[str, Any]:
    """The figures of a finished run: locust's JSON plus what the locust user counted itself."""
    out = options.out
    stats_path = out / f"{label}.stats.json"
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
