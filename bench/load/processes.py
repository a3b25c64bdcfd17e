"""The child processes of one run: each in its own process group, always stopped, never left behind.

A run starts servers as subprocesses (the fake, our server and its workers, a floor); a
crash, a Ctrl-C or a failed start must still stop every one of them, or the next run
would find its port taken and its figures skewed by a leftover server.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from bench.load.console import RunnerError, log
from bench.load.plan import REPO
from kiwoom_lab import loopback
from kiwoom_lab.loopback import ServerExitedError, ServerNotReadyError, wait_until_ok

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
#: How often start-up is checked: often enough not to add to the start-up time the summary reports.
POLL_INTERVAL_S = 0.2

Child = subprocess.Popen[bytes]


class Processes:
    """Child processes, each in its own process group, stopped in reverse order on exit."""

    def __init__(self) -> None:
        self._children: list[tuple[str, Child]] = []
        #: Run once every child is stopped (e.g. removing the run's Redis keys), whatever happened.
        self._after_stop: list[Callable[[], object]] = []

    def after_stop(self, action: Callable[[], object]) -> None:
        self._after_stop.append(action)

    def start(self, name: str, argv: Sequence[str], *, env: dict[str, str], log_path: Path, cwd: Path) -> Child:
        """Start ``argv`` in a new session (its own group, so that stopping it stops its workers too)."""
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("wb") as sink:
            child = subprocess.Popen(
                list(argv), env=env, cwd=cwd, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
            )
        self._children.append((name, child))
        return child

    def stop_all(self) -> dict[str, float]:
        """SIGTERM each group, wait up to :data:`STOP_TIMEOUT_S`, then SIGKILL; how long each took."""
        took: dict[str, float] = {}
        while self._children:
            name, child = self._children.pop()
            took[name] = stop_child(name, child)
        while self._after_stop:
            self._after_stop.pop()()
        return took


def stop_child(name: str, child: Child) -> float:
    """Stop one child's group (SIGTERM, SIGKILL after :data:`STOP_TIMEOUT_S`); the seconds it took.

    Public because an order matters sometimes: the chaos run stops our server before the
    Redis and the fake it revokes its token through, and reads the fake's journal in between.
    """
    started = time.monotonic()
    if child.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGTERM)
        try:
            child.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            log(f"    {name} ignored SIGTERM for {STOP_TIMEOUT_S:.0f} s: killing it")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            child.wait(5)
    return round(time.monotonic() - started, 2)


@contextlib.contextmanager
def processes() -> Iterator[Processes]:
    """A :class:`Processes` whose children are all stopped when the block ends, however it ends."""
    procs = Processes()
    try:
        yield procs
    finally:
        procs.stop_all()


def child_env(extra: dict[str, str]) -> dict[str, str]:
    """This environment without any ``KIWOOM_*`` (reproducible runs, no real keys), plus ``extra``."""
    env = loopback.child_env()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def wait_ready(child: Child, name: str, url: str, log_path: Path) -> None:
    """Poll ``url`` until it answers 200; fail fast, with the log's tail, if the process died."""
    try:
        wait_until_ok(url, timeout_s=START_TIMEOUT_S, process=child, interval_s=POLL_INTERVAL_S)
    except ServerExitedError as exc:
        tail = log_path.read_text(errors="replace")[-800:]
        raise RunnerError(f"{name} exited during start-up; log {log_path}:\n{tail}") from exc
    except ServerNotReadyError as exc:
        raise RunnerError(f"{name} not ready at {url} after {START_TIMEOUT_S:.0f} s; log {log_path}") from exc


def wait_workers(child: Child, name: str, log_path: Path, workers: int) -> None:
    """Wait until every worker has run its lifespan start-up, not just the first to answer ``/readyz``.

    uvicorn logs ``Application startup complete.`` once per worker process; a run that began
    before the last one would time a worker still issuing (or waiting for) its token.
    """
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise RunnerError(f"{name} exited during start-up; log {log_path}")
        if log_path.read_text(errors="replace").count("Application startup complete.") >= workers:
            return
        time.sleep(POLL_INTERVAL_S)
    raise RunnerError(f"{name}: fewer than {workers} workers started within {START_TIMEOUT_S:.0f} s; log {log_path}")
