"""The processes a streaming bench runs: the fake with chosen WebSocket settings, and ``kiwoom-mcp``.

Each runs in its own subprocess so that its CPU is its own (two cores are shared, and the
bench's clients must not steal the event loop of the server they measure). ``fake-kiwoom``'s
command line has no WebSocket settings, so this module is also the fake's launcher
(``python -m bench.stream_servers --port P --push-interval-s 0.2``): it builds the app with
``WsSettings`` and, before it listens, computes one tick of every code it will be asked for,
because the synthetic market builds a code's history on first use (~13 s for all listings)
and a measurement must not include that.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2

from fake_kiwoom.listings import LISTINGS
from kiwoom_lab.loopback import child_env, free_port, loopback_url, wait_until_ok

#: Venue suffixes in the order instruments are taken: KRX, then the consolidated (_AL) and NXT (_NX) quotes.
_VENUES = ("", "_AL", "_NX")


def instruments(n: int) -> list[str]:
    """``n`` items the fake streams, the same on every run: every listing, then its ``_AL``, then ``_NX`` quote.

    The fake lists 361 securities, so 1,000 distinct items need the venue suffixes: each is a
    separate item upstream (its own REG slot, its own 0B push), as on Kiwoom.
    """
    items = [f"{item.code}{venue}" for venue in _VENUES for item in LISTINGS if venue != "_NX" or item.nxt_enabled]
    if n > len(items):
        raise ValueError(f"the fake streams {len(items)} items, {n} asked for")
    return items[:n]


@dataclass
class Server:
    """One started subprocess and where it listens."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def cpu_s(self) -> float | None:
        """User + system CPU seconds the process used so far (Linux ``/proc``), or None."""
        return cpu_seconds(self.process.pid)


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds process ``pid`` used so far (Linux ``/proc``), or None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _start(name: str, argv: list[str], env: dict[str, str], *, ready_path: str, port: int, logs: Path) -> Server:
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = loopback_url(port)
    try:
        wait_until_ok(f"{url}{ready_path}", timeout_s=120, process=process)
    except Exception:
        process.kill()
        raise RuntimeError(f"{name} did not start; see {log}") from None
    return Server(name, url, process, log)


def _stop(server: Server) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(5)


@contextlib.contextmanager
def fake(
    logs: Path, *, push_interval_s: float, warm_codes: int, ping_interval_s: float = 10.0, spread: bool = False
) -> Iterator[Server]:
    """The fake on a free port: REST unthrottled, no journal, pushes every ``push_interval_s``."""
    port = free_port()
    argv = [
        sys.executable, "-m", "bench.stream_servers", "--port", str(port),
        "--push-interval-s", str(push_interval_s), "--ping-interval-s", str(ping_interval_s),
        "--warm-codes", str(warm_codes), *(["--spread"] if spread else []),
    ]  # fmt: skip
    server = _start("fake-kiwoom", argv, child_env(), ready_path="/__admin/health", port=port, logs=logs)
    try:
        yield server
    finally:
        _stop(server)


@contextlib.contextmanager
def mcp_server(logs: Path, fake_url: str, **env: str) -> Iterator[Server]:
    """``kiwoom-mcp`` (streamable HTTP) on a free port against ``fake_url``, REST unpaced."""
    port = free_port()
    settings = {"KIWOOM_BASE_URL": fake_url, "KIWOOM_RATE_LIMIT_PER_S": "0", **env}
    argv = [sys.executable, "-m", "kiwoom", "--port", str(port), "--log-level", "warning"]
    server = _start("kiwoom-mcp", argv, child_env(**settings), ready_path="/readyz", port=port, logs=logs)
    try:
        yield server
    finally:
        _stop(server)


def _count_pushes(app: Any) -> None:
    """Count the REAL items the fake sends, answered at ``GET /__bench/pushed`` (the ticks/s into a client)."""
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from fake_kiwoom.ws_push import Pusher

    sent = [0]
    frames = Pusher._frames

    async def counted(self: Pusher, items: list[Any]) -> None:
        sent[0] += len(items)
        await frames(self, items)

    async def pushed(request: Request) -> JSONResponse:
        return JSONResponse({"items": sent[0], "at": time.time()})

    Pusher._frames = counted  # type: ignore[method-assign]
    app.router.routes.append(Route("/__bench/pushed", pushed, methods=["GET"]))


def pushed(fake_url: str) -> tuple[int, float]:
    """(REAL items the fake sent so far, when it said so)."""
    answer = httpx2.get(f"{fake_url}/__bench/pushed", timeout=5).json()
    return int(answer["items"]), float(answer["at"])


def main(argv: list[str] | None = None) -> None:
    """Run the fake with the bench's WebSocket settings (the launcher :func:`fake` starts)."""
    import uvicorn

    from fake_kiwoom.app import create_app
    from fake_kiwoom.config import FakeKiwoomConfig
    from fake_kiwoom.websocket import WsSettings
    from fake_kiwoom.ws_frames import TickMemory, tick_items

    parser = argparse.ArgumentParser(prog="bench.stream_servers")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--push-interval-s", type=float, default=1.0)
    parser.add_argument("--ping-interval-s", type=float, default=10.0)
    parser.add_argument("--warm-codes", type=int, default=0)
    parser.add_argument("--spread", action="store_true", help="frames of 10 items spread over each interval")
    args = parser.parse_args(argv)
    app = create_app(FakeKiwoomConfig(rate_limit_per_s=0, journal_limit=0))
    _count_pushes(app)
    app.state.ws_settings = WsSettings(
        ping_interval_s=args.ping_interval_s,
        push_interval_s=args.push_interval_s,
        frame_items=10 if args.spread else WsSettings().frame_items,
        spread_frames=args.spread,
    )
    started = time.perf_counter()
    pairs = [("0B", code) for code in instruments(args.warm_codes)]
    tick_items(app.state.market, pairs, time.time(), TickMemory())
    print(f"warmed {len(pairs)} codes in {time.perf_counter() - started:.1f} s", flush=True)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
