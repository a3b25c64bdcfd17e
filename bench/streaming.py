"""``python -m bench.streaming``: the real-time stream's figures (issue 15, "Bench").

Three measurements, one flag each (any combination; each prints a JSON summary and a table):

* ``--fanout``: ticks/s from the fake through ``kiwoom-mcp`` to N subscribed MCP clients,
  and the latency from the server's tick receipt to each client's notification
  (:mod:`bench.stream_fanout`);
* ``--memory``: RSS of one stream on 1,000 codes with one slow consumer (:mod:`bench.stream_memory`);
* ``--reconnect``: the time from a drop to the codes registered again and ticks flowing
  (:mod:`bench.stream_reconnect`).

``--smoke`` shrinks each to a few seconds (CI, and ``tests/bench/test_streaming_smoke.py``):
the figures are then meaningless, only that the measurement runs and reports its keys.
The figures are benchmarks, never test assertions; ``bench/README.md`` ("Real-time stream")
has the commands and the results.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.streaming", description=__doc__.split("\n\n")[0])
    parser.add_argument("--fanout", action="store_true", help="fake → kiwoom-mcp → N MCP clients")
    parser.add_argument("--memory", action="store_true", help="RSS with 1,000 codes and one slow consumer")
    parser.add_argument("--reconnect", action="store_true", help="drop → resubscribed, over many drops")
    parser.add_argument("--smoke", action="store_true", help="a few seconds each: runs and reports, no figures")
    parser.add_argument("--codes", type=int, help="items streamed (fanout, memory 991: all the fake has; reconnect 20)")
    parser.add_argument("--push-interval-s", type=float, default=1.0, help="fanout: the fake's push interval")
    parser.add_argument("--clients", default="1,4", help="fanout: N sessions per run, comma-separated")
    parser.add_argument("--split", action="store_true", help="fanout: spread the codes over the clients")
    parser.add_argument(
        "--spread", action="store_true", help="fanout: the fake sends each push as frames of 10 items over the interval"
    )
    parser.add_argument(
        "--kinds", default="quote", help="fanout: resource kinds per item, comma-separated (quote, orderbook)"
    )
    parser.add_argument("--client-procs", action="store_true", help="fanout: each client session in its own process")
    parser.add_argument("--duration-s", type=float, help="fanout per run 20, memory 60")
    parser.add_argument("--drops", type=int, default=20, help="reconnect: outages measured")
    parser.add_argument("--out", type=Path, help="write every summary (memory samples included) as JSON here")
    parser.add_argument("--logs", type=Path, help="where the fake's and the server's logs go (default: a temp dir)")
    return parser


def run(args: argparse.Namespace, logs: Path) -> dict[str, Any]:
    from bench.stream_fanout import run_fanout
    from bench.stream_memory import run_memory
    from bench.stream_reconnect import run_reconnect

    smoke = args.smoke
    results: dict[str, Any] = {}
    if args.fanout:
        results["fanout"] = run_fanout(
            codes=args.codes or (20 if smoke else 991),
            push_interval_s=args.push_interval_s,
            clients=[int(n) for n in args.clients.split(",")] if not smoke else [1],
            duration_s=args.duration_s or (2.0 if smoke else 20.0),
            split=args.split,
            logs=logs,
            spread=args.spread,
            kinds=tuple(args.kinds.split(",")),
            procs=args.client_procs,
        )
    if args.memory:
        duration = args.duration_s or (4.0 if smoke else 60.0)
        results["memory"] = run_memory(
            codes=args.codes or (100 if smoke else 991),
            duration_s=duration,
            warm_s=min(10.0, duration / 2),
            consume_every_s=0.05,
            logs=logs,
        )
    if args.reconnect:
        results["reconnect"] = run_reconnect(
            codes=args.codes or 20, drops=2 if smoke else args.drops, drop_after_s=1.0, logs=logs
        )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not (args.fanout or args.memory or args.reconnect):
        parser.error("name at least one of --fanout, --memory, --reconnect")
    with tempfile.TemporaryDirectory(prefix="bench-streaming-") as tmp:
        results = run(args, args.logs or Path(tmp))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
