"""One planned run from start to stop: start its servers, load them phase by phase, read the counters.

Everything a run starts lives inside one :func:`~bench.load.processes.processes` block and
one empty working directory, so that nothing outlives the run and no ``.env`` is in reach.
Between a cold and a warm phase the cache is filled (:func:`prewarm`), so that the warm
phase measures the steady state rather than the tail of the fill.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.load.console import log
from bench.load.journal import read_journal, read_server_life
from bench.load.locust_runs import run_locust
from bench.load.plan import Options, Run, scenario_path
from bench.load.processes import processes
from bench.load.report import fmt
from bench.load.server_metrics import bucket_quantile, read_metrics, tool_latency_buckets
from bench.load.servers import Ours, start_floor, start_ours
from bench.mcp_wire import (
    distinct_mixed_calls,
    initialize_body,
    initialized_notification,
    judge_tool_response,
    parse_rpc_response,
    request_headers,
    session_of,
    tool_call_body,
)

#: Filling the cache takes about 45 s (40 ka10001 loads at Kiwoom's 1 request/s); bound it anyway.
PREWARM_TIMEOUT_S = 120.0


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


def _ours_figures(ours: Ours, calls: int, since: float, before: dict[float, float] | None) -> dict[str, Any]:
    """What our server and its fake say about one phase; ``before`` is ``None`` when ``/metrics`` is not read.

    ``/metrics`` is per process: with several workers it shows whichever one answered.
    """
    figures: dict[str, Any] = {"server_tool_latency_ms": {"p50": None, "p99": None}, "metrics": None}
    if before is not None:
        after = tool_latency_buckets(ours.url)
        figures["server_tool_latency_ms"] = {
            q: bucket_quantile(before, after, f) for q, f in (("p50", 0.5), ("p99", 0.99))
        }
        figures["metrics"] = read_metrics(ours.url)
    figures["server_env"] = ours.env
    figures["upstream"] = read_journal(ours.fake_url, since)
    figures["upstream_per_call"] = round(figures["upstream"]["tr_requests"] / calls, 4) if calls else None
    return figures


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
            before = tool_latency_buckets(url) if per_process else None
            result.update(run_locust(label, run.mix, url, options.out / "logs", options))
            if ours is not None:
                result.update(_ours_figures(ours, result["tool_calls"], since, before))
            log(
                f"{head} {result['tool_calls']} calls, {result['rps']}/s, p50/p95/p99 "
                f"{fmt(result['p50_ms'])}/{fmt(result['p95_ms'])}/{fmt(result['p99_ms'])} ms, "
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
