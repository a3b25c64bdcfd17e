"""``--reconnect``: how long the stream is blind after a drop, over many drops.

The fake runs the scenario ``stream: {drop_after_s: 1.0, connections: null}`` (loaded with
``PUT /__admin/scenario``, as the lab does): every connection is reset 1 s after its LOGIN.
One stream holds 20 codes. A :class:`~kiwoom.realtime.stream.StreamObserver` and a tick
listener stamp, on this process's monotonic clock, each ``disconnect``, the next ``reg``
(the codes sent again on the new connection) and the next tick pushed by the fake on it
(not a REST backfill tick): that tick proves the ``REG`` was answered and data flows. The
fake pushes every 0.1 s here, so the first tick trails the answer by at most that.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

from bench.stream_report import emit, machine, ms, percentiles
from bench.stream_servers import fake, instruments
from fake_kiwoom.scenario_model import Scenario
from fake_kiwoom.scenario_stream import StreamFaults
from kiwoom import KiwoomClient, Settings
from kiwoom.realtime.build import build_stream
from kiwoom.realtime.stream import StreamConfig
from kiwoom.realtime.ticks import QUOTE, Tick

PUSH_INTERVAL_S = 0.1


@dataclass
class Outage:
    """One drop: when it was seen, when the codes were sent again, when the fake's next tick came."""

    disconnect: float
    reg: float | None = None
    tick: float | None = None


@dataclass
class Recorder:
    """Stream events and ticks, turned into one :class:`Outage` per ``disconnect``."""

    outages: list[Outage] = field(default_factory=list)
    events: dict[str, int] = field(default_factory=dict)

    def stream_event(self, event: str, detail: Mapping[str, object]) -> None:
        now = time.monotonic()
        self.events[event] = self.events.get(event, 0) + 1
        if event == "disconnect":
            self.outages.append(Outage(now))
        elif event == "reg" and self.outages and self.outages[-1].reg is None:
            self.outages[-1].reg = now

    def tick(self, tick: Tick) -> None:
        last = self.outages[-1] if self.outages else None
        if last is not None and last.reg is not None and last.tick is None and tick.origin != "backfill":
            last.tick = time.monotonic()


def drop_scenario(after_s: float) -> Scenario:
    return Scenario(
        version=1,
        name="bench_reconnect",
        description="Every connection is reset after_s seconds after its LOGIN (bench.streaming --reconnect).",
        stream=StreamFaults(drop_after_s=after_s, connections=None),
    )


async def _run(fake_url: str, codes: list[str], drops: int, drop_after_s: float) -> dict[str, Any]:
    async with httpx2.AsyncClient(base_url=fake_url, timeout=10.0) as admin:
        answer = await admin.put("/__admin/scenario", content=drop_scenario(drop_after_s).model_dump_json())
        answer.raise_for_status()
    recorder = Recorder()
    client = KiwoomClient(Settings(_env_file=None, base_url=fake_url, rate_limit_per_s=0))
    stream = build_stream(client, config=StreamConfig(), observer=recorder)
    stream.add_listener(recorder.tick)
    deadline = time.monotonic() + drops * (drop_after_s + 5) + 10
    async with client, stream:
        await stream.want((QUOTE, code) for code in codes)
        while time.monotonic() < deadline:
            done = [o for o in recorder.outages if o.tick is not None]
            if len(done) >= drops:
                break
            await asyncio.sleep(0.05)
    done = [o for o in recorder.outages if o.tick is not None][:drops]
    to_reg = [o.reg - o.disconnect for o in done if o.reg is not None]
    to_tick = [o.tick - o.disconnect for o in done if o.tick is not None]
    return {
        "drops_measured": len(done),
        "disconnect_to_reg_ms": ms(percentiles(to_reg)),
        "disconnect_to_first_tick_ms": ms(percentiles(to_tick)),
        "over_2s": sum(1 for value in to_tick if value > 2.0),
        "stream_events": recorder.events,
    }


def run_reconnect(*, codes: int, drops: int, drop_after_s: float, logs: Path) -> dict[str, Any]:
    """The fake dropping every connection ``drop_after_s`` after LOGIN; ``drops`` outages measured."""
    chosen = instruments(codes)
    with fake(logs, push_interval_s=PUSH_INTERVAL_S, warm_codes=codes) as fake_server:
        result = asyncio.run(_run(fake_server.url, chosen, drops, drop_after_s))
    summary = {
        "measurement": "reconnect",
        "codes": codes,
        "drop_after_s": drop_after_s,
        "push_interval_s": PUSH_INTERVAL_S,
        **result,
        "machine": machine(),
    }
    reg, tick = result["disconnect_to_reg_ms"], result["disconnect_to_first_tick_ms"]
    rows = [
        ["disconnect → REG sent", result["drops_measured"], reg["p50"], reg["p99"], reg["max"]],
        ["disconnect → first pushed tick", result["drops_measured"], tick["p50"], tick["p99"], tick["max"]],
    ]
    emit(summary, rows, ["interval", "drops", "p50 ms", "p99 ms", "max ms"])
    return summary
