"""Run one scenario end to end: the fake on a real socket, the real client, then the checks.

``run_scenario`` is the library entry point (tests call it; the CLI prints and draws its
``RunReport``). Per run it starts a fresh fake with the scenario loaded, builds a
``KiwoomClient`` with the scenario's settings and a timeline recorder as its observer,
calls the tool as ``expect`` says, reads the fake's journal and counts through the admin
API, asks the client for its breaker state, and only then closes the client (closing
revokes the token, which would otherwise show up in the counts).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from functools import partial
from pathlib import Path
from typing import Any

import httpx2

from fake_kiwoom import FakeKiwoomConfig, create_app
from fake_kiwoom.scenario_model import Scenario, load_scenario
from kiwoom.client import KiwoomClient
from kiwoom.config import Settings
from kiwoom_lab.calls import ToolFailedError, invoke, invoke_tool, mcp_session, recorded_call, tool_arguments
from kiwoom_lab.checks import CallOutcome, Observed, check_all
from kiwoom_lab.clock import Clock, RealClock, VirtualClock
from kiwoom_lab.fake_admin import what_the_fake_saw
from kiwoom_lab.fleet_run import Watch, run_fleet_scenario
from kiwoom_lab.loopback import serve
from kiwoom_lab.report import CachePolicy, RunReport
from kiwoom_lab.spec import Expect, build_settings, parse_expect
from kiwoom_lab.stream_run import run_stream_scenario
from kiwoom_lab.timeline import Event, TimelineRecorder, merge, paced_waits

#: ``RunReport`` lives in :mod:`kiwoom_lab.report` (the stream runner returns one too) and the tool calls in
#: :mod:`kiwoom_lab.calls` (the fleet runner makes them too); both are re-exported here.
__all__ = ["RunReport", "ToolFailedError", "invoke", "invoke_tool", "run_file", "run_scenario", "tool_arguments"]


async def _load(base_url: str, scenario: Scenario) -> None:
    async with httpx2.AsyncClient(base_url=base_url, timeout=10.0) as admin:
        response = await admin.put("/__admin/scenario", content=scenario.model_dump_json())
        response.raise_for_status()


async def _exercise(
    scenario: Scenario,
    expect: Expect,
    settings: Settings,
    *,
    clock: Clock,
    base_url: str,
    via: str = "client",
    watch: Watch | None = None,
) -> tuple[Observed, list[Event]]:
    t0 = clock.now()
    recorder = TimelineRecorder(clock.now, t0)
    if watch is not None:
        watch(base_url, recorder)
    timing: dict[str, Any] = {"sleep": clock.sleep, "clock": clock.now}
    if clock.virtual:
        timing["monotonic"] = clock.now
    client = KiwoomClient(settings, observer=recorder, **timing)
    calls: list[CallOutcome] = []
    async with contextlib.AsyncExitStack() as stack:
        mcp = await mcp_session(stack, client) if via == "mcp" else None
        seen = await _calls(
            scenario, expect, client=client, mcp=mcp, clock=clock, recorder=recorder, base_url=base_url, calls=calls
        )
    seen.paced = paced_waits(recorder.events, t0)  # the min_gaps check tells rate-budget waits from backoff
    return seen, merge(recorder.events, seen.journal, t0)


async def _calls(
    scenario: Scenario,
    expect: Expect,
    *,
    client: KiwoomClient,
    mcp: Any,
    clock: Clock,
    recorder: TimelineRecorder,
    base_url: str,
    calls: list[CallOutcome],
) -> Observed:
    way = partial(invoke_tool, mcp) if mcp is not None else partial(invoke, client)

    async def call(index: int) -> None:
        calls.append(await recorded_call(recorder, expect, index, partial(way, expect, index)))

    try:
        if expect.concurrent:  # every call at once, as concurrent users would (validated: no gaps, no late load)
            await asyncio.gather(*(call(index) for index in range(expect.calls)))
            calls.sort(key=lambda outcome: outcome.index)
        else:
            for index in range(expect.calls):
                if index and index == expect.load_after_calls:
                    await _load(base_url, scenario)
                    recorder.scenario_loaded(scenario.name)
                gap = expect.gap_before(index)
                if gap:
                    await clock.sleep(gap)
                await call(index)
        breaker = str((await client.health())["breaker"]["state"])
        async with httpx2.AsyncClient(base_url=base_url, timeout=10.0) as admin:
            journal, counts, token_issues = await what_the_fake_saw(admin, expect)
    finally:
        await client.close()
    return Observed(calls, journal, counts, token_issues, breaker, clock.virtual)


def run_scenario(
    scenario: Scenario,
    *,
    base_settings: Settings | None = None,
    overrides: dict[str, str] | None = None,
    source: str = "<scenario>",
    via: str = "client",
    watch: Watch | None = None,
) -> RunReport:
    """Run ``scenario`` against a fresh fake on a loopback socket and check its ``expect`` block.

    ``base_settings`` replaces the client defaults under the scenario's own settings;
    ``overrides`` (``KIWOOM_*`` names) go on top, for experiments. ``via="mcp"`` makes the
    calls as MCP tool calls through a ``KiwoomMCPServer`` around the client; ``watch`` is told
    where to follow the run live (not for stream lessons). Raises ``ScenarioError``
    when the ``expect`` block is invalid; a failing client call is recorded, not raised.
    """
    expect = parse_expect(scenario, source)
    if expect.stream is not None:  # a stream lesson: no tool call, the real-time socket instead
        return run_stream_scenario(scenario, expect, base_settings=base_settings, overrides=overrides, source=source)
    if expect.workers is not None:  # a fleet lesson: several workers sharing one Redis
        return run_fleet_scenario(
            scenario, expect, base_settings=base_settings, overrides=overrides, source=source, via=via, watch=watch
        )
    clock: Clock = VirtualClock() if expect.clock == "virtual" else RealClock()
    at_start = scenario if expect.load_after_calls == 0 else None
    app = create_app(FakeKiwoomConfig(seed=scenario.seed), clock=clock.now, sleep=clock.server_sleep, scenario=at_start)
    wall_start = time.perf_counter()
    with serve(app, before_stop=clock.stop) as base_url:
        settings = build_settings(expect.settings, base_url, base_settings=base_settings, overrides=overrides)
        exercise = _exercise(scenario, expect, settings, clock=clock, base_url=base_url, via=via, watch=watch)
        seen, events = asyncio.run(exercise)
    return RunReport(
        scenario=scenario,
        expect=expect,
        source=source,
        events=events,
        calls=seen.calls,
        checks=check_all(expect, seen),
        journal=seen.journal,
        wall_s=time.perf_counter() - wall_start,
        overrides=dict(overrides or {}),
        cache=CachePolicy.of(settings),
    )


def run_file(
    path: str | Path, *, overrides: dict[str, str] | None = None, via: str = "client", watch: Watch | None = None
) -> RunReport:
    """Load, validate and run one scenario file (``ScenarioError`` if it is invalid)."""
    scenario = load_scenario(path)
    return run_scenario(scenario, overrides=overrides, source=str(path), via=via, watch=watch)
