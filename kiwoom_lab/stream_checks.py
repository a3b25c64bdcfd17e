"""The checks of ``expect.stream``: how the real-time stream recovered from the lesson's fault.

They read the stream's own observer events (:class:`StreamSeen`), not the fake's journal:
what matters is what the client did about the fault, and when, on the run's clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kiwoom_lab.checks import Check
from kiwoom_lab.stream_spec import StreamExpect


@dataclass(slots=True)
class StreamSeen:
    """What one stream run did: its observer events (seconds since the start) and buffer samples."""

    events: list[tuple[float, str, Mapping[str, object]]] = field(default_factory=list)
    max_pending: int = 0
    conflated: int = 0
    consumed: int = 0

    def times(self, name: str) -> list[float]:
        return [t for t, event, _ in self.events if event == name]

    def codes_after(self, name: str, since: float) -> set[str]:
        """Every code the ``name`` events (``reg``: ``items``, ``backfill``: ``codes``) named from ``since``."""
        found: set[str] = set()
        for t, event, detail in self.events:
            if event == name and t >= since:
                listed = detail.get("items", detail.get("codes", []))
                found.update(str(code) for code in listed) if isinstance(listed, list) else None
        return found


def _recoveries(seen: StreamSeen) -> list[float | None]:
    """Per disconnect: seconds until the next REG went out (the codes registered again), or None."""
    regs = seen.times("reg")
    out: list[float | None] = []
    for down in seen.times("disconnect"):
        later = [t for t in regs if t >= down]
        out.append(later[0] - down if later else None)
    return out


def _missing(wanted: list[str], got: set[str]) -> str:
    missing = [code for code in wanted if code not in got]
    return "all " + str(len(wanted)) + " codes" if not missing else "missing " + " ".join(missing)


def stream_checks(spec: StreamExpect, seen: StreamSeen) -> list[Check]:
    """One check per check key present in ``spec``, in a fixed order."""
    checks: list[Check] = []
    downs = seen.times("disconnect")
    first_down = downs[0] if downs else None
    if spec.reconnect_within_s is not None:
        recoveries = _recoveries(seen)
        if not recoveries:
            checks.append(
                Check("stream.reconnect_within_s", f"at most {spec.reconnect_within_s:g}", "no disconnect", False)
            )
        else:
            shown = ", ".join("never" if r is None else f"{r:.3f}" for r in recoveries)
            ok = all(r is not None and r <= spec.reconnect_within_s for r in recoveries)
            note = "from each disconnect to the next REG, real clock"
            checks.append(Check("stream.reconnect_within_s", f"at most {spec.reconnect_within_s:g}", shown, ok, note))
    if spec.reconnects is not None:
        count = max(len(seen.times("connect")) - 1, 0)
        checks.append(Check("stream.reconnects", spec.reconnects.describe(), str(count), spec.reconnects.holds(count)))
    if spec.logins is not None:
        count = len(seen.times("login"))
        checks.append(Check("stream.logins", spec.logins.describe(), str(count), spec.logins.holds(count)))
    if spec.resubscribed is not None:
        got = seen.codes_after("reg", first_down) if first_down is not None else set()
        ok = first_down is not None and set(spec.codes) <= got
        shown = "no disconnect" if first_down is None else _missing(spec.codes, got)
        expected = "all codes registered again" if spec.resubscribed else "not registered again"
        checks.append(Check("stream.resubscribed", expected, shown, ok == spec.resubscribed, "REG after the drop"))
    if spec.backfilled is not None:
        quotes = spec.codes if "0B" in spec.kinds else []
        got = seen.codes_after("backfill", first_down) if first_down is not None else set()
        ok = first_down is not None and bool(quotes) and set(quotes) <= got
        shown = "no disconnect" if first_down is None else _missing(quotes, got)
        expected = "every quote backfilled" if spec.backfilled else "no backfill"
        checks.append(Check("stream.backfilled", expected, shown, ok == spec.backfilled, "ka10095 after the gap"))
    if spec.max_buffered is not None:
        ok = seen.max_pending <= spec.max_buffered
        note = "unread ticks held, sampled every 50 ms"
        checks.append(Check("stream.max_buffered", f"at most {spec.max_buffered}", str(seen.max_pending), ok, note))
    if spec.conflated is not None:
        holds = spec.conflated.holds(seen.conflated)
        note = "unread ticks replaced by a newer one"
        checks.append(Check("stream.conflated", spec.conflated.describe(), str(seen.conflated), holds, note))
    if spec.consumed is not None:
        holds = spec.consumed.holds(seen.consumed)
        checks.append(Check("stream.consumed", spec.consumed.describe(), str(seen.consumed), holds, "ticks read"))
    if spec.watchdog is not None:
        fired = bool(seen.times("watchdog"))
        checks.append(
            Check(
                "stream.watchdog",
                "fired" if spec.watchdog else "quiet",
                "fired" if fired else "quiet",
                fired == spec.watchdog,
            )
        )
    return checks
