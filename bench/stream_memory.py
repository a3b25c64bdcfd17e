"""``--memory``: one ``RealtimeStream`` on 1,000 codes with one slow consumer; RSS must stay flat.

The stream runs in this process against the fake on a real port (``NetworkConnector``,
built by :func:`kiwoom.realtime.build.build_stream` as a ``KIWOOM_BASE_URL`` client does);
the consumer reads one tick every ``consume_every_s`` with ``async for tick in stream``,
far slower than the market pushes. Every second the process's RSS (``/proc/self/statm``),
the buffer's unread pairs (``book.pending``) and the conflated count are sampled. Bounded
means: pending never above the number of pairs, RSS after warm-up not climbing.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from pathlib import Path
from typing import Any

from bench.stream_report import emit, machine
from bench.stream_servers import fake, instruments
from kiwoom import KiwoomClient, Settings
from kiwoom.realtime.build import build_stream
from kiwoom.realtime.stream import RealtimeStream, StreamConfig
from kiwoom.realtime.ticks import QUOTE

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_mb() -> float:
    """This process's resident set size in MiB (Linux ``/proc/self/statm``)."""
    resident = int(Path("/proc/self/statm").read_text().split()[1])
    return resident * _PAGE / 2**20


def slope_mb_per_min(samples: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (seconds, MiB) in MiB per minute, None with fewer than 3 samples."""
    if len(samples) < 3:
        return None
    n = len(samples)
    mean_t = sum(t for t, _ in samples) / n
    mean_m = sum(m for _, m in samples) / n
    var = sum((t - mean_t) ** 2 for t, _ in samples)
    cov = sum((t - mean_t) * (m - mean_m) for t, m in samples)
    return round(cov / var * 60, 3) if var else None


async def _consume(stream: RealtimeStream, every_s: float, read: list[int]) -> None:
    async for _tick in stream:
        read[0] += 1
        await asyncio.sleep(every_s)


async def _run(fake_url: str, codes: list[str], duration_s: float, warm_s: float, every_s: float) -> dict[str, Any]:
    start_rss = rss_mb()
    client = KiwoomClient(Settings(_env_file=None, base_url=fake_url, rate_limit_per_s=0))
    stream = build_stream(client, config=StreamConfig(buffer_max=5000))
    read = [0]
    samples: list[dict[str, Any]] = []
    t0 = time.monotonic()
    async with client, stream:
        await stream.want((QUOTE, code) for code in codes)
        consumer = asyncio.create_task(_consume(stream, every_s, read))
        try:
            while (elapsed := time.monotonic() - t0) < duration_s:
                await asyncio.sleep(1.0)
                book = stream.book
                samples.append(
                    {
                        "t_s": round(time.monotonic() - t0, 1),
                        "rss_mb": round(rss_mb(), 2),
                        "pending": len(book.pending),
                        "latest": len(book.latest),
                        "accepted": book.counters.accepted,
                        "conflated": book.counters.conflated,
                        "read": read[0],
                    }
                )
            del elapsed
        finally:
            consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await consumer
        status = stream.status()
    warm = [s for s in samples if s["t_s"] >= warm_s] or samples[-1:]
    rss = [s["rss_mb"] for s in samples]
    last = samples[-1]
    return {
        "rss_mb": {
            "start": round(start_rss, 2),
            "after_warm_up": warm[0]["rss_mb"],
            "end": last["rss_mb"],
            "max": max(rss),
            "growth_after_warm_up": round(last["rss_mb"] - warm[0]["rss_mb"], 2),
            "slope_after_warm_up_mb_per_min": slope_mb_per_min([(s["t_s"], s["rss_mb"]) for s in warm]),
        },
        "pending": {"max": max(s["pending"] for s in samples), "end": last["pending"], "bound": len(codes)},
        "ticks_accepted": last["accepted"],
        "ticks_read_by_consumer": last["read"],
        "conflated": last["conflated"],
        "codes_with_a_tick": last["latest"],
        "reconnects": status.reconnects,
        "samples": samples,
    }


def run_memory(*, codes: int, duration_s: float, warm_s: float, consume_every_s: float, logs: Path) -> dict[str, Any]:
    """The fake pushing ``codes`` once a second; one stream and one slow consumer for ``duration_s``."""
    chosen = instruments(codes)
    with fake(logs, push_interval_s=1.0, warm_codes=codes) as fake_server:
        result = asyncio.run(_run(fake_server.url, chosen, duration_s, warm_s, consume_every_s))
    summary = {
        "measurement": "memory",
        "codes": codes,
        "push_interval_s": 1.0,
        "consumer_reads_every_s": consume_every_s,
        "duration_s": duration_s,
        "warm_up_s": warm_s,
        **result,
        "machine": machine(),
    }
    r = result["rss_mb"]
    rows = [
        [
            *(r["start"], r["after_warm_up"], r["end"], r["max"], r["slope_after_warm_up_mb_per_min"]),
            *(
                result["pending"]["max"],
                result["ticks_accepted"],
                result["ticks_read_by_consumer"],
                result["conflated"],
            ),
        ]
    ]
    header = ["RSS start MiB", "after warm-up", "end", "max", "slope MiB/min", "pending max"]
    emit({k: v for k, v in summary.items() if k != "samples"}, rows, [*header, "accepted", "read", "conflated"])
    return summary
