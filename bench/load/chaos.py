"""``python -m bench.loadrun --chaos``: break a worker, Redis and the fake under load, and time the damage.

``kiwoom-mcp --workers N`` (default 2) runs against ``fake-kiwoom`` (happy_path, Kiwoom's
limit) with a Redis of its own (never the machine's: this one gets killed). After the cache
pre-fill, locust drives MCP users for ``--duration`` seconds while the plan of
:func:`~bench.load.chaos_figures.chaos_plan` kills -9 one worker (and checks that uvicorn's
supervisor starts another), kills Redis and starts it again on the same port, and kills the
fake and starts it again on the same port. The fake's journal dies with it, so it is read
just before the kill and again after our server has stopped (which is when the last live
worker should revoke the token). Peak RSS of the server's processes is sampled from /proc.

Outputs under ``--out``: ``chaos-summary.json`` (every figure, the timeline, the segments),
locust's ``chaos.html`` and ``chaos.json``, ``chaos.completions.json`` (one row per tool
call: completed at, latency, ok, HTTP status) and ``logs/chaos.*``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.load.chaos_figures import (
    SHUTDOWN,
    STARTUP,
    ChaosEvent,
    Completion,
    Entry,
    Segment,
    chaos_plan,
    chaos_report,
    chaos_targets,
    longest_stall,
    segment_figures,
    segments,
)
from bench.load.chaos_procs import RssSampler, await_new_worker, startups, worker_pids
from bench.load.console import RunnerError, log
from bench.load.journal import journal_since
from bench.load.locust_runs import LOCUST_GRACE_S, locust_command, locust_figures
from bench.load.measure import prewarm
from bench.load.plan import REPO, Options, Run, scenario_path
from bench.load.processes import Child, Processes, child_env, processes, stop_child, wait_ready
from bench.load.redis_admin import check_redis
from bench.load.report import machine
from bench.load.servers import Ours, fake_argv, start_ours
from kiwoom_lab.loopback import free_port, loopback_url

LABEL = "chaos"
#: Bound on waiting for Redis to answer again after a start.
REDIS_START_S = 10.0


class Chaos:
    """One chaos run's moving parts and the timeline of what was done to them."""

    def __init__(self, options: Options, infra: Processes, procs: Processes, workdir: Path) -> None:
        self.options, self.infra, self.procs, self.workdir = options, infra, procs, workdir
        self.logs = options.out / "logs"
        self.timeline: list[tuple[float, str]] = []
        #: ``(when, action)`` at the moment each fault took effect (or the service was back).
        self.marks: list[tuple[float, str]] = []
        self.journal: list[Entry] = []
        self.redis_port = free_port()
        self.redis: Child | None = None
        self.ours: Ours | None = None
        self.fake_starts = 1

    def note(self, text: str, action: str | None = None) -> float:
        now = time.time()
        self.timeline.append((now, text))
        if action is not None:
            self.marks.append((now, action))
        log(f"    chaos: {text}")
        return now

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    def start_redis(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RunnerError("redis-server not found (Debian package redis-server): the chaos run needs its own")
        argv = [binary, "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", str(self.workdir)]  # fmt: skip
        self.redis = self.infra.start("redis-server", argv, env=child_env({}), log_path=self.logs / "chaos.redis.log",
                                      cwd=self.workdir)  # fmt: skip
        deadline = time.monotonic() + REDIS_START_S
        while True:
            try:
                check_redis(self.redis_url)
                return
            except RunnerError:
                if time.monotonic() > deadline or self.redis.poll() is not None:
                    raise
                time.sleep(0.05)

    def act(self, event: ChaosEvent) -> None:
        """Do one planned fault; what happened goes on the timeline."""
        assert self.ours is not None
        assert self.ours.server is not None
        assert self.ours.fake is not None
        if event.action == "kill_worker":
            self._kill_worker(self.ours.server.pid)
        elif event.action == "kill_redis":
            assert self.redis is not None
            os.kill(self.redis.pid, signal.SIGKILL)
            self.note(f"kill -9 redis-server (pid {self.redis.pid})", event.action)
            self.redis.wait(5)
        elif event.action == "start_redis":
            began = time.monotonic()
            self.start_redis()
            assert self.redis is not None
            self.note(f"redis-server up again on :{self.redis_port} (pid {self.redis.pid}, empty, "
                      f"{time.monotonic() - began:.2f} s to answer)", event.action)  # fmt: skip
        elif event.action == "kill_fake":
            before = journal_since(self.ours.fake_url, 0.0)
            self.journal += before[0]
            os.killpg(self.ours.fake.pid, signal.SIGKILL)
            self.note(f"kill -9 fake-kiwoom (pid {self.ours.fake.pid}; {len(before[0])} journal entries "
                      f"read first{', journal FULL' if before[1] else ''})", event.action)  # fmt: skip
            self.ours.fake.wait(5)
        elif event.action == "start_fake":
            self._start_fake(event.action)
        else:
            raise ValueError(f"unknown chaos action {event.action!r}")

    def _kill_worker(self, supervisor: int) -> None:
        server_log = self.logs / f"{LABEL}.server.log"
        pids = worker_pids(supervisor)
        if not pids:
            self.note("no worker process found to kill: skipped")
            return
        victim, ready_before = pids[0], startups(server_log)
        killed = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        self.note(f"kill -9 worker pid {victim} (workers {pids})", "kill_worker")
        self.timeline.extend(await_new_worker(supervisor, set(pids), server_log, ready_before, killed))
        log(f"    chaos: {self.timeline[-1][1]}")

    def _start_fake(self, action: str) -> None:
        assert self.ours is not None
        self.fake_starts += 1
        port = int(self.ours.fake_url.rsplit(":", 1)[1])
        fake_log = self.logs / f"{LABEL}.fake{self.fake_starts}.log"
        began = time.monotonic()
        fake = self.procs.start(f"fake-kiwoom-{self.fake_starts}", fake_argv(port, scenario_path("happy_path")),
                                env=child_env({}), log_path=fake_log, cwd=self.workdir)  # fmt: skip
        wait_ready(fake, "fake-kiwoom", f"{loopback_url(port)}/__admin/health", fake_log)
        self.ours = dataclasses.replace(self.ours, fake=fake)
        self.note(f"fake-kiwoom up again on :{port} (pid {fake.pid}, {time.monotonic() - began:.2f} s to answer)",
                  action)  # fmt: skip


def _read_completions(path: Path) -> list[Completion]:
    if not path.is_file():
        return []
    rows: list[list[Any]] = json.loads(path.read_text())
    return [(float(t), float(ms), bool(ok), int(status)) for t, ms, ok, status in rows]


def run_chaos(options: Options, port: int) -> int:
    """The chaos run from start to stop; the exit status (1 on HTTP 5xx from ours, 2 if it could not run)."""
    try:
        return _run(options, port)
    except RunnerError as exc:
        log(f"chaos run failed: {exc}")
        return 2


@dataclasses.dataclass
class Drive:
    """What the driven part of the run leaves for the report: moments, the timeline, the journal."""

    chaos: Chaos
    plan: list[ChaosEvent]
    prefill: dict[str, Any]
    server_since: float
    load_start: float
    load_end: float
    shutdown_end: float
    rss: dict[str, Any]


def _drive(options: Options, port: int, completions_path: Path) -> Drive:
    """Start everything, load it, inject the plan's faults, stop our server first (the revoke), read the fake."""
    plan = chaos_plan(options.duration)
    workers = options.workers[0]
    with tempfile.TemporaryDirectory(prefix="chaos-") as tmp, processes() as infra, processes() as procs:
        # Redis in its own group of processes, stopped last: the server's keys are removed through it.
        chaos = Chaos(options, infra, procs, Path(tmp))
        chaos.start_redis()
        run = Run(LABEL, "ours", options.mix, "happy_path", workers=workers)
        run_options = dataclasses.replace(options, redis_url=chaos.redis_url)
        chaos.ours = ours = start_ours(procs, run, run_options, port, Path(tmp))
        assert ours.server is not None
        chaos.note(f"kiwoom-mcp --workers {workers} ready on :{port}, Redis :{chaos.redis_port}, fake {ours.fake_url}")
        log(f"{LABEL}: filling the cache: every distinct call of the mix once (bounded) ...")
        prefill = prewarm(ours.url)
        chaos.note(f"cache pre-filled in {prefill['seconds']} s: {prefill.get('outcomes', prefill.get('error'))}")
        sampler = RssSampler(ours.server.pid)
        sampler.start()
        extra = {"MCP_BENCH_COMPLETIONS_FILE": str(completions_path)}
        argv, env = locust_command(LABEL, options.mix, ours.url, options, extra)
        log(f"{LABEL}: locust {options.users} users for {options.duration} s ({options.mix} mix), faults at "
            + ", ".join(f"{e.at_s:g} s {e.action}" for e in plan))  # fmt: skip
        locust_log = chaos.logs / f"{LABEL}.locust.log"
        locust = procs.start("locust", argv, env=env, log_path=locust_log, cwd=REPO)
        load_start = chaos.note(f"load starts: {options.users} locust users")
        # An action that overran (waiting for a replacement worker) shifts the rest of the plan,
        # so that each outage still lasts as planned and each aftermath gets its full segment.
        shift = 0.0
        for event in plan:
            if locust.poll() is not None:
                raise RunnerError(f"locust exited early ({locust.returncode}); log {locust_log}")
            due = load_start + event.at_s + shift
            time.sleep(max(0.0, due - time.time()))
            shift += max(0.0, time.time() - due - 0.05)
            chaos.act(event)
        try:
            locust.wait(options.duration + LOCUST_GRACE_S)
        except subprocess.TimeoutExpired as exc:
            raise RunnerError(f"locust did not finish (log {locust_log})") from exc
        load_end = chaos.note("load ends (locust stopped)")
        stop_s = stop_child("kiwoom-mcp", ours.server)
        shutdown_end = chaos.note(f"kiwoom-mcp stopped (SIGTERM, {stop_s:g} s)")
        sampler.stop()
        assert chaos.ours is not None
        after, full = journal_since(chaos.ours.fake_url, 0.0)
        chaos.journal += after
        if full:
            log("    note: the fake's journal was full: counts may be short")
    return Drive(chaos, plan, prefill, ours.since, load_start, load_end, shutdown_end, sampler.report())


def _run(options: Options, port: int) -> int:
    began = time.monotonic()
    out = options.out
    completions_path = out / f"{LABEL}.completions.json"
    completions_path.unlink(missing_ok=True)
    drive = _drive(options, port, completions_path)
    figures = locust_figures(LABEL, options)
    completions = _read_completions(completions_path)
    load_start, load_end = drive.load_start, drive.load_end
    # Stalls count from the first completed call: locust's own start-up is not the server's stall.
    first = min((c[0] for c in completions), default=load_start)
    cut = [
        Segment(STARTUP, drive.server_since, first),
        *segments(first, load_end, drive.chaos.marks),
        Segment(SHUTDOWN, load_end, drive.shutdown_end + 1.0),
    ]
    per_segment = [segment_figures(s, completions, drive.chaos.journal) for s in cut]
    stall = longest_stall([c[0] for c in completions if c[2]], first, load_end)
    http_5xx = int(figures.get("http_5xx") or 0)
    targets = chaos_targets(per_segment, http_5xx)
    summary = {
        "command": " ".join(["python -m bench.loadrun", *sys.argv[1:]]),
        "settings": {
            "workers": options.workers[0],
            "users": options.users,
            "duration_s": options.duration,
            "mix": options.mix,
            "server_env": options.server_env,
        },
        "machine": machine(),
        "elapsed_s": round(time.monotonic() - began, 1),
        "plan": [dataclasses.asdict(e) for e in drive.plan],
        "timeline": [{"at_s": round(t - load_start, 2), "what": text} for t, text in drive.chaos.timeline],
        "prefill": drive.prefill,
        "locust": figures,
        "completions": len(completions),
        "longest_stall": dataclasses.asdict(stall) | {"from_s": round(stall.start - load_start, 2)},
        "segments": per_segment,
        "rss": drive.rss,
        "targets": targets,
    }
    (out / "chaos-summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    log("")
    log(chaos_report(load_start, timeline=drive.chaos.timeline, figures=per_segment, targets=targets,
                     rss=drive.rss, stall=stall))  # fmt: skip
    log(f"{figures['tool_calls']} calls, {figures['failures']} MCP failures "
        f"({figures.get('failure_reasons') or {}}), {http_5xx} HTTP 5xx")  # fmt: skip
    log(f"summary: {out / 'chaos-summary.json'} ({summary['elapsed_s']} s)")
    return 1 if http_5xx else 0
