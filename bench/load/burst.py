"""``python -m bench.loadrun --burst N``: N concurrent ``get_stock_price`` on N distinct codes (issue 13).

Why this run exists: Kiwoom paces each TR (api-id) at about 1 request/s with a burst of 2,
so N distinct codes asked at once as N ka10001 requests take about N seconds for the last
caller. Merging concurrent single-code lookups into ka10095 requests (up to 100 codes each)
is the cure; this run measures it through the real processes (MCP over HTTP, uvicorn, the
fake over a socket), which the in-process benchmark (``bench/test_bench_burst.py``) cannot.

What it does: start ``fake-kiwoom`` (happy_path, its default limit: 1 request/s per TR,
burst 2) and ``kiwoom-mcp`` pointed at it on free ports (``bench/load/servers.py``); then

a. isolated cold calls: ``get_stock_price`` for one code on the fresh server (its token was
   issued by ``/readyz``, its cache is empty), timed: batching must not slow it down. The
   first call of a server's life also pays for what the process does once, so two more
   follow, one at a time on other codes, as isolated calls on a running server;
b. once the ka10001 bucket has refilled, N MCP sessions (one per caller, opened beforehand)
   each send one ``tools/call get_stock_price`` at the same moment, for N distinct codes that
   the isolated calls did not touch (cold cache).

It records each call's latency (p50/p99/max), the ``data.source`` of each answer, and the
fake's journal from the start of the burst, by api-id (ka10001, ka10095), with its 1700s and
HTTP 429s, counted once the journal has been quiet for a moment (requests still queued behind
the pacing when the callers got their answers are counted too). Codes come from
``fake_kiwoom.listings.LISTINGS``, non-ETF first; N is capped at what exists, less the
isolated calls' codes. Writes ``burst-summary.json`` under ``--out``; exit status 1 when any
call failed at the MCP level (a fallback with ``success: true`` is an answer, not a failure),
2 when a server did not start. The targets are reported, never enforced.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx2

from bench.load.console import RunnerError, log
from bench.load.journal import read_journal
from bench.load.plan import Options, Run
from bench.load.probes import http_json
from bench.load.processes import processes
from bench.load.report import fmt, machine
from bench.load.servers import start_ours
from bench.mcp_wire import (
    SESSION_HEADER,
    WireError,
    initialize_body,
    initialized_notification,
    judge_tool_response,
    parse_rpc_response,
    request_headers,
    session_of,
    tool_call_body,
)
from fake_kiwoom.listings import LISTINGS

SUMMARY_NAME = "burst-summary.json"
#: The quote TRs: one code each (ka10001) or up to 100 (ka10095).
QUOTE_TRS = ("ka10001", "ka10095")
#: Issue 13's targets for N = 100, reported beside the figures (never a gate).
P99_TARGET_S = 2.0
QUOTE_REQUESTS_TARGET = 3
#: Isolated calls: the first of the server's life, then more on the running server.
ISOLATED_CALLS = 3
#: Pause between isolated calls: above the pacing interval (1 / (0.9 x 1 request/s)), so none waits.
ISOLATED_GAP_S = 1.5
#: Pause between the isolated calls and the burst: the ka10001 bucket (burst 2 at 1/s) refills,
#: so that the burst does not inherit the tokens the isolated calls spent.
REFILL_S = 2.5
#: Bound on one ``tools/call``. Unbatched, a call waits its turn behind the pacing until the
#: client's call deadline (``KIWOOM_CALL_DEADLINE_S``, 45 s) and then falls back; this is above it.
CALL_TIMEOUT_S = 120.0
#: After the last answer, the journal counts as settled once it has not grown for this long.
QUIET_S = 3.0
SETTLE_BOUND_S = 120.0


@dataclass
class BurstOptions(Options):
    """``--burst N``: the shared options (``--out``, ``--port``, ``--env``, ``--server-log-level``) and N."""

    burst: int = 0


def burst_options(parser: argparse.ArgumentParser, args: argparse.Namespace, server_env: dict[str, str]) -> Options:
    """``--burst N`` as :class:`BurstOptions`; flags of the locust runs are usage errors here."""
    clashing = [flag for flag, given in (
        ("--scaling", args.scaling is not None), ("--chaos", args.chaos), ("--smoke", args.smoke),
        ("--workers", args.workers is not None), ("--redis-url", args.redis_url is not None),
        ("--scenarios", args.scenarios is not None), ("--no-warm", args.no_warm),
        ("--duration", args.duration is not None), ("--mix", args.mix is not None),
    ) if given]  # fmt: skip
    if clashing:
        parser.error(f"--burst does not go with {', '.join(clashing)}")
    if args.burst < 1:
        parser.error("--burst N wants N >= 1")
    return BurstOptions(
        ["happy_path"], args.burst, 0, args.out, args.port, False, server_env, args.server_log_level,
        False, [1], None, False, mix="price_only", burst=args.burst,
    )  # fmt: skip


def ordered_codes() -> list[str]:
    """Every listed code, non-ETF first (the quotes asked most), each group in ``LISTINGS`` order."""
    return [item.code for item in LISTINGS if not item.is_etp] + [item.code for item in LISTINGS if item.is_etp]


def latency_figures(seconds: list[float]) -> dict[str, float | None]:
    """p50, p99 (nearest rank) and max of per-call latencies, in seconds to the millisecond."""
    if not seconds:
        return {"p50_s": None, "p99_s": None, "max_s": None}
    ranked = sorted(seconds)

    def rank(fraction: float) -> float:
        return round(ranked[max(1, math.ceil(fraction * len(ranked) - 1e-9)) - 1], 3)

    return {"p50_s": rank(0.5), "p99_s": rank(0.99), "max_s": round(ranked[-1], 3)}


@dataclass(frozen=True, slots=True)
class Call:
    """One ``tools/call get_stock_price`` as the caller saw it."""

    code: str
    seconds: float
    ok: bool
    source: str | None
    reason: str | None


async def _open_session(http: httpx2.AsyncClient, name: str) -> dict[str, str]:
    """``initialize`` and ``notifications/initialized``: the headers of the new session's requests."""
    opened = await http.post("/mcp", json=initialize_body(1, name), headers=request_headers(None))
    if opened.status_code != 200:
        raise RunnerError(f"initialize answered HTTP {opened.status_code}")
    headers = request_headers(session_of(opened.headers))
    await http.post("/mcp", json=initialized_notification(), headers=headers)
    return headers


async def _call(http: httpx2.AsyncClient, headers: dict[str, str], code: str) -> Call:
    """One timed ``get_stock_price``; transport and wire errors are failed calls, not crashes."""
    body = tool_call_body(2, "get_stock_price", {"stock_code": code})
    started = time.perf_counter()
    try:
        answer = await http.post("/mcp", json=body, headers=headers)
        seconds = time.perf_counter() - started
        if answer.status_code != 200:
            return Call(code, seconds, False, None, f"HTTP {answer.status_code}")
        verdict = judge_tool_response(parse_rpc_response(answer.content, answer.headers.get("content-type")))
    except (httpx2.HTTPError, WireError) as exc:
        return Call(code, time.perf_counter() - started, False, None, type(exc).__name__)
    return Call(code, seconds, verdict.ok, verdict.source, verdict.reason)


async def _settle(fake_url: str, since: float) -> float:
    """Wait until the fake's journal from ``since`` on stops growing (bounded); the seconds waited."""
    began = time.monotonic()
    last, changed = -1, began
    while time.monotonic() - began < SETTLE_BOUND_S:
        _, answer = await asyncio.to_thread(http_json, f"{fake_url}/__admin/requests/count", {"since_ts": since})
        count = (answer or {}).get("count", -1)
        if count != last:
            last, changed = count, time.monotonic()
        elif time.monotonic() - changed >= QUIET_S:
            break
        await asyncio.sleep(0.5)
    return round(time.monotonic() - began, 1)


def _quote_requests(upstream: dict[str, Any]) -> int:
    return sum(int(upstream["by_api_id"].get(api_id, 0)) for api_id in QUOTE_TRS)


async def _isolated(http: httpx2.AsyncClient, fake_url: str, code: str) -> tuple[Call, dict[str, Any]]:
    """One isolated call on a session of its own, and what the fake saw meanwhile."""
    headers = await _open_session(http, f"bench-burst-isolated-{code}")
    since = time.time()
    call = await _call(http, headers, code)
    seen = await asyncio.to_thread(read_journal, fake_url, since)
    if SESSION_HEADER in headers:
        await http.delete("/mcp", headers=headers)
    return call, {**asdict(call), "seconds": round(call.seconds, 3), "upstream": seen}


async def _drive(url: str, fake_url: str, codes: list[str], isolated: list[str]) -> dict[str, Any]:
    """The isolated calls, then the burst; every figure of the run but the servers' own."""
    connections = len(codes) + 2
    limits = httpx2.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx2.AsyncClient(base_url=url, timeout=CALL_TIMEOUT_S, limits=limits) as http:
        singles: list[Call] = []
        single_figures: list[dict[str, Any]] = []
        for i, code in enumerate(isolated):
            if i:
                await asyncio.sleep(ISOLATED_GAP_S)
            call, figures = await _isolated(http, fake_url, code)
            singles.append(call)
            single_figures.append(figures)
        sessions = await asyncio.gather(*(_open_session(http, f"bench-burst-{i}") for i in range(len(codes))))
        await asyncio.sleep(REFILL_S)
        since = time.time()
        began = time.perf_counter()
        calls = await asyncio.gather(
            *(_call(http, headers, code) for headers, code in zip(sessions, codes, strict=True))
        )
        wall_s = round(time.perf_counter() - began, 3)
        answered = await asyncio.to_thread(read_journal, fake_url, since)
        settle_s = await _settle(fake_url, since)
        upstream = await asyncio.to_thread(read_journal, fake_url, since)
        for headers in sessions:
            if SESSION_HEADER in headers:
                await http.delete("/mcp", headers=headers)
    failures = [c for c in [*singles, *calls] if not c.ok]
    return {
        "isolated": single_figures[0],
        "isolated_later": single_figures[1:],
        "burst": {
            "n": len(codes),
            "sessions": len(sessions),
            **latency_figures([c.seconds for c in calls]),
            "wall_s": wall_s,
            "sources": dict(Counter(str(c.source) for c in calls if c.ok).most_common()),
            "quote_requests": _quote_requests(upstream),
            "quote_requests_when_answered": _quote_requests(answered),
            "settle_s": settle_s,
            "upstream": upstream,
        },
        "failures": [asdict(c) for c in failures],
    }


def _targets(figures: dict[str, Any]) -> dict[str, dict[str, Any]]:
    burst = figures["burst"]
    upstream = burst["upstream"]
    rate_limited = max(int(upstream["kiwoom_1700"]), int(upstream["status_429"] or 0))
    p99 = burst["p99_s"]
    return {
        "burst_p99_s": {"value": p99, "target": f"<= {P99_TARGET_S:g}", "met": p99 is not None and p99 <= P99_TARGET_S},
        "quote_requests": {
            "value": burst["quote_requests"],
            "target": f"<= {QUOTE_REQUESTS_TARGET}",
            "met": burst["quote_requests"] <= QUOTE_REQUESTS_TARGET,
        },
        # A 1700 comes with HTTP 429 from the fake: the same answer, counted once here.
        "rate_limited_1700": {"value": rate_limited, "target": "0", "met": rate_limited == 0},
        "mcp_failures": {"value": len(figures["failures"]), "target": "0", "met": not figures["failures"]},
        # Compared by hand with the "before" row of bench/README.md: one run cannot know it.
        "isolated_cold_s": {"value": figures["isolated"]["seconds"], "target": "no slower than before", "met": None},
        "isolated_later_s": {
            "value": [later["seconds"] for later in figures["isolated_later"]],
            "target": "no slower than before",
            "met": None,
        },
    }


def table(summary: dict[str, Any]) -> str:
    """The run at a glance (markdown, like the other load-run tables)."""
    burst, single = summary["burst"], summary["isolated"]
    by_id = burst["upstream"]["by_api_id"]
    quotes = ", ".join(f"{api_id} {by_id[api_id]}" for api_id in QUOTE_TRS if api_id in by_id) or "none"
    sources = ", ".join(f"{k} {v}" for k, v in burst["sources"].items()) or "none"
    single_ids = ", ".join(f"{k} {v}" for k, v in single["upstream"]["by_api_id"].items()) or "none"
    later = summary["isolated_later"]
    later_ids = Counter[str]()
    for item in later:
        later_ids.update(item["upstream"]["by_api_id"])
    rows = [
        (
            "isolated cold call",
            f"{fmt(single['seconds'])} s ({single['source']}; {single_ids})",
            "no slower than before",
        ),
        (
            f"{len(later)} more isolated calls, running server",
            " / ".join(f"{fmt(item['seconds'])}" for item in later)
            + f" s ({', '.join(sorted({str(item['source']) for item in later}))}; "
            + f"{', '.join(f'{k} {v}' for k, v in later_ids.items()) or 'none'})",
            "no slower than before",
        ),
        (
            f"burst of {burst['n']}: p50 / p99 / max",
            f"{fmt(burst['p50_s'])} / {fmt(burst['p99_s'])} / {fmt(burst['max_s'])} s",
            f"p99 <= {P99_TARGET_S:g} s",
        ),
        ("quote requests (ka10001 + ka10095)", f"{burst['quote_requests']} ({quotes})", f"<= {QUOTE_REQUESTS_TARGET}"),
        (
            "1700s / HTTP 429",
            f"{burst['upstream']['kiwoom_1700']} / {burst['upstream']['status_429']}",
            "0",
        ),
        ("sources", sources, ""),
        ("MCP failures", str(len(summary["failures"])), "0"),
    ]
    lines = ["| what | value | target |", "|---|---|---|"]
    lines += [f"| {what} | {value} | {target} |" for what, value, target in rows]
    return "\n".join(lines)


def run_burst(options: BurstOptions, port: int, argv: list[str]) -> int:
    """Start the fake and our server, measure the isolated call and the burst, write the summary."""
    codes = ordered_codes()
    # The isolated calls take the last codes (ETFs while the fake lists any), so the burst's stay cold.
    isolated, pool = codes[-ISOLATED_CALLS:], codes[:-ISOLATED_CALLS]
    n = min(options.burst, len(pool))
    if n < options.burst:
        log(
            f"note: the fake lists {len(codes)} codes; the burst is capped at {n} "
            f"({ISOLATED_CALLS} are kept for the isolated calls)"
        )
    burst_codes = pool[:n]
    run = Run(f"burst{n}", "ours", "price_only", "happy_path")
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="loadrun-burst-") as tmp, processes() as procs:
        try:
            ours = start_ours(procs, run, options, port, Path(tmp))
        except RunnerError as exc:
            log(f"burst run failed: {exc}")
            return 2
        log(f"{run.label}: {len(isolated)} isolated calls, then {n} concurrent get_stock_price on distinct codes ...")
        figures = asyncio.run(_drive(ours.url, ours.fake_url, burst_codes, isolated))
        server_env = ours.env
    summary: dict[str, Any] = {
        "command": " ".join(["python -m bench.loadrun", *argv]),
        "machine": machine(),
        "port": port,
        "fake": "fake-kiwoom --scenario scenarios/happy_path.yaml --rate-limit 1 --rate-burst 2",
        "server_env": server_env,
        "codes_listed": len(codes),
        "burst_asked": options.burst,
        "isolated_codes": isolated,
        "burst_codes": burst_codes,
        "elapsed_s": round(time.monotonic() - began, 1),
        **figures,
    }
    summary["targets"] = _targets(figures)
    path = options.out / SUMMARY_NAME
    path.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    log("")
    log(table(summary))
    log("")
    for failure in figures["failures"][:10]:
        log(f"failed: {failure['code']} after {failure['seconds']:.3f} s: {failure['reason']}")
    log(f"summary: {path} ({summary['elapsed_s']} s)")
    if figures["failures"]:
        log(f"gate: {len(figures['failures'])} call(s) failed at the MCP level")
        return 1
    return 0
