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

Chaos: ``--chaos`` runs ``kiwoom-mcp --workers 2`` (``--workers N`` to change it) on a
Redis of its own and, under ``--duration`` seconds of load (default 90), kills -9 a worker,
restarts Redis and restarts the fake, then reports the longest stall, errors, 1700s, token
issues and revokes per stretch between the faults, and peak RSS (``chaos-summary.json``);
see ``bench/load/chaos.py``.

Burst: ``--burst N`` times one isolated cold ``get_stock_price``, then N concurrent ones on N
distinct codes (issue 13: Kiwoom paces each TR at 1 request/s), and counts the quote requests
and 1700s the fake saw (``burst-summary.json``); see ``bench/load/burst.py``.

This module is the command line; the work is done by the modules of ``bench/load/`` (the
plan, the processes, the servers, locust, the probes of the fake and of our ``/metrics``,
Redis, and the report), and the loopback helpers are ``kiwoom_lab/loopback.py``'s.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.load.burst import BurstOptions, burst_options, run_burst
from bench.load.chaos import run_chaos
from bench.load.chaos_figures import chaos_plan
from bench.load.console import RunnerError, log
from bench.load.measure import measure
from bench.load.plan import DEFAULT_REDIS_URL, DEFAULT_SCENARIOS, REPO, Options, late_faults, plan, scenario_path
from bench.load.redis_admin import check_redis
from bench.load.report import add_ratios, machine, scaling_table, scaling_targets, table, targets
from bench.mcp_wire import MIXES
from kiwoom_lab.loopback import free_port, port_is_free

DEFAULT_DURATION_S = 20
#: Long enough for six stretches of 15 s: a baseline and the aftermath of each fault.
CHAOS_DURATION_S = 90


def parse_args(argv: Sequence[str] | None) -> Options:
    """The command line as :class:`Options`; the smoke preset and the scale-out defaults are applied here."""
    parser = argparse.ArgumentParser(prog="python -m bench.loadrun", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scenarios", default=None,
        help=f"comma-separated names in scenarios/ or .yaml paths (default {','.join(DEFAULT_SCENARIOS)}; "
        "happy_path with --scaling)",
    )  # fmt: skip
    parser.add_argument("--users", type=int, default=20, help="locust users (default 20; the machine has 2 cores)")
    parser.add_argument(
        "--duration", type=int, default=None, help="seconds of load per run (default 20; 90 with --chaos)"
    )
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
    parser.add_argument(
        "--chaos", action="store_true",
        help="kill a worker, restart Redis and the fake under load (kiwoom-mcp --workers 2, own Redis); "
        "writes chaos-summary.json",
    )  # fmt: skip
    parser.add_argument(
        "--mix", choices=MIXES, default=None,
        help="--chaos only: the locust mix (default mixed; price_only with a short KIWOOM_CACHE_TTL keeps "
        "one flight after another going, so that faults hit flights in progress)",
    )  # fmt: skip
    parser.add_argument(
        "--burst", type=int, default=None, metavar="N",
        help="N concurrent get_stock_price on N distinct codes after one isolated cold call; "
        "writes burst-summary.json",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.burst is not None:
        return burst_options(parser, args, _server_env(parser, args.env))
    if args.mix is not None and not args.chaos:
        parser.error("--mix goes with --chaos (the other runs choose the mix per run)")
    if args.chaos:
        return _chaos_options(parser, args)
    if args.duration is None:
        args.duration = DEFAULT_DURATION_S
    if args.scaling is not None and args.workers is not None:
        parser.error("--scaling takes the worker counts itself: drop --workers")
    if args.scaling is not None and args.smoke:
        parser.error("--scaling and --smoke do not go together")
    scaling = args.scaling is not None
    workers: list[int] = args.scaling or args.workers or [1]
    redis_url: str | None = args.redis_url
    if redis_url is None and (scaling or max(workers) > 1):
        redis_url = DEFAULT_REDIS_URL
    server_env = _server_env(parser, args.env)
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


def _chaos_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Options:
    """``--chaos``: one server of ``--workers`` (default 2) workers on a Redis of its own, happy_path."""
    clashing = [flag for flag, given in (("--scaling", args.scaling is not None), ("--smoke", args.smoke),
                ("--redis-url", args.redis_url is not None), ("--scenarios", args.scenarios is not None),
                ("--no-warm", args.no_warm)) if given]  # fmt: skip
    if clashing:
        parser.error(f"--chaos does not go with {', '.join(clashing)}")
    workers: list[int] = args.workers or [2]
    if len(workers) != 1 or workers[0] < 2:
        parser.error("--chaos runs one server of at least 2 workers (one is killed): --workers N, N >= 2")
    duration = CHAOS_DURATION_S if args.duration is None else args.duration
    try:
        chaos_plan(duration)
    except ValueError as exc:
        parser.error(str(exc))
    if args.users < 1:
        parser.error("--users must be positive")
    server_env = _server_env(parser, args.env)
    return Options(
        ["happy_path"], args.users, duration, args.out, args.port, False, server_env, args.server_log_level,
        True, workers, None, False, chaos=True, mix=args.mix or "mixed",
    )  # fmt: skip


def _server_env(parser: argparse.ArgumentParser, items: list[str]) -> dict[str, str]:
    """``--env KIWOOM_X=V`` items as a mapping; anything else is a usage error."""
    server_env: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.startswith("KIWOOM_"):
            parser.error(f"--env wants KIWOOM_NAME=value, got {item!r}")
        server_env[key] = value
    return server_env


def worker_counts(text: str) -> list[int]:
    """``"1,2,4"`` as ``[1, 2, 4]`` (argparse type): positive, in the order given, no repeats."""
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"worker counts are integers, got {text!r}") from exc
    if not counts or any(n < 1 or n > 64 for n in counts) or len(set(counts)) != len(counts):
        raise argparse.ArgumentTypeError(f"worker counts are distinct integers from 1 to 64, got {text!r}")
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    """Measure every planned run, write the summary, print the table; the exit status is the gate."""
    options = parse_args(argv)
    options.out.mkdir(parents=True, exist_ok=True)
    port = options.port
    if not port_is_free(port):
        port = free_port()
        log(f"port {options.port} is taken: our server runs on {port} instead")
    if options.chaos:
        return run_chaos(options, port)
    if isinstance(options, BurstOptions):
        return run_burst(options, port, list(argv if argv is not None else sys.argv[1:]))
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
