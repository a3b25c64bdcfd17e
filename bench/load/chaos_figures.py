"""The pure half of the chaos run: its plan, the longest stall, figures per segment, the report.

``python -m bench.loadrun --chaos`` breaks things under load (a worker, Redis, the fake)
and has to say what each break cost the callers. Everything here works on plain data
(event offsets, completion timestamps, journal entries), so that it is tested without
starting a process or waiting a second; :mod:`bench.load.chaos` does the breaking.

Time is epoch seconds throughout: the locust user logs completions with ``time.time()``,
the fake journals arrivals with its clock, the runner stamps its events, all on one machine.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bench.load.report import fmt
from bench.mcp_wire import percentile

#: Below this the segments between the events are too short to show anything.
MIN_DURATION_S = 30
#: The issue's bound: after a kill -9 or a Redis restart no caller waits longer than one
#: flight lease (~3 s) plus one upstream request (Kiwoom's pace: 1 request/s per TR) beyond normal.
FLIGHT_LEASE_S = 3.0
UPSTREAM_REQUEST_S = 1.0
#: What each action starts: the segment after it carries this name.
SEGMENT_AFTER = {
    "kill_worker": "worker killed",
    "kill_redis": "Redis down",
    "start_redis": "Redis back",
    "kill_fake": "fake down",
    "start_fake": "fake back",
}
#: The segments the wait target is about (the issue names kill -9 of a worker and a Redis restart).
WAIT_TARGET_SEGMENTS = ("worker killed", "Redis down", "Redis back")
BASELINE = "baseline"
STARTUP = "start-up + pre-fill"
SHUTDOWN = "shutdown"

#: One tool call as the locust user logged it: (completed at, latency ms, ok, HTTP status; 0 = no answer).
Completion = tuple[float, float, bool, int]
Entry = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ChaosEvent:
    """One injected fault: ``at_s`` seconds after the load began, do ``action``."""

    at_s: float
    action: str
    what: str


def chaos_plan(duration_s: float, *, redis_down_s: float = 5.0, fake_down_s: float = 3.0) -> list[ChaosEvent]:
    """The faults, spread over the run so that each one's aftermath gets a segment of its own.

    Sixths of the run: a baseline, then the worker, then Redis (down ``redis_down_s``, then a
    longer stretch to watch it refill), then the fake, and a last stretch after it.
    """
    if duration_s < MIN_DURATION_S:
        raise ValueError(f"a chaos run needs at least {MIN_DURATION_S} s of load, got {duration_s}")
    sixth = duration_s / 6
    if redis_down_s >= 2 * sixth or fake_down_s >= sixth:
        raise ValueError("the outages must be shorter than the segments they open")
    return [
        ChaosEvent(round(sixth, 1), "kill_worker", "kill -9 one worker (uvicorn's supervisor should start another)"),
        ChaosEvent(round(2 * sixth, 1), "kill_redis", "kill -9 redis-server"),
        ChaosEvent(round(2 * sixth + redis_down_s, 1), "start_redis", "redis-server again, same port, empty"),
        ChaosEvent(round(4 * sixth, 1), "kill_fake", "read the fake's journal, then kill -9 fake-kiwoom"),
        ChaosEvent(round(4 * sixth + fake_down_s, 1), "start_fake", "fake-kiwoom again, same port (no tokens)"),
    ]


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of the run between two events (or the load's start or end)."""

    name: str
    start: float
    end: float


def segments(load_start: float, load_end: float, marks: Sequence[tuple[float, str]]) -> list[Segment]:
    """The load cut at each ``(when, action)`` mark; the first stretch is the baseline."""
    cuts = [(load_start, BASELINE)] + [(when, SEGMENT_AFTER.get(action, action)) for when, action in sorted(marks)]
    ends = [when for when, _ in cuts[1:]] + [load_end]
    return [Segment(name, start, end) for (start, name), end in zip(cuts, ends, strict=True)]


@dataclass(frozen=True, slots=True)
class Stall:
    """The longest interval with no completion, and where it lay."""

    seconds: float
    start: float
    end: float


def longest_stall(completed_at: Sequence[float], start: float, end: float) -> Stall:
    """The longest gap between consecutive completions in ``[start, end]``, edges included.

    The edges count: a window whose calls all hang until its end stalled all along, and a
    window with no completion at all is one stall from ``start`` to ``end``.
    """
    points = [start, *sorted(t for t in completed_at if start <= t <= end), end]
    best = Stall(0.0, start, start)
    for before, after in itertools.pairwise(points):
        if after - before > best.seconds:
            best = Stall(round(after - before, 3), before, after)
    return best


def _in(segment: Segment, when: float) -> bool:
    return segment.start <= when < segment.end


def segment_figures(segment: Segment, completions: Sequence[Completion], journal: Sequence[Entry]) -> dict[str, Any]:
    """What the callers and the fake saw in one segment (calls by completion time, requests by arrival)."""
    calls = [c for c in completions if _in(segment, c[0])]
    latency: dict[float, int] = {}
    for _, ms, _, _ in calls:
        latency[ms] = latency.get(ms, 0) + 1
    entries = [e for e in journal if _in(segment, float(e["ts"]))]
    trs = [e for e in entries if str(e.get("path", "")).startswith("/api/")]
    return {
        "name": segment.name,
        "start": segment.start,
        "seconds": round(segment.end - segment.start, 1),
        "calls": len(calls),
        "failures": sum(1 for c in calls if not c[2]),
        "no_answer": sum(1 for c in calls if c[3] == 0),
        "http_5xx": sum(1 for c in calls if c[3] >= 500),
        "p99_ms": percentile(latency, 0.99),
        "max_ms": max((c[1] for c in calls), default=None),
        # Outside the load (start-up, shutdown) nobody calls: a "stall" there would mean nothing.
        "stall_s": None
        if segment.name in (STARTUP, SHUTDOWN)
        else longest_stall([c[0] for c in calls if c[2]], segment.start, segment.end).seconds,
        "tr_requests": len(trs),
        "kiwoom_1700": sum(1 for e in trs if e.get("detail_code") == 1700 and not e.get("fault")),
        "token_issues": sum(1 for e in entries if e.get("api_id") == "au10001"),
        "revokes": [_revoke(e) for e in entries if e.get("api_id") == "au10002"],
    }


def _revoke(entry: Entry) -> str:
    """A revoke as the report shows it: HTTP status and Kiwoom's code (0 = revoked, 8016 = unknown token)."""
    code = entry.get("detail_code") if entry.get("detail_code") is not None else entry.get("return_code")
    return f"HTTP {entry.get('status')} code {code}"


def chaos_targets(figures: Sequence[dict[str, Any]], http_5xx: int) -> dict[str, dict[str, Any]]:
    """The issue's targets against the segments' figures (reported, not asserted)."""
    by_name = {f["name"]: f for f in figures}
    base = by_name.get(BASELINE) or {}
    base_max = float(base.get("max_ms") or 0.0)
    allowed_ms = base_max + (FLIGHT_LEASE_S + UPSTREAM_REQUEST_S) * 1000
    report: dict[str, dict[str, Any]] = {}
    for name in WAIT_TARGET_SEGMENTS:
        seg = by_name.get(name)
        if seg is None:
            continue
        worst = seg["max_ms"]
        report[f"longest wait, {name}"] = {
            "value": worst,
            "target": f"≤ {allowed_ms:g} ms (baseline max {base_max:g} + lease {FLIGHT_LEASE_S:g} s "
            f"+ one request {UPSTREAM_REQUEST_S:g} s)",
            "met": worst is not None and worst <= allowed_ms,
        }
    down = by_name.get("Redis down")
    if down is not None:
        refused = down["kiwoom_1700"]
        report["1700s while Redis is down"] = {"value": refused, "target": 0, "met": not refused}
    report["revokes at shutdown"] = _revoke_target(figures)
    report["HTTP 5xx from ours"] = {"value": http_5xx, "target": 0, "met": http_5xx == 0}
    return report


def _revoke_target(figures: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Exactly one au10002 at shutdown, from the last live worker; accepted unless its token died with the fake.

    A token issued before the fake was killed is unknown to the restarted fake, which answers
    8016: the revoke was still sent, which is what the target is about. Only when a token was
    issued after the restart must the revoke be accepted (code 0).
    """
    names = [f["name"] for f in figures]
    restart = names.index("fake back") if "fake back" in names else len(names)
    reissued = sum(f["token_issues"] for f in figures[restart:])
    revokes: list[str] = next((f["revokes"] for f in figures if f["name"] == SHUTDOWN), [])
    expected = "code 0" if reissued or restart == len(names) else "code 8016"
    return {
        "value": revokes or "none",
        "target": f"exactly one, answered {expected} "
        + ("(a token was issued after the fake's restart)" if reissued else "(the token died with the fake)"),
        "met": len(revokes) == 1 and revokes[0].endswith(expected),
    }


def timeline_lines(load_start: float, timeline: Sequence[tuple[float, str]]) -> list[str]:
    """The injected events and what followed, as ``+12.3 s  text`` lines (offsets from the load's start)."""
    return [f"{when - load_start:+7.1f} s  {text}" for when, text in sorted(timeline, key=lambda item: item[0])]


def chaos_table(figures: Sequence[dict[str, Any]], origin: float) -> str:
    """A markdown table, one row per segment (pasted into bench/README.md as is); times from ``origin``."""
    columns = ["segment", "from s", "length s", "calls", "MCP fails", "no answer", "HTTP 5xx", "p99 ms",
               "max ms", "longest stall s", "TR requests", "1700s", "token issues", "revokes"]  # fmt: skip
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for f in figures:
        lines.append(
            f"| {f['name']} | {f['start'] - origin:+.1f} | {fmt(f['seconds'])} | {f['calls']} | {f['failures']} "
            f"| {f['no_answer']} | {f['http_5xx']} | {fmt(f['p99_ms'])} | {fmt(f['max_ms'])} | {fmt(f['stall_s'])} "
            f"| {f['tr_requests']} | {f['kiwoom_1700']} | {f['token_issues']} | {', '.join(f['revokes']) or 0} |"
        )
    return "\n".join(lines)


def rss_lines(rss: dict[str, Any]) -> list[str]:
    """Peak RSS of our server's processes, in MiB."""
    per = ", ".join(f"{name} {kib / 1024:.1f}" for name, kib in rss.get("peak_kib", {}).items())
    total = rss.get("peak_total_kib")
    return [f"peak RSS (MiB): {per or '-'}; all server processes together at one sample: "
            f"{total / 1024 if total else 0:.1f}"]  # fmt: skip


def chaos_report(
    load_start: float,
    *,
    timeline: Sequence[tuple[float, str]],
    figures: Sequence[dict[str, Any]],
    targets: dict[str, dict[str, Any]],
    rss: dict[str, Any],
    stall: Stall,
) -> str:
    """The whole report: timeline, segment table, longest stall, RSS and the targets."""
    lines = ["Timeline (seconds from the start of the load):", *timeline_lines(load_start, timeline), ""]
    lines += [chaos_table(figures, load_start), ""]
    lines.append(
        f"longest stall (no call succeeded): {stall.seconds:g} s, from {stall.start - load_start:+.1f} s "
        f"to {stall.end - load_start:+.1f} s"
    )
    lines += rss_lines(rss)
    for item, target in targets.items():
        verdict = "met" if target["met"] else "MISSED"
        lines.append(f"target {item}: {target['value']} (target {target['target']}) {verdict}")
    return "\n".join(lines)
