"""Peak RSS of a distinct-key ``get_stock_history`` flood: the cache's byte budget on, and effectively off.

    python -m bench.cache_flood                 # 2,048 distinct keys, default budget (64 MiB) vs off
    python -m bench.cache_flood --count 4096 --max-bytes 33554432

Every call asks for a key nobody asked for before (48 sandbox stocks x 43 history lengths
of 100-730 trading days), so every answer is a miss that gets cached: the flood a hostile
or careless client can make. Each mode runs in a fresh child process, because a process'
peak RSS only grows: the parent prints one row per mode. The client talks to the sandbox's
fake in-process with both rate limits off (Kiwoom's 1 request/s would make the flood take
an hour and measure nothing more). Figures go to bench/README.md; no test asserts on them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
from typing import Any

import httpx2

from fake_kiwoom import FakeKiwoomConfig, create_app
from fake_kiwoom.market import SyntheticMarket
from kiwoom import KiwoomClient, Settings

DEFAULT_BUDGET = 64 * 1024 * 1024
BUDGET_OFF = 2**62  # "effectively off": no flood reaches it
CONCURRENCY = 4


def _rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _keys(count: int) -> list[tuple[str, int]]:
    codes = [listing.code for listing in SyntheticMarket(0).listings]
    return [(codes[i % len(codes)], 100 + (i // len(codes)) * 15) for i in range(count)]


async def flood(count: int, max_bytes: int) -> dict[str, Any]:
    """One mode, in this process: connect, flood ``count`` distinct keys, report memory and the cache."""
    fake = create_app(FakeKiwoomConfig(seed=0, rate_limit_per_s=0))
    settings = Settings(
        _env_file=None,
        base_url="http://sandbox.fake-kiwoom",
        page_delay_s=0,
        rate_limit_per_s=0,
        cache_maxsize=max(count, 2048),
        cache_max_bytes=max_bytes,
    )
    client = KiwoomClient(settings, transport=httpx2.ASGITransport(app=fake))
    async with client:
        baseline = _rss_mib()
        keys = _keys(count)
        started = time.perf_counter()
        for first in range(0, len(keys), CONCURRENCY):
            batch = keys[first : first + CONCURRENCY]
            await asyncio.gather(*(client.get_stock_history(code, days) for code, days in batch))
        elapsed = time.perf_counter() - started
        cache = client.guard.cache
        stats = cache.stats
        return {
            "max_bytes": max_bytes,
            "calls": len(keys),
            "seconds": round(elapsed, 1),
            "baseline_rss_mib": round(baseline, 1),
            "end_rss_mib": round(_rss_mib(), 1),
            "peak_rss_mib": round(_peak_rss_mib(), 1),
            "entries": len(cache),
            "cached_mib": round(cache.nbytes / 2**20, 1),
            "byte_evictions": stats.byte_evictions,
            "too_large": stats.too_large,
        }


def _run_child(count: int, max_bytes: int) -> dict[str, Any]:
    options = ["--child", "--count", str(count), "--max-bytes", str(max_bytes)]
    command = [sys.executable, "-m", "bench.cache_flood", *options]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2048, help="distinct keys to flood (default 2048)")
    parser.add_argument("--max-bytes", type=int, default=DEFAULT_BUDGET, help="the byte budget measured (64 MiB)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(asyncio.run(flood(args.count, args.max_bytes))))
        return 0
    columns = ("peak_rss_mib", "end_rss_mib", "baseline_rss_mib", "entries", "cached_mib", "byte_evictions", "seconds")
    print(f"{'budget':>12} " + " ".join(f"{c:>16}" for c in columns))
    for label, budget in ((f"{args.max_bytes / 2**20:g} MiB", args.max_bytes), ("off", BUDGET_OFF)):
        row = _run_child(args.count, budget)
        print(f"{label:>12} " + " ".join(f"{row[c]!s:>16}" for c in columns), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
