"""Start-up with a Kiwoom that never answers: how soon the server listens, answers ``initialize``, a call.

``python -m bench.startup`` starts ``kiwoom-mcp`` (HTTP, then stdio) and ``kiwoom-demo`` as
users do, with ``KIWOOM_BASE_URL`` on a loopback port that never answers, in two ways:

* ``read``: the TCP connection is accepted and no byte ever comes back (the fake's ``hang``);
  the read timeout (``KIWOOM_TIMEOUT``) is what ends each request;
* ``connect``: the TCP handshake itself never completes (a full accept queue, as a dropped
  SYN would look); the connect timeout (``KIWOOM_CONNECT_TIMEOUT_S``) ends each request;
* ``sandbox``: the embedded sandbox, which answers at once: the floor, mostly Python start-up
  and imports (fastmcp and mcp take about 2 s of it on this machine).

It prints, per case, seconds from process start to: ``/healthz`` answering and the ``/readyz``
status then; the stdio ``initialize`` answer; one ``get_stock_price`` over stdio after it; the
demo's first line. Nothing here is asserted: the tests assert liveness bounds, this measures.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from typing import IO, Any

import httpx2

from kiwoom_lab.loopback import child_env, free_port, silent_upstream, wait_until_ok

INIT: dict[str, Any] = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}},
}


def upstream_env(upstream: str | None) -> dict[str, str]:
    """The child's environment: no ``KIWOOM_*`` of ours, and ``upstream`` as its Kiwoom when given."""
    return child_env() if upstream is None else child_env(KIWOOM_BASE_URL=upstream)


def http_listen(upstream: str | None) -> dict[str, Any]:
    """Seconds until ``/healthz`` answers, and ``/readyz``'s status at that moment."""
    port = free_port()
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiwoom", "--port", str(port), "--log-level", "WARNING"],
        env=upstream_env(upstream),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_ok(f"http://127.0.0.1:{port}/healthz", process=proc, timeout_s=120, interval_s=0.05)
        listen_s = time.monotonic() - started
        ready = httpx2.get(f"http://127.0.0.1:{port}/readyz", timeout=10).status_code
        return {"listen_s": round(listen_s, 2), "readyz": ready}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def read_reply(stream: IO[str], wanted_id: int) -> dict[str, Any]:
    while True:
        line = stream.readline()
        if not line:
            raise RuntimeError("the server closed stdout")
        message: dict[str, Any] = json.loads(line)
        if message.get("id") == wanted_id:
            return message


def stdio_session(upstream: str | None, *, call: bool = True) -> dict[str, Any]:
    """Seconds from start to the ``initialize`` answer, then of one ``get_stock_price`` call."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiwoom", "--transport", "stdio", "--log-level", "WARNING"],
        env=upstream_env(upstream),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    try:
        proc.stdin.write(json.dumps(INIT) + "\n")
        proc.stdin.flush()
        read_reply(proc.stdout, 1)
        initialize_s = round(time.monotonic() - started, 2)
        if not call:
            return {"initialize_s": initialize_s}
        request = {"jsonrpc": "2.0", "id": 2, "method": "tools/call"}
        request["params"] = {"name": "get_stock_price", "arguments": {"stock_code": "005930"}}
        proc.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n")
        proc.stdin.write(json.dumps(request) + "\n")
        proc.stdin.flush()
        called = time.monotonic()
        reply = read_reply(proc.stdout, 2)
        source = reply["result"]["structuredContent"].get("data", {}).get("source")
        return {"initialize_s": initialize_s, "call_s": round(time.monotonic() - called, 2), "source": source}
    finally:
        proc.kill()
        proc.wait(timeout=30)


def demo_first_line(upstream: str | None) -> dict[str, Any]:
    """Seconds until ``kiwoom-demo`` prints its first line (stdout or stderr), and that line."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", "kiwoom.demo", "005930"],
        env=upstream_env(upstream),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    try:
        line = proc.stdout.readline().strip()
        return {"first_line_s": round(time.monotonic() - started, 2), "line": line}
    finally:
        proc.kill()
        proc.wait(timeout=30)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__)
    parser.add_argument("--case", choices=["sandbox", "read", "connect"], action="append")
    parser.add_argument("--skip-call", action="store_true", help="leave out the stdio tool call (it may take 45 s)")
    args = parser.parse_args(argv)
    for case in args.case or ["sandbox", "read", "connect"]:
        with silent_upstream(handshake=case == "read") as silent:
            upstream = None if case == "sandbox" else silent
            figures: dict[str, Any] = {"case": case, **http_listen(upstream)}
            figures.update(stdio_session(upstream, call=not args.skip_call))
            figures.update(demo_first_line(upstream))
            print(json.dumps(figures, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
