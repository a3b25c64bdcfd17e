"""``--fanout``: ticks from the fake, through ``kiwoom-mcp``, to N subscribed official MCP clients.

The fake and the server each run in a subprocess (their CPU is their own and is reported);
the N ``mcp.Client`` sessions (handshake era: ``resources/subscribe`` and a
``message_handler``) share this process's event loop. Each notification carries, under
``_meta``, when the server received the URI's latest tick
(:data:`~kiwoom.mcp.live_resources.RECEIVED_AT_META_KEY`); latency is this process's wall
clock at the handler minus that stamp, so it covers the server's fan-out, the HTTP stream
and the client SDK's parsing, on one machine and one clock.

Warm-up first: every subscribed URI must have been notified once (the codes are
registered upstream and the market's history for them is built) before the counters start.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import warnings
from asyncio.subprocess import PIPE
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mcp_types as types
from mcp import Client
from mcp.client.session import IncomingMessage
from mcp.shared.exceptions import MCPDeprecationWarning

from bench.stream_report import emit, machine, ms, percentiles
from bench.stream_servers import Server, cpu_seconds, fake, instruments, mcp_server, pushed
from kiwoom.mcp.live_resources import RECEIVED_AT_META_KEY
from kiwoom_lab.loopback import child_env


@dataclass
class Sink:
    """What the clients received: per client a count, and every latency once measuring."""

    clients: int
    measuring: bool = False
    seen: set[str] = field(default_factory=set)
    counts: list[int] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    unstamped: int = 0

    def __post_init__(self) -> None:
        self.counts = [0] * self.clients

    def handler(self, index: int) -> Any:
        async def on_message(message: IncomingMessage) -> None:
            if not isinstance(message, types.ResourceUpdatedNotification):
                return
            now = time.time()
            self.seen.add(f"{index}:{message.params.uri}")
            if not self.measuring:
                return
            self.counts[index] += 1
            meta = message.params.meta or {}
            received = meta.get(RECEIVED_AT_META_KEY)
            if isinstance(received, int | float):
                self.latencies.append(now - float(received))
            else:
                self.unstamped += 1

        return on_message


async def _client(url: str, uris: list[str], handler: Any, ready: asyncio.Event, stop: asyncio.Event) -> None:
    async with Client(url, mode="legacy", message_handler=handler) as client:
        for uri in uris:
            await client.subscribe_resource(uri)
        ready.set()
        await stop.wait()


async def _until(condition: Any, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.1)
    return False


def _uris(codes: list[str], kinds: list[str]) -> list[str]:
    """``kiwoom://quote/005930``, ``kiwoom://orderbook/005930`` …: each (kind, item) pair is its own tick stream."""
    return [f"kiwoom://{kind}/{code}" for kind in kinds for code in codes]


async def _measure(
    server: Server,
    fake_server: Server,
    codes: list[str],
    *,
    clients: int,
    duration_s: float,
    split: bool,
    kinds: list[str],
    procs: bool,
) -> dict[str, Any]:
    url = f"{server.url}/mcp"
    uris = _uris(codes, kinds)
    per_client = [uris[i::clients] if split else uris for i in range(clients)]
    if procs:
        return await _measure_procs(server, fake_server, url, per_client, duration_s)
    sink = Sink(clients)
    stop = asyncio.Event()
    readies = [asyncio.Event() for _ in range(clients)]
    tasks = [
        asyncio.create_task(_client(url, per_client[i], sink.handler(i), readies[i], stop)) for i in range(clients)
    ]
    try:
        await asyncio.wait_for(asyncio.gather(*(ready.wait() for ready in readies)), 120)
        expected = sum(len(chunk) for chunk in per_client)
        warmed = await _until(lambda: len(sink.seen) >= expected, 90)
        sink.measuring = True
        items0, at0 = await asyncio.to_thread(pushed, fake_server.url)
        cpu0 = (server.cpu_s(), fake_server.cpu_s(), time.process_time())
        started = time.perf_counter()
        await asyncio.sleep(duration_s)
        sink.measuring = False
        elapsed = time.perf_counter() - started
        items1, at1 = await asyncio.to_thread(pushed, fake_server.url)
        cpu1 = (server.cpu_s(), fake_server.cpu_s(), time.process_time())
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    return _summary(
        counts=sink.counts,
        latencies=sink.latencies,
        unstamped=sink.unstamped,
        uris_per_client=len(per_client[0]),
        warmed=warmed,
        elapsed=elapsed,
        pushed_span=((items0, at0), (items1, at1)),
        cpu_span=(cpu0, cpu1),
        procs=False,
    )


async def _measure_procs(
    server: Server, fake_server: Server, url: str, per_client: list[list[str]], duration_s: float
) -> dict[str, Any]:
    """The same measurement with each client session in its own process (:mod:`bench.stream_client`)."""
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.stream_client", stdin=PIPE, stdout=PIPE, env=child_env(), limit=1 << 26
        )
        for _ in per_client
    ]
    try:
        for child, uris in zip(children, per_client, strict=True):
            assert child.stdin is not None
            child.stdin.write((json.dumps({"url": url, "uris": uris, "duration_s": duration_s}) + "\n").encode())
            await child.stdin.drain()
        readies = [json.loads(await _line(child)) for child in children]
        items0, at0 = await asyncio.to_thread(pushed, fake_server.url)
        cpu0 = (server.cpu_s(), fake_server.cpu_s(), sum(cpu_seconds(child.pid) or 0.0 for child in children))
        started = time.perf_counter()
        for child in children:
            assert child.stdin is not None
            child.stdin.write(b"go\n")
            await child.stdin.drain()
        await asyncio.sleep(duration_s)
        elapsed = time.perf_counter() - started
        items1, at1 = await asyncio.to_thread(pushed, fake_server.url)
        cpu1 = (server.cpu_s(), fake_server.cpu_s(), sum(cpu_seconds(child.pid) or 0.0 for child in children))
        results = [json.loads(await _line(child)) for child in children]
    finally:
        for child in children:
            if child.returncode is None:
                child.kill()
            await child.wait()
    return _summary(
        counts=[result["count"] for result in results],
        latencies=[value for result in results for value in result["latencies"]],
        unstamped=sum(result["unstamped"] for result in results),
        uris_per_client=len(per_client[0]),
        warmed=all(ready.get("warmed") for ready in readies),
        elapsed=elapsed,
        pushed_span=((items0, at0), (items1, at1)),
        cpu_span=(cpu0, cpu1),
        procs=True,
    )


Cpu = tuple[float | None, float | None, float]


def _summary(
    *,
    counts: list[int],
    latencies: list[float],
    unstamped: int,
    uris_per_client: int,
    warmed: bool,
    elapsed: float,
    pushed_span: tuple[tuple[int, float], tuple[int, float]],
    cpu_span: tuple[Cpu, Cpu],
    procs: bool,
) -> dict[str, Any]:
    """One run's row, the same for clients sharing this process and for clients in their own."""
    (items0, at0), (items1, at1) = pushed_span
    cpu = [None if a is None or b is None else round((b - a) / elapsed * 100) for a, b in zip(*cpu_span, strict=True)]
    return {
        "clients": len(counts),
        "client_processes": procs,
        "uris_per_client": uris_per_client,
        "warmed_up": warmed,
        "duration_s": round(elapsed, 2),
        # The fake sends to one connection only (the server's): its items/s are the ticks/s into the server.
        "ticks_per_s_into_server": round((items1 - items0) / (at1 - at0), 1),
        "notifications_per_s_all_clients": round(sum(counts) / elapsed, 1),
        "notifications_per_s_per_client": [round(count / elapsed, 1) for count in counts],
        "latency_ms": ms(percentiles(latencies)),
        "notifications_without_received_at": unstamped,
        "server_cpu_percent": cpu[0],
        "fake_cpu_percent": cpu[1],
        # Clients sharing this process: near 100 %, notifications queue on the client side.
        "clients_cpu_percent": cpu[2],
    }


async def _line(child: asyncio.subprocess.Process) -> str:
    assert child.stdout is not None
    line = await asyncio.wait_for(child.stdout.readline(), 300)
    if not line:
        raise RuntimeError(f"bench client {child.pid} exited without answering (exit {await child.wait()})")
    return line.decode()


def run_fanout(
    *,
    codes: int,
    push_interval_s: float,
    clients: list[int],
    duration_s: float,
    split: bool,
    logs: Path,
    spread: bool = False,
    kinds: tuple[str, ...] = ("quote",),
    procs: bool = False,
) -> dict[str, Any]:
    """One fake and one server; then, for each N in ``clients``, N sessions subscribed for ``duration_s``."""
    chosen = instruments(codes)
    results = []
    # subscribe_resource is deprecated for 2026-07-28 and current in legacy mode; catch_warnings is not task-safe.
    warnings.filterwarnings("ignore", category=MCPDeprecationWarning)
    with (
        fake(logs, push_interval_s=push_interval_s, warm_codes=codes, spread=spread) as fake_server,
        mcp_server(logs, fake_server.url, KIWOOM_STREAM_UNUSED_S="3600") as server,
    ):
        for n in clients:
            run = _measure(
                server,
                fake_server,
                chosen,
                clients=n,
                duration_s=duration_s,
                split=split,
                kinds=list(kinds),
                procs=procs,
            )
            results.append(asyncio.run(run))
            time.sleep(1.0)  # the sessions' ends release their holds before the next run subscribes
    summary = {
        "measurement": "fanout",
        "codes": codes,
        "spread": spread,
        "kinds": list(kinds),
        "client_processes": procs,
        "push_interval_s": push_interval_s,
        "target_ticks_per_s": round(codes * len(kinds) / push_interval_s),
        "subscriptions": "split over the clients" if split else "every client subscribes every code",
        "runs": results,
        "machine": machine(),
    }
    rows = [
        [
            r["clients"],
            r["uris_per_client"],
            r["ticks_per_s_into_server"],
            r["notifications_per_s_all_clients"],
            r["latency_ms"]["p50"],
            r["latency_ms"]["p95"],
            r["latency_ms"]["p99"],
            r["latency_ms"]["max"],
            r["server_cpu_percent"],
            r["fake_cpu_percent"],
            r["clients_cpu_percent"],
        ]
        for r in results
    ]
    header = ["N clients", "URIs/client", "ticks/s in", "notifications/s (all)", "p50 ms", "p95 ms", "p99 ms"]
    emit(summary, rows, [*header, "max ms", "server CPU %", "fake CPU %", "clients CPU %"])
    return summary
