"""Real sockets for the tests: the lab's ``serve``/``free_port`` and a readiness wait for subprocesses."""

from __future__ import annotations

import contextlib
import time
from typing import Any

import httpx2

from kiwoom_lab.server import free_port, serve

__all__ = ["free_port", "serve", "wait_until_ok"]


def wait_until_ok(url: str, *, timeout_s: float = 40.0, process: Any = None) -> None:
    """Poll ``url`` until it answers 200 (a server started as a subprocess is ready)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode} before {url} answered")
        with contextlib.suppress(httpx2.TransportError):
            if httpx2.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer 200 within {timeout_s} s")
