"""Servers on loopback ports: pick a free port, serve an ASGI app from a thread, wait until ready.

One place for what the lab, the tests and the load runner (``bench/``) each need when a
server must listen on a real socket:

* :func:`free_port` / :func:`port_is_free`: an ephemeral port, or whether a given one is taken;
* :func:`serve`: an ASGI app under uvicorn in a background thread of this process. The lab
  runs the fake over a socket rather than ``ASGITransport`` because two faults only exist
  there (a dropped connection, a body cut short) and timeouts are real socket timeouts;
* :func:`wait_until_ok`: poll a URL until it answers 200, for servers started as
  subprocesses, failing fast when the process dies instead of waiting out the deadline;
* :func:`silent_upstream`: a port that never answers, past the TCP handshake or before it;
* :func:`child_env`: the environment for such a subprocess, without the caller's ``KIWOOM_*``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import httpx2
import uvicorn

LOOPBACK = "127.0.0.1"


class Polled(Protocol):
    """What :func:`wait_until_ok` needs of a child process (``subprocess.Popen`` fits)."""

    def poll(self) -> int | None: ...


class ServerNotReadyError(RuntimeError):
    """The server did not answer 200 before the deadline."""


class ServerExitedError(ServerNotReadyError):
    """The server's process exited before it answered 200: waiting longer cannot help."""


def child_env(**extra: str) -> dict[str, str]:
    """This process's environment without any ``KIWOOM_*`` variable, plus ``extra``.

    A server or tool started for a test, a lesson or a benchmark must never pick up a
    developer's real keys or settings: it runs on what the caller passes, and nothing else.
    """
    env = {name: value for name, value in os.environ.items() if not name.startswith("KIWOOM_")}
    env.update(extra)
    return env


def loopback_url(port: int) -> str:
    """The base URL of a server listening on ``port`` of the loopback interface."""
    return f"http://{LOOPBACK}:{port}"


def free_port() -> int:
    """A port the kernel just handed out as free (another process may still take it first)."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    """Whether ``port`` can be bound on loopback now, so that a preferred port is kept when free."""
    with socket.socket() as sock:
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
        return True


def wait_until_ok(url: str, *, timeout_s: float = 40.0, process: Polled | None = None, interval_s: float = 0.1) -> None:
    """Poll ``url`` until it answers 200 (a server started as a subprocess is ready).

    With ``process``, a server that exits during start-up raises :class:`ServerExitedError`
    at once; a server still not answering after ``timeout_s`` raises :class:`ServerNotReadyError`.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and (code := process.poll()) is not None:
            raise ServerExitedError(f"the server exited with code {code} before {url} answered")
        with contextlib.suppress(httpx2.TransportError):
            if httpx2.get(url, timeout=2).status_code == 200:
                return
        time.sleep(interval_s)
    raise ServerNotReadyError(f"{url} did not answer 200 within {timeout_s} s")


@contextlib.contextmanager
def serve(app: Any, *, before_stop: Callable[[], None] | None = None, timeout_s: float = 10.0) -> Iterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1 and yield its base URL; stop it on exit.

    ``before_stop`` runs first, so that requests still in flight (a hang) can finish and
    the server stops gracefully; only if it does not within ``timeout_s`` is it forced.
    """
    port = free_port()
    config = uvicorn.Config(app, host=LOOPBACK, port=port, log_level="error", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"kiwoom-lab-fake-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the fake did not start on port {port}")
        time.sleep(0.005)
    try:
        yield loopback_url(port)
    finally:
        if before_stop is not None:
            before_stop()
        server.should_exit = True
        thread.join(timeout_s)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout_s)


@contextlib.contextmanager
def silent_upstream(*, handshake: bool = True) -> Iterator[str]:
    """Yield the URL of a loopback port that never answers, closing it on exit.

    With ``handshake`` the kernel completes the TCP handshake and no byte ever comes back,
    as with the fake's ``hang`` fault: a client's *read* timeout ends its wait. Without it
    the accept queue is full, so new handshakes never complete (a dropped SYN looks the same
    from the client): its *connect* timeout ends the wait.
    """
    listener = socket.socket()
    fillers: list[socket.socket] = []
    try:
        listener.bind((LOOPBACK, 0))
        listener.listen(0 if not handshake else 64)  # nothing is ever accepted
        address = listener.getsockname()
        while not handshake and len(fillers) < 8:
            filler = socket.socket()
            fillers.append(filler)
            filler.settimeout(0.2)
            try:
                filler.connect(address)
            except TimeoutError:
                break  # the queue is full: this handshake, and every later one, hangs
        yield loopback_url(int(address[1]))
    finally:
        for filler in fillers:
            filler.close()
        listener.close()
