"""The timeline of one run: what the client did (its observer hooks) and what the fake saw (its journal).

Both sides are needed to learn from a failure. The client knows why it waited and where an
answer came from (retry, cache, fallback, breaker); only the fake knows what each request
met on arrival (a 503, a hang, a dropped connection) and when it arrived. Times are seconds
since the run started, on the run's clock (the fake's journal uses the same clock).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from kiwoom.observe import ClientObserver
from kiwoom_lab.checks import PacedWait

Kind = Literal[
    "call", "request", "response", "retry", "paced", "cache", "fallback", "breaker", "scenario", "stream", "fleet"
]
#: How an event is coloured: fine, a detour (retry, stale), a failure, or neutral.
Tone = Literal["ok", "warn", "fail", "info"]

_CACHE_TONES: dict[str, Tone] = {"hit": "ok", "shared": "ok", "miss": "info", "coalesced": "ok", "stale": "warn"}
_SOURCE_TONES: dict[str, Tone] = {"live": "ok", "simulated": "ok", "cache": "ok", "stale": "warn", "sample": "fail"}


@dataclass(frozen=True, slots=True)
class Event:
    t: float
    kind: Kind
    label: str
    detail: str
    tone: Tone = "info"
    #: A span (a call, a retry's wait, an injected delay); 0 for a point in time.
    duration_s: float = 0.0
    #: The codes a request carried (many for a ka10095 batch), or the code a call asked for.
    codes: tuple[str, ...] = ()
    #: The TR (or token API) of a request or response, as the fake journaled or the client reported it.
    api_id: str = ""
    #: The client operation a cache lookup or fallback was for (``get_stock_price``): its TTL applies.
    operation: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class TimelineRecorder(ClientObserver):
    """Turns the client's observer hooks into timeline events on the run's clock."""

    def __init__(self, now: Callable[[], float], t0: float) -> None:
        self._now = now
        self.t0 = t0
        self.events: list[Event] = []

    def _t(self) -> float:
        return self._now() - self.t0

    def elapsed(self) -> float:
        """Seconds since the run started, on the run's clock."""
        return self._t()

    def note(self, kind: Kind, label: str, detail: str, tone: Tone = "info") -> None:
        """An event the runner itself marks now (the lab cut Redis, killed a worker)."""
        self.events.append(Event(self._t(), kind, label, detail, tone))

    def upstream_request(self, api_id: str, outcome: str, elapsed_s: float) -> None:
        tone: Tone = "ok" if outcome == "200" else "fail"
        detail = f"{api_id} answered {outcome} after {elapsed_s * 1000:.0f} ms (wall)"
        self.events.append(Event(self._t(), "response", outcome, detail, tone, api_id=api_id))

    def retry(self, operation: str, attempt: int, delay_s: float, cause: str) -> None:
        detail = f"{operation}: attempt {attempt} failed ({cause}); waiting {delay_s:g} s"
        self.events.append(Event(self._t(), "retry", f"wait {delay_s:.3g}s", detail, "warn", delay_s))

    def cache(self, operation: str, event: str) -> None:
        tone = _CACHE_TONES.get(event, "info")
        what = "another worker's answer, from the shared cache (Redis)" if event == "shared" else f"cache {event}"
        self.events.append(Event(self._t(), "cache", event, f"{operation}: {what}", tone, operation=operation))

    def paced(self, api_id: str, wait_s: float, *, declined: bool = False) -> None:
        """A wait for ``api_id``'s rate budget (a span), or a caller that asked another way instead (a point)."""
        if declined:
            would = f", would have waited {wait_s:.3f} s" if wait_s else ", others already queued"
            detail = f"{api_id}: rate budget spent{would}; asked another way instead (a ka10095 batch)"
            self.events.append(Event(self._t(), "paced", "spent", detail, "info", api_id=api_id))
            return
        detail = f"{api_id}: waiting {wait_s:.3f} s for its rate budget (KIWOOM_RATE_LIMIT_PER_S, _BURST)"
        self.events.append(Event(self._t(), "paced", f"wait {wait_s:.2g}s", detail, "warn", wait_s, api_id=api_id))

    def fallback(self, operation: str, kind: str, reason: str) -> None:
        tone: Tone = "warn" if kind == "stale" else "fail"
        detail = f"{operation}: {kind} data because {reason}"
        self.events.append(Event(self._t(), "fallback", kind, detail, tone, operation=operation))

    def breaker(self, old_state: str, new_state: str) -> None:
        tone: Tone = "fail" if new_state == "open" else "warn" if new_state == "half_open" else "ok"
        self.events.append(Event(self._t(), "breaker", new_state, f"circuit breaker {old_state} → {new_state}", tone))

    def scenario_loaded(self, name: str) -> None:
        """The runner switched the fake's faults on (``expect.load_after_calls``)."""
        self.events.append(Event(self._t(), "scenario", "loaded", f"scenario {name} loaded: its faults start now"))

    def begin_call(self, index: int, code: str | None = None) -> int:
        """Hold the call's place in the timeline (its span is known only when it ends); ``code`` it asks for."""
        codes = (code,) if code else ()
        self.events.append(Event(self._t(), "call", "…", _call_name(index, codes), "info", codes=codes))
        return len(self.events) - 1

    def end_call(
        self, slot: int, index: int, duration_s: float, result: dict[str, Any] | None, error: str | None
    ) -> None:
        started, codes = self.events[slot].t, self.events[slot].codes
        name = _call_name(index, codes)
        if error is not None or result is None:
            self.events[slot] = Event(started, "call", "error", f"{name} raised {error}", "fail", duration_s, codes)
            return
        source = str(result.get("source"))
        parts = [f"{name}: source={source}", f"attempts={result.get('attempts')}"]
        if "price" in result:
            parts.append(f"price={result['price']}")
        if "note" in result:
            parts.append(f"note={result['note']}")
        tone = _SOURCE_TONES.get(source, "info")
        self.events[slot] = Event(started, "call", source, ", ".join(parts), tone, duration_s, codes)


def paced_waits(events: list[Event], t0: float) -> list[PacedWait]:
    """The recorder's rate-budget waits and detours, timed like the fake's journal (``t0`` added back)."""
    return [
        PacedWait(e.t + t0, e.api_id, e.duration_s, declined=e.label == "spent") for e in events if e.kind == "paced"
    ]


def _call_name(index: int, codes: tuple[str, ...]) -> str:
    """``call 3`` or, when the run gives each call its own code, ``call 3 (000660)``."""
    return f"call {index + 1} ({codes[0]})" if codes else f"call {index + 1}"


def request_codes(row: dict[str, Any]) -> tuple[str, ...]:
    """The codes a journaled request carried: one, many for a ka10095 batch (``a|b|c``), or none."""
    return tuple(code for code in str(row.get("stock_code") or "").split("|") if code)


def journal_events(rows: list[dict[str, Any]], t0: float) -> list[Event]:
    """The fake's journal as ``request`` events: arrival time, what met the request, injected delay.

    A request carrying many codes (a ka10095 batch) reads as one request: ``200 ×28 codes``,
    ``ka10095 ×28 codes → 200: 005930 000660 …``.
    """
    events = []
    for row in rows:
        status = row.get("status")
        fault = row.get("fault")
        delay_s = float(row.get("latency_ms") or 0.0) / 1000
        label = str(status) if status is not None else ("dropped" if fault == "drop_connection" else "no answer")
        api_id = str(row.get("api_id") or "")
        codes = request_codes(row)
        batch = len(codes) > 1
        parts = [api_id or str(row.get("path"))]
        if codes:
            parts.append(f"×{len(codes)} codes" if batch else codes[0])
        parts.append(f"→ {label}")
        if row.get("detail_code") is not None:
            parts.append(f"[{row['detail_code']}]")
        if fault:
            parts.append(f"fault={fault}")
        if delay_s:
            parts.append(f"delay={delay_s:g}s")
        detail = " ".join(parts) + (": " + " ".join(codes) if batch else "")
        ok = status == 200 and fault in (None, "latency")
        tone: Tone = "ok" if ok else "fail" if fault or (status or 0) >= 400 or status is None else "info"
        shown = f"{label} ×{len(codes)} codes" if batch else label
        events.append(Event(float(row["ts"]) - t0, "request", shown, detail, tone, delay_s, codes, api_id))
    return events


def _is_tr(row: dict[str, Any]) -> bool:
    return str(row.get("path", "")).startswith("/api/dostk/")


def merge(observed: list[Event], rows: list[dict[str, Any]], t0: float) -> list[Event]:
    """One timeline in causal order, even where a virtual clock gives many events the same time.

    The recorder's events are already in the order they happened. Every TR request the
    fake journaled produced exactly one ``response`` hook, so each goes just before the
    next unclaimed response of its TR (concurrent calls answer out of arrival order); a
    token request goes before the next TR request it preceded. Each call then names the
    request that answered it (:func:`link_answers`).
    """
    requests = journal_events(rows, t0)
    answers: dict[str, list[int]] = {}
    for index, event in enumerate(observed):
        if event.kind == "response":
            answers.setdefault(event.api_id, []).append(index)
    before: dict[int, list[Event]] = {}
    pending: list[Event] = []
    for row, event in zip(rows, requests, strict=True):
        pending.append(event)
        waiting = answers.get(event.api_id)
        if _is_tr(row) and waiting:
            before.setdefault(waiting.pop(0), []).extend(pending)
            pending = []
    merged: list[Event] = []
    for index, event in enumerate(observed):
        merged.extend(before.get(index, []))
        merged.append(event)
    for event in pending:  # token issues and revokes after the last TR answer
        at = next((i for i, e in enumerate(merged) if e.t > event.t), len(merged))
        merged.insert(at, event)
    return link_answers(_settle_requests(merged))


def _settle_requests(events: list[Event]) -> list[Event]:
    """Move each request back before the events that happened after it arrived (strictly later).

    Placed just before its response, a concurrent run's batch would read as sent after a
    ka10001 answer it preceded. Ties stay in causal order, so a virtual clock's equal times
    keep the recorder's order.
    """
    out: list[Event] = []
    for event in events:
        at = len(out)
        while event.kind == "request" and at and out[at - 1].t > event.t:
            at -= 1
        out.insert(at, event)
    return out


def answered_by(call: Event, events: list[Event]) -> Event | None:
    """The request that brought ``call``'s data: the last good one during the call that carried its code."""
    if call.kind != "call" or len(call.codes) != 1 or call.label in ("error", "cache", "sample"):
        return None
    code, end = call.codes[0], call.t + call.duration_s
    found = [e for e in events if e.kind == "request" and e.tone == "ok" and code in e.codes and call.t <= e.t <= end]
    return found[-1] if found else None


def link_answers(events: list[Event]) -> list[Event]:
    """Each call with its answering request in its detail: ``answered by ka10095 ×28 codes at t+0.031``."""
    out = []
    for event in events:
        request = answered_by(event, events)
        if request is None:
            out.append(event)
            continue
        what = f"{request.api_id} ×{len(request.codes)} codes" if len(request.codes) > 1 else request.api_id
        out.append(replace(event, detail=f"{event.detail}, answered by {what} at t+{request.t:.3f}"))
    return out
