"""What the chaos run reads from /proc: our server's worker processes, and their memory.

``kiwoom-mcp --workers N`` is uvicorn's supervisor with N spawned workers; the chaos run
must kill one of them (not the supervisor, not multiprocessing's resource tracker), see
whether the supervisor starts a replacement, and report the processes' peak RSS, which
only /proc gives without adding a dependency (and a killed worker's peak is lost unless
it was sampled while it lived).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

#: How long the supervisor gets to start a replacement worker and the worker its lifespan.
RESTART_BOUND_S = 20.0
#: Sampling period of the RSS sampler: peaks that last less than this may be missed.
RSS_PERIOD_S = 0.25


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (every thread's ``children`` file: the forking thread holds the link)."""
    found: set[int] = set()
    for path in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found.update(int(part) for part in path.read_text().split())
        except OSError:
            continue
    return sorted(found)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def worker_pids(supervisor: int) -> list[int]:
    """uvicorn's worker processes under ``supervisor`` (multiprocessing spawn children, resource tracker left out)."""
    return [pid for pid in children(supervisor) if "spawn_main" in _cmdline(pid)]


def startups(server_log: Path) -> int:
    """How many workers have finished their lifespan start-up so far (uvicorn logs each one)."""
    try:
        return server_log.read_text(errors="replace").count("Application startup complete.")
    except OSError:
        return 0


def await_new_worker(
    supervisor: int, old: set[int], server_log: Path, ready_before: int, killed: float
) -> list[tuple[float, str]]:
    """Wait (bounded) for a replacement worker and its start-up; timeline entries for what happened."""
    entries: list[tuple[float, str]] = []
    deadline = killed + RESTART_BOUND_S
    new: list[int] = []
    while time.monotonic() < deadline and not new:
        new = [pid for pid in worker_pids(supervisor) if pid not in old]
        if not new:
            time.sleep(0.05)
    if not new:
        return [(time.time(), f"no replacement worker within {RESTART_BOUND_S:g} s: the supervisor did not restart it")]
    took = time.monotonic() - killed
    entries.append((time.time(), f"supervisor started worker pid {new[0]} ({took:.2f} s after the kill)"))
    while time.monotonic() < deadline:
        if startups(server_log) > ready_before:
            took = time.monotonic() - killed
            entries.append((time.time(), f"worker pid {new[0]} finished its start-up ({took:.2f} s after the kill)"))
            return entries
        time.sleep(0.05)
    entries.append((time.time(), f"worker pid {new[0]} did not finish its start-up within {RESTART_BOUND_S:g} s"))
    return entries


def rss_kib(pid: int) -> int | None:
    """Resident set size of ``pid`` in KiB (``VmRSS``), ``None`` once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


class RssSampler:
    """Samples the RSS of the supervisor and all its children in a thread until stopped.

    A peak per process (named ``supervisor`` or ``worker <pid>``), and the peak of their sum
    at one sample: what the server as a whole held at its largest.
    """

    def __init__(self, supervisor: int) -> None:
        self.supervisor = supervisor
        self.peak_kib: dict[str, int] = {}
        self.peak_total_kib = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def sample(self) -> None:
        total = 0
        for pid in [self.supervisor, *children(self.supervisor)]:
            kib = rss_kib(pid)
            if kib is None:
                continue
            name = "supervisor" if pid == self.supervisor else f"{self._role(pid)} {pid}"
            self.peak_kib[name] = max(self.peak_kib.get(name, 0), kib)
            total += kib
        self.peak_total_kib = max(self.peak_total_kib, total)
        self.samples += 1

    @staticmethod
    def _role(pid: int) -> str:
        cmdline = _cmdline(pid)
        return "worker" if "spawn_main" in cmdline else "tracker" if "resource_tracker" in cmdline else "child"

    def _loop(self) -> None:
        while not self._stop.wait(RSS_PERIOD_S):
            self.sample()

    def report(self) -> dict[str, Any]:
        return {
            "peak_kib": dict(sorted(self.peak_kib.items())),
            "peak_total_kib": self.peak_total_kib,
            "samples": self.samples,
            "period_s": RSS_PERIOD_S,
        }
