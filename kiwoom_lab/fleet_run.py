"""Run a fleet lesson (``expect.workers``): several workers, one Redis, and the fleet's own failures.

The workers are real ``KiwoomClient`` instances with Redis storage, as ``kiwoom-mcp
--workers N`` builds them, talking to one fake on a loopback socket. They reach the
machine's Redis (``KIWOOM_LAB_REDIS_URL``, default DB 15 on 127.0.0.1:6379) through a
:class:`~kiwoom_lab.redis_cut.RedisRelay`, under a namespace of their own that is wiped
afterwards, so a lesson can lose Redis on cue without touching anybody else's data.
A crash lesson starts one more worker as a separate process
(:mod:`kiwoom_lab.fleet_worker`) and kills it with SIGKILL while its request is in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx2
import redis.asyncio as aioredis

from fake_kiwoom import FakeKiwoomConfig, create_app
from fake_kiwoom.scenario_model import Scenario
from kiwoom.client import KiwoomClient
from kiwoom.config import Settings
from kiwoom_lab.calls import invoke, invoke_tool, mcp_session, recorded_call
from kiwoom_lab.checks import CallOutcome, Check, Observed, check_all
from kiwoom_lab.clock import RealClock
from kiwoom_lab.fake_admin import journal as fake_journal
from kiwoom_lab.fake_admin import what_the_fake_saw
from kiwoom_lab.fleet_spec import DEFAULT_LAB_REDIS_URL, FleetExpect
from kiwoom_lab.loopback import child_env, serve
from kiwoom_lab.redis_cut import RedisRelay
from kiwoom_lab.report import CachePolicy, RunReport
from kiwoom_lab.spec import Expect, build_settings
from kiwoom_lab.timeline import Event, TimelineRecorder, merge, paced_waits

#: Told the fake's base URL and the run's recorder as the calls begin, so that a caller (``kiwoom-lab serve``)
#: can follow the client's events and the fake's journal while the run goes on, not only in the report.
Watch = Callable[[str, TimelineRecorder], None]

#: How long the lab waits for the doomed worker's request to reach the fake.
CRASH_REQUEST_WAIT_S = 20.0


class WorkerRecorder(TimelineRecorder):
    """One worker's observer: its events go to the run's shared timeline, named by worker."""

    def __init__(self, shared: TimelineRecorder, worker: int) -> None:
        super().__init__(shared._now, shared.t0)
        self.events = shared.events  # one list: the timeline is the fleet's
        self.worker = worker
        self.health: list[tuple[float, int, bool]] = []

    def storage(self, backend: str, healthy: bool) -> None:
        label = "redis back" if healthy else "redis lost"
        detail = f"worker {self.worker}: " + (
            "Redis answers again; shared state resumes"
            if healthy
            else "Redis unreachable; serving from this worker's memory"
        )
        self.health.append((self.elapsed(), self.worker, healthy))
        self.note("fleet", label, detail, "ok" if healthy else "warn")

    def end_call(
        self, slot: int, index: int, duration_s: float, result: dict[str, Any] | None, error: str | None
    ) -> None:
        """The call as any recorder ends it, its detail led by the worker that made it."""
        super().end_call(slot, index, duration_s, result, error)
        self.events[slot] = replace(self.events[slot], detail=f"worker {self.worker} · {self.events[slot].detail}")


def lab_redis_url() -> str:
    return os.environ.get("KIWOOM_LAB_REDIS_URL", DEFAULT_LAB_REDIS_URL)


def shown_url(url: str) -> str:
    """``url`` as reports show it: a password in it never reaches a terminal, a page or a JSON report."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


async def _reachable(url: str) -> str | None:
    """None when Redis answers PING at ``url``; else why not (a malformed URL included)."""
    try:
        client = aioredis.from_url(url, socket_connect_timeout=1.0, socket_timeout=1.0)
    except ValueError as exc:
        return f"not a Redis URL ({exc})"
    try:
        await client.ping()
        return None
    except Exception as exc:  # any reason Redis cannot be used ends the lesson with one clear check
        return f"{type(exc).__name__}: {exc}"
    finally:
        await client.aclose()


async def _wipe(url: str, namespace: str) -> None:
    client = aioredis.from_url(url, socket_timeout=2.0)
    try:
        keys = [key async for key in client.scan_iter(f"{namespace}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


def _payload(settings: Settings, expect: Expect, via: str) -> str:
    """The doomed worker's settings (keys revealed: they travel on its stdin only) and lesson."""
    fields: dict[str, Any] = {}
    for name in settings.model_fields_set | {"base_url", "redis_url", "redis_namespace", "workers", "storage"}:
        value = getattr(settings, name)
        fields[name] = value.get_secret_value() if hasattr(value, "get_secret_value") else value
    return json.dumps({"settings": fields, "expect": expect.model_dump(mode="json"), "via": via}, default=str)


async def _tr_requests(admin: httpx2.AsyncClient) -> int:
    return sum(1 for row in await fake_journal(admin) if str(row.get("path", "")).startswith("/api/dostk/"))


async def _request_arrived(admin: httpx2.AsyncClient, process: asyncio.subprocess.Process) -> bool:
    """Whether the doomed worker's request reached the fake before it exited or the wait ran out."""
    started = time.monotonic()
    while await _tr_requests(admin) == 0:
        if process.returncode is not None or time.monotonic() - started > CRASH_REQUEST_WAIT_S:
            return False
        await asyncio.sleep(0.05)
    return True


async def _crash(
    settings: Settings, expect: Expect, via: str, recorder: TimelineRecorder, admin: httpx2.AsyncClient
) -> Check:
    """Start a worker process on call 0 and SIGKILL it once its request has reached the fake."""
    spec = expect.workers
    assert spec is not None
    assert spec.crash is not None
    wanted = "a worker killed while its request is in flight"
    with tempfile.TemporaryFile() as errors:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "kiwoom_lab.fleet_worker",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=errors,
            env=child_env(),
        )
        try:
            assert process.stdin is not None
            process.stdin.write(_payload(settings, expect, via).encode())
            await process.stdin.drain()
            process.stdin.close()
            arrived = await _request_arrived(admin, process)
            if arrived:
                await asyncio.sleep(spec.crash.after_request_s)
            alive = process.returncode is None
        finally:
            with contextlib.suppress(ProcessLookupError):
                process.kill()  # SIGKILL: no finally, no unlock, no revoke
            await process.wait()
        if not arrived:
            errors.seek(0)
            said = errors.read().decode(errors="replace").strip().splitlines()[-3:]
            why = f"its request never came (worker exit {process.returncode})"
            return Check("crash", wanted, why, False, " / ".join(said))
    detail = f"worker process {process.pid} killed with SIGKILL while its request was in flight"
    recorder.note("fleet", "worker killed", detail, "fail")
    observed = f"killed (exit {process.returncode}) {spec.crash.after_request_s:g} s after its request arrived"
    return Check("crash", wanted, observed if alive else "it had exited on its own", alive)


def _health_check(spec: FleetExpect, workers: list[WorkerRecorder]) -> Check | None:
    """The fleet's storage health changes in time order, repeats collapsed (each worker reports its own)."""
    if spec.storage_events is None:
        return None
    changes = sorted(change for worker in workers for change in worker.health)
    seen: list[str] = []
    for _t, _worker, healthy in changes:
        word = "up" if healthy else "down"
        if not seen or seen[-1] != word:
            seen.append(word)
    detail = "; ".join(f"t+{t:.2f} worker {w} {'up' if h else 'down'}" for t, w, h in changes)
    expected = ", ".join(spec.storage_events) or "none"
    return Check("storage_events", expected, ", ".join(seen) or "none", seen == spec.storage_events, detail)


async def _exercise(
    expect: Expect, settings: Settings, base_url: str, *, via: str, redis_url: str, watch: Watch | None
) -> tuple[Observed, list[Event], list[Check]]:
    spec = expect.workers
    assert spec is not None
    clock = RealClock()
    t0 = clock.now()
    recorder = TimelineRecorder(clock.now, t0)
    if watch is not None:  # the live page follows the workers' shared timeline and the fake's journal
        watch(base_url, recorder)
    relay = RedisRelay(redis_url)
    namespace = f"lab-{uuid.uuid4().hex[:12]}"
    observers = [WorkerRecorder(recorder, index) for index in range(spec.count)]
    clients: list[KiwoomClient] = []
    checks: list[Check] = []
    calls: list[CallOutcome] = []
    try:
        relayed = await relay.start()
        workers = spec.count + (1 if spec.crash else 0)
        settings = settings.model_copy(
            update={"storage": "redis", "redis_url": relayed, "redis_namespace": namespace, "workers": workers}
        )
        clients = [KiwoomClient(settings, observer=observer) for observer in observers]
        async with httpx2.AsyncClient(base_url=base_url, timeout=10.0) as admin, contextlib.AsyncExitStack() as stack:
            if spec.crash is not None:
                checks.append(await _crash(settings, expect, via, recorder, admin))
            # Connected first, as `kiwoom-mcp` connects each worker at start-up (its lifespan).
            fleet = Fleet(clients, observers, recorder, relay)
            if via == "mcp":
                fleet.sessions = [await mcp_session(stack, client) for client in clients]
            else:
                await asyncio.gather(*(client.connect() for client in clients))
            await _calls(expect, spec, fleet, calls)
            journal, counts, token_issues = await what_the_fake_saw(admin, expect)
            breaker = str((await clients[0].health())["breaker"]["state"])
    finally:
        relay.restore()
        for client in clients:
            await client.close()
        await relay.close()
        with contextlib.suppress(Exception):  # tidying up must not hide the run's own error
            await _wipe(redis_url, namespace)
    health = _health_check(spec, observers)
    checks += [health] if health is not None else []
    observed = Observed(calls, journal, counts, token_issues, breaker, False)
    observed.paced = paced_waits(recorder.events, t0)  # the min_gaps check tells rate-budget waits from backoff
    return observed, merge(recorder.events, journal, t0), checks


@dataclass(slots=True)
class Fleet:
    """The workers of one run and what the lab holds over them."""

    clients: list[KiwoomClient]
    observers: list[WorkerRecorder]
    recorder: TimelineRecorder
    relay: RedisRelay
    #: One MCP session per worker with ``--via mcp``; empty when the calls go to the clients.
    sessions: list[Any] = field(default_factory=list)


async def _calls(expect: Expect, spec: FleetExpect, fleet: Fleet, calls: list[CallOutcome]) -> None:
    """The calls one after another, each by its worker; Redis cut and restored where the lesson says."""
    cut, clients, sessions = spec.redis_cut, fleet.clients, fleet.sessions
    for index in range(expect.calls):
        if cut is not None and index == cut.before_call:
            fleet.relay.cut()
            fleet.recorder.note("fleet", "redis cut", "the lab cut every link to Redis", "fail")
        if cut is not None and index == cut.restore_before_call:
            fleet.relay.restore()
            fleet.recorder.note("fleet", "redis up", "Redis reachable again", "info")
        gap = expect.gap_before(index)
        if gap:
            await asyncio.sleep(gap)
        worker = spec.worker_of(index)
        observer = fleet.observers[worker]
        way = partial(invoke_tool, sessions[worker]) if sessions else partial(invoke, clients[worker])
        calls.append(await recorded_call(observer, expect, index, partial(way, expect, index)))


def run_fleet_scenario(
    scenario: Scenario,
    expect: Expect,
    *,
    base_settings: Settings | None = None,
    overrides: dict[str, str] | None = None,
    source: str = "<scenario>",
    via: str = "client",
    watch: Watch | None = None,
) -> RunReport:
    """Run a lesson with ``expect.workers`` (validated already) and check it; ``watch`` as for ``run_scenario``."""
    clock = RealClock()
    app = create_app(FakeKiwoomConfig(seed=scenario.seed), clock=clock.now, sleep=clock.server_sleep, scenario=scenario)
    wall_start = time.perf_counter()
    redis_url = lab_redis_url()
    missing = asyncio.run(_reachable(redis_url))
    if missing is not None:
        where = shown_url(redis_url)
        check = Check(
            "redis", f"reachable at {where}", missing.replace(redis_url, where), False, "set KIWOOM_LAB_REDIS_URL"
        )
        observed = Observed([], [], [], 0, "closed", False)
        checks, events = [check], list[Event]()
        cache = None
    else:
        with serve(app, before_stop=clock.stop) as base_url:
            settings = build_settings(expect.settings, base_url, base_settings=base_settings, overrides=overrides)
            observed, events, fleet_checks = asyncio.run(
                _exercise(expect, settings, base_url, via=via, redis_url=redis_url, watch=watch)
            )
        checks = fleet_checks + check_all(expect, observed)
        cache = CachePolicy.of(settings)
    return RunReport(
        scenario=scenario,
        expect=expect,
        source=source,
        events=events,
        calls=observed.calls,
        checks=checks,
        journal=observed.journal,
        wall_s=time.perf_counter() - wall_start,
        overrides=dict(overrides or {}),
        cache=cache,
    )
