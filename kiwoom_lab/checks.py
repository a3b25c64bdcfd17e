"""Compare what happened in a run with the scenario's ``expect`` block, one check per key.

Each check carries the expected and the observed value as text, so a failure reads as a
sentence ("attempts: expected 1, observed 3") in the terminal, the chart and JSON alike.

One deliberate leniency: the client labels fresh data from a host that is not kiwoom.com
``simulated`` (the fake is synthetic), so ``source: live`` accepts ``simulated``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from kiwoom_lab.spec import Expect

#: Slack for gaps measured over a real socket: the journal stamps arrival with ``time.time``
#: while the client sleeps on the event loop's monotonic clock.
REAL_GAP_TOLERANCE_S = 0.02

FRESH = frozenset({"live", "simulated"})


@dataclass(frozen=True, slots=True)
class Check:
    key: str
    expected: str
    observed: str
    passed: bool
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        text = f"{verdict}  {self.key}: expected {self.expected}, observed {self.observed}"
        return f"{text} ({self.note})" if self.note else text


@dataclass(frozen=True, slots=True)
class CallOutcome:
    """One tool call: its result, or the exception it raised, and how long it took on the run's clock."""

    index: int
    started: float
    duration_s: float
    result: dict[str, Any] | None
    error: str | None

    @property
    def source(self) -> str:
        return "error" if self.result is None else str(self.result.get("source"))


@dataclass(frozen=True, slots=True)
class PacedWait:
    """A wait for a TR's rate budget (or a caller that asked another way), timed like the journal's arrivals."""

    ts: float
    api_id: str
    wait_s: float
    declined: bool = False


@dataclass(slots=True)
class Observed:
    """Everything the checks read, gathered before the client closes."""

    calls: list[CallOutcome]
    journal: list[dict[str, Any]]
    counts: list[int]
    token_issues: int
    breaker: str
    virtual: bool
    notes: list[str] = field(default_factory=list)
    #: The client's waits for the rate budget: part of a gap between arrivals that is not backoff.
    paced: list[PacedWait] = field(default_factory=list)


def source_matches(expected: str, observed: str) -> bool:
    return observed in FRESH if expected == "live" else observed == expected


def _matches(row: dict[str, Any], criteria: dict[str, Any]) -> bool:
    since = criteria.get("since_ts")
    if since is not None and row["ts"] < since:
        return False
    return all(row.get(key) == value for key, value in criteria.items() if key != "since_ts")


def _gaps(journal: list[dict[str, Any]], criteria: dict[str, Any]) -> list[float]:
    times = [float(row["ts"]) for row in journal if _matches(row, criteria)]
    return [b - a for a, b in itertools.pairwise(times)]


def _pacing_note(journal: list[dict[str, Any]], criteria: dict[str, Any], paced: list[PacedWait]) -> str:
    """What of the gaps was the client waiting for the rate budget, not backing off (empty when nothing).

    A gap longer than the configured backoff, or an attempt missing from the count, is then
    explained where the learner reads the failure instead of only on the chart.
    """
    api_id = criteria.get("api_id")
    mine = [w for w in paced if api_id is None or w.api_id == api_id]
    times = [float(row["ts"]) for row in journal if _matches(row, criteria)]
    parts = []
    for number, (start, end) in enumerate(itertools.pairwise(times), 1):
        waited = sum(w.wait_s for w in mine if not w.declined and start <= w.ts < end)
        if waited:
            parts.append(f"gap {number} includes {waited:.3f} s waiting for the rate budget")
    detours = sum(w.declined for w in mine)
    if detours:
        parts.append(f"{detours} attempt(s) found the rate budget spent and went out another way (a ka10095 batch)")
    return "; " + "; ".join(parts) if parts else ""


def _fmt(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:.3f}".rstrip("0").rstrip(".") for v in values) + "]"


def _listed(values: Sequence[str]) -> str:
    """Per-call values in order; ``live (all 30 calls)`` when every call has the same."""
    if len(values) > 1 and len(set(values)) == 1:
        return f"{values[0]} (all {len(values)} calls)"
    return ", ".join(values)


def check_all(expect: Expect, seen: Observed) -> list[Check]:
    """One ``Check`` per checkable key present in ``expect``, in a fixed, readable order."""
    checks: list[Check] = []
    calls = seen.calls
    if expect.success is not None:
        flags = [c.error is None for c in calls]
        errors = "; ".join(f"call {c.index + 1}: {c.error}" for c in calls if c.error)
        shown = ", ".join(str(f).lower() for f in flags)
        if len(flags) > 1 and len(set(flags)) == 1:
            shown = f"{str(flags[0]).lower()} (all {len(flags)} calls)"
        ok = bool(flags) and all(f == expect.success for f in flags)
        checks.append(Check("success", str(expect.success).lower(), shown, ok, errors))
    if expect.source is not None:
        last = calls[-1].source if calls else "none"
        note = "the fake is not a kiwoom.com host" if expect.source == "live" and last == "simulated" else ""
        checks.append(Check("source", expect.source, last, source_matches(expect.source, last), note))
    if expect.sources is not None:
        observed = [c.source for c in calls]
        ok = len(observed) == len(expect.sources) and all(map(source_matches, expect.sources, observed))
        checks.append(Check("sources", _listed(expect.sources), _listed(observed), ok))
    if expect.attempts is not None:
        first = calls[0].result if calls else None
        got = first.get("attempts") if first is not None else None
        checks.append(Check("attempts", str(expect.attempts), str(got), got == expect.attempts, "first call"))
    if expect.token_issues is not None:
        checks.append(
            Check(
                "token_issues",
                str(expect.token_issues),
                str(seen.token_issues),
                seen.token_issues == expect.token_issues,
                "au10001 requests at the fake",
            )
        )
    for spec, count in zip(expect.upstream(), seen.counts, strict=True):
        if spec.count is not None:
            checks.append(Check("upstream_requests", f"{spec.count}", str(count), count == spec.count, spec.describe()))
        else:
            assert spec.max is not None
            checks.append(
                Check("upstream_requests", f"at most {spec.max}", str(count), count <= spec.max, spec.describe())
            )
    if expect.min_gaps_s is not None:
        criteria = expect.upstream()[0].criteria()
        gaps = _gaps(seen.journal, criteria)
        slack = 1e-6 if seen.virtual else REAL_GAP_TOLERANCE_S
        ok = len(gaps) >= len(expect.min_gaps_s) and all(
            g >= want - slack for g, want in zip(gaps, expect.min_gaps_s, strict=False)
        )
        note = f"gaps between arrivals of {', '.join(f'{k}={v}' for k, v in criteria.items()) or 'all requests'}"
        note += _pacing_note(seen.journal, criteria, seen.paced)
        checks.append(Check("min_gaps_s", f"at least {_fmt(expect.min_gaps_s)}", _fmt(gaps), ok, note))
    if expect.max_latency_s is not None:
        slowest = max((c.duration_s for c in calls), default=0.0)
        clock = "virtual" if seen.virtual else "wall"
        checks.append(
            Check(
                "max_latency_s",
                f"at most {expect.max_latency_s:g}",
                f"{slowest:.3f}",
                slowest <= expect.max_latency_s,
                f"slowest call, {clock} clock",
            )
        )
    if expect.breaker is not None:
        checks.append(Check("breaker", expect.breaker, seen.breaker, seen.breaker == expect.breaker))
    return checks
