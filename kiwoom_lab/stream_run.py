"""Run a stream lesson: the client's real-time stream against the fake's faulty WebSocket.

A lesson with ``expect.stream`` makes no tool call. The runner starts the fake with the
scenario (its ``stream:`` faults) on a loopback port, builds the client as for any lesson
and its stream with :func:`kiwoom.realtime.build.build_stream` (a ``NetworkConnector``
over a real socket), registers the pairs, optionally reads the stream's iterator at the
lesson's pace, samples the unread buffer, stops after ``run_s`` and checks.

Real clock only: the socket loops (pushes, PINGs, the watchdog) would race a virtual clock
ahead. The clock is shifted to a trading morning (10:00 KST on a Thursday) but moves at
real speed, so prices change tick by tick at any hour a learner runs the lab.

The timeline gets a ``stream`` lane from both sides: the client's observer events
(lower case: ``connect``, ``login``, ``reg``, ``disconnect``, ``watchdog``, ``gap``,
``backfill``, ...) and the fake's journal of the socket (upper case: ``LOGIN``, ``REG``,
``DROP``, ``STALL``, ``TOKEN_EXPIRED``, ``CLOSE``, ...).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx2

from fake_kiwoom import FakeKiwoomConfig, create_app
from fake_kiwoom.scenario_model import Scenario
from fake_kiwoom.websocket import WS_PATH, WsSettings
from kiwoom.client import KiwoomClient
from kiwoom.config import Settings
from kiwoom.realtime.build import build_stream
from kiwoom.realtime.ticks import Tick
from kiwoom_lab.checks import Observed, check_all
from kiwoom_lab.clock import VIRTUAL_START, RealClock
from kiwoom_lab.fake_admin import what_the_fake_saw
from kiwoom_lab.loopback import serve
from kiwoom_lab.report import CachePolicy, RunReport
from kiwoom_lab.spec import Expect, build_settings
from kiwoom_lab.stream_checks import StreamSeen, stream_checks
from kiwoom_lab.stream_spec import StreamExpect
from kiwoom_lab.timeline import Event, TimelineRecorder, Tone, merge

#: How often the runner samples the stream's unread buffer.
SAMPLE_S = 0.05

_TONES: dict[str, Tone] = {
    "login": "ok",
    "reg": "ok",
    "backfill": "ok",
    "tick": "ok",
    "login_failed": "fail",
    "reg_refused": "fail",
    "disconnect": "fail",
    "backfill_failed": "fail",
    "server_error": "fail",
    "watchdog": "warn",
    "reconnect_wait": "warn",
    "gap": "warn",
    "rejected": "warn",
    "duplicate": "warn",
    "out_of_order": "warn",
}
#: Stream events that can come once per tick: the first of a connection is shown, the rest counted.
_PER_TICK = frozenset({"duplicate", "out_of_order"})
#: The fake's per-frame journal entries of the same kind: counted, not listed.
_FAKE_PER_FRAME = frozenset({"DUPLICATE", "OUT_OF_ORDER", "PING"})
_FAKE_TONES: dict[str, Tone] = {
    "LOGIN": "ok",
    "REG": "ok",
    "DROP": "fail",
    "TOKEN_EXPIRED": "fail",
    "STALL": "warn",
    "STALL_END": "ok",
    "BURST": "warn",
    "BURST_END": "info",
    "PING_SKIPPED": "warn",
}


class MarketClock(RealClock):
    """Wall time at real speed, shifted to a trading morning so the synthetic market moves."""

    def __init__(self, start: float = VIRTUAL_START) -> None:
        super().__init__()
        self._offset = start - time.time()

    def now(self) -> float:
        return time.time() + self._offset


def _words(detail: Mapping[str, object]) -> str:
    parts = []
    for key, value in detail.items():
        shown = " ".join(map(str, value)) if isinstance(value, list) else str(value)
        parts.append(f"{key}={shown}")
    return ", ".join(parts)


class StreamRecorder:
    """The stream's observer: each event as a ``stream`` timeline event and a raw record for the checks."""

    def __init__(self, now: Callable[[], float], t0: float) -> None:
        self._now, self.t0 = now, t0
        self.events: list[Event] = []
        self.seen = StreamSeen()
        self._counted: dict[str, int] = {}
        self._shown: set[tuple[str, int]] = set()
        self._connection = 0
        self._first_tick = True

    def stream_event(self, event: str, detail: Mapping[str, object]) -> None:
        t = self._now() - self.t0
        self.seen.events.append((t, event, dict(detail)))
        if event == "connect":
            self._connection += 1
        if event == "login":
            self._first_tick = True
        if event in _PER_TICK:
            self._counted[event] = self._counted.get(event, 0) + 1
            if (event, self._connection) in self._shown:
                return
            self._shown.add((event, self._connection))
        tone = _TONES.get(event, "info")
        listed = detail.get("items", detail.get("codes"))
        codes = tuple(str(c) for c in listed) if isinstance(listed, list) else ()
        duration = float(str(detail.get("delay_s", 0.0))) if event == "reconnect_wait" else 0.0
        self.events.append(
            Event(t, "stream", event, f"client: {event} {_words(detail)}".strip(), tone, duration, codes)
        )

    def tick(self, tick: Tick) -> None:
        """The first tick after each LOGIN: proof that data flows again."""
        if not self._first_tick or tick.origin == "backfill":
            return
        self._first_tick = False
        price = tick.values.get("10", "?")
        detail = f"client: first tick after LOGIN: {tick.kind} {tick.item} price={price}"
        self.events.append(Event(self._now() - self.t0, "stream", "tick", detail, "ok", codes=(tick.item,)))

    def summary(self) -> Event | None:
        """One closing row for what was only counted (duplicates, out-of-order ticks dropped)."""
        if not self._counted:
            return None
        counted = ", ".join(f"{name} ×{n}" for name, n in sorted(self._counted.items()))
        detail = f"client: dropped before any consumer saw them: {counted}"
        return Event(self._now() - self.t0, "stream", "dropped", detail, "warn")


def ws_events(rows: list[dict[str, Any]], t0: float) -> list[Event]:
    """The fake's journal of the socket as ``stream`` events (upper-case labels: the fake's side)."""
    events: list[Event] = []
    counted: dict[str, int] = {}
    for row in rows:
        api_id = str(row.get("api_id") or "?")
        if api_id in _FAKE_PER_FRAME:
            counted[api_id] = counted.get(api_id, 0) + 1
            continue
        fault, code = row.get("fault"), row.get("detail_code")
        parts = [f"fake: {api_id}"]
        if row.get("stock_code"):
            parts.append(str(row["stock_code"]))
        if code is not None:
            parts.append(f"[{code}]")
        if fault:
            parts.append(f"fault={fault}")
        tone = _FAKE_TONES.get(api_id, "info")
        if fault == "refuse_reg" or (api_id == "CLOSE" and code not in (1000, None)):
            tone = "fail"
        label = f"{api_id} {code}" if api_id in ("CLOSE", "DROP") and code is not None else api_id
        events.append(Event(float(row["ts"]) - t0, "stream", label, " ".join(parts), tone, api_id=api_id))
    if counted and rows:
        shown = ", ".join(f"{name} ×{n}" for name, n in sorted(counted.items()))
        events.append(Event(float(rows[-1]["ts"]) - t0, "stream", "frames", f"fake: also {shown}", "info"))
    return events


def _insert_by_time(base: list[Event], extra: list[Event]) -> list[Event]:
    """``extra`` placed among ``base`` by time, keeping ``base``'s (causal) order."""
    out = list(base)
    for event in sorted(extra, key=lambda e: e.t):
        at = next((i for i, e in enumerate(out) if e.t > event.t), len(out))
        out.insert(at, event)
    return out


async def _consume(stream: Any, every: float, seen: StreamSeen) -> None:
    async for _tick in stream:
        seen.consumed += 1
        if every:
            await asyncio.sleep(every)


async def _exercise(
    expect: Expect, spec: StreamExpect, settings: Settings, clock: MarketClock, base_url: str
) -> tuple[Observed, StreamSeen, list[Event]]:
    t0 = clock.now()
    recorder = TimelineRecorder(clock.now, t0)
    streams = StreamRecorder(clock.now, t0)
    client = KiwoomClient(settings, observer=recorder, sleep=clock.sleep, clock=clock.now)
    seen = streams.seen
    try:
        stream = build_stream(client, observer=streams)
        stream.add_listener(streams.tick)
        await stream.start()
        await stream.want(spec.pairs())
        consumer = None
        if spec.consume_every_s is not None:
            consumer = asyncio.create_task(_consume(stream, spec.consume_every_s, seen))
        end = time.monotonic() + spec.run_s
        while time.monotonic() < end:
            await asyncio.sleep(SAMPLE_S)
            seen.max_pending = max(seen.max_pending, len(stream.book.pending))
        if consumer is not None:
            consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await consumer
        await stream.stop()
        seen.conflated = stream.book.counters.conflated
        summary = streams.summary()
        breaker = str((await client.health())["breaker"]["state"])
        async with httpx2.AsyncClient(base_url=base_url, timeout=10.0) as admin:
            journal, counts, token_issues = await what_the_fake_saw(admin, expect)
    finally:
        await client.close()
    rest = [row for row in journal if row.get("path") != WS_PATH]
    socket = [row for row in journal if row.get("path") == WS_PATH]
    lane = streams.events + ws_events(socket, t0) + ([summary] if summary else [])
    events = _insert_by_time(merge(recorder.events, rest, t0), lane)
    return Observed([], journal, counts, token_issues, breaker, False), seen, events


def run_stream_scenario(
    scenario: Scenario,
    expect: Expect,
    *,
    base_settings: Settings | None = None,
    overrides: dict[str, str] | None = None,
    source: str = "<scenario>",
) -> RunReport:
    """Run a lesson with ``expect.stream`` (validated already) and check it.

    ``--via mcp`` runs it the same way: the lesson is about the stream under the MCP tools,
    and the stream is the same object whichever way a tool would read it.
    """
    spec = expect.stream
    assert spec is not None
    clock = MarketClock()
    app = create_app(FakeKiwoomConfig(seed=scenario.seed), clock=clock.now, sleep=clock.server_sleep, scenario=scenario)
    app.state.ws_settings = WsSettings(push_interval_s=spec.push_interval_s)
    wall_start = time.perf_counter()
    with serve(app, before_stop=clock.stop) as base_url:
        settings = build_settings(expect.settings, base_url, base_settings=base_settings, overrides=overrides)
        observed, seen, events = asyncio.run(_exercise(expect, spec, settings, clock, base_url))
    return RunReport(
        scenario=scenario,
        expect=expect,
        source=source,
        events=events,
        calls=[],
        checks=check_all(expect, observed) + stream_checks(spec, seen),
        journal=observed.journal,
        wall_s=time.perf_counter() - wall_start,
        overrides=dict(overrides or {}),
        cache=CachePolicy.of(settings),
    )
