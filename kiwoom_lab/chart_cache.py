"""The cache lane's windows: how long each fresh answer stays fresh (TTL), then may answer a failure as stale.

``ttl_expiry`` is about the TTL and ``total_outage`` about the stale-if-error window, yet
neither window used to be drawn. After each fresh upstream answer that the client cached,
a band covers its TTL (``KIWOOM_CACHE_TTL``, or the operation's override) and a lighter one
the stale window after it (``KIWOOM_STALE_IF_ERROR_S``). A band ends early where the same
operation and code got a newer fresh answer (it replaced the entry). The moments a window
ends are landmarks of the time axis, so the end is drawn between the calls it separates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kiwoom_lab.axis import TimeAxis
from kiwoom_lab.chart_labels import LabelPlacer, Wish
from kiwoom_lab.chart_marks import CACHE_LANE, Lanes
from kiwoom_lab.chart_style import StylesUsed
from kiwoom_lab.chart_svg import el, mark
from kiwoom_lab.report import CachePolicy
from kiwoom_lab.timeline import Event

FRESH = frozenset({"live", "simulated"})


@dataclass(frozen=True, slots=True)
class CachedWindow:
    """One cached answer: when it was stored, how long it was fresh, then stale-usable, and when it was replaced."""

    operation: str
    codes: tuple[str, ...]
    start: float
    ttl_s: float
    stale_s: float
    #: When a newer fresh answer of the same operation and codes replaced it (None: never, in this run).
    replaced: float | None = None

    @property
    def ttl_end(self) -> float:
        return self.start + self.ttl_s

    @property
    def stale_end(self) -> float:
        return self.ttl_end + self.stale_s

    def clipped(self, t: float) -> float:
        return t if self.replaced is None else min(t, self.replaced)

    def tip(self) -> str:
        what = f"{self.operation} {' '.join(self.codes)}".strip()
        text = (
            f"{what}: cached at t+{self.start:.3f}s, fresh until t+{self.ttl_end:.3f}s (TTL {self.ttl_s:g} s), "
            f"then may answer a failure as stale until t+{self.stale_end:.3f}s (stale-if-error {self.stale_s:g} s)"
        )
        if self.replaced is not None:
            text += f"; replaced by a newer answer at t+{self.replaced:.3f}s"
        return text


def _operation(events: Sequence[Event], at: int) -> str:
    """The operation of the call at ``at``: that of the first cache lookup or fallback during it."""
    call = events[at]
    end = call.t + call.duration_s
    for event in events[at + 1 :]:
        if event.kind in ("cache", "fallback") and event.operation and call.t <= event.t <= end:
            return event.operation
        if event.t > end:
            break
    return ""


def cached_windows(events: Sequence[Event], policy: CachePolicy | None) -> list[CachedWindow]:
    """The window of every fresh answer the client cached, in the order they were stored."""
    if policy is None:
        return []
    found: list[CachedWindow] = []
    for at, event in enumerate(events):
        if event.kind != "call" or event.label not in FRESH:
            continue
        operation = _operation(events, at)
        if not operation:
            continue
        start = event.t + event.duration_s
        found.append(CachedWindow(operation, event.codes, start, policy.ttl_for(operation), policy.stale_s))
    found.sort(key=lambda w: w.start)
    out = []
    for index, window in enumerate(found):
        key = (window.operation, window.codes)
        newer = next((w.start for w in found[index + 1 :] if (w.operation, w.codes) == key), None)
        out.append(CachedWindow(window.operation, window.codes, window.start, window.ttl_s, window.stale_s, newer))
    return out


def landmarks(windows: Sequence[CachedWindow], events: Sequence[Event]) -> list[float]:
    """The window ends that came during the run (not cut short by a newer answer): drawn on the axis."""
    last = max((e.t + e.duration_s for e in events), default=0.0)
    ends = set()
    for window in windows:
        for end in (window.ttl_end, window.stale_end) if window.stale_s else (window.ttl_end,):
            if 0 < end < last and window.clipped(end) == end:
                ends.add(end)
    return sorted(ends)


def draw_windows(
    windows: Sequence[CachedWindow], axis: TimeAxis, lanes: Lanes, placer: LabelPlacer, used: StylesUsed
) -> tuple[list[str], list[str]]:
    """The bands of the cache lane and their labels; windows alike at this scale are one mark (a burst's codes)."""
    top, height = lanes.lane_top(CACHE_LANE), lanes.height(CACHE_LANE)
    _, _, bottom_tier = lanes.tiers(CACHE_LANE)

    def span(window: CachedWindow) -> tuple[float, float, float]:
        return (axis.x(window.start), axis.x(window.clipped(window.ttl_end)), axis.x(window.clipped(window.stale_end)))

    groups: list[list[CachedWindow]] = []
    for window in windows:  # the windows of a burst's codes, a few ms apart, are one band
        if groups and all(abs(a - b) <= 2 for a, b in zip(span(window), span(groups[-1][0]), strict=True)):
            groups[-1].append(window)
        else:
            groups.append([window])
    out: list[str] = []
    labels: list[str] = []
    for group in groups:
        window, ttl = group[0], used("ttl")
        x0, x1, x2 = span(window)
        shapes = el("rect", x=x0, y=top + 3, width=max(x1 - x0, 1.0), height=height - 6, fill=ttl.colour)
        wishes = [Wish(f"TTL {window.ttl_s:g} s", [(x0 + 3, bottom_tier, "start")], 8, ttl.on)]
        if x2 > x1 and window.stale_s:
            stale = used("stale_window")
            shapes = el("rect", x=x1, y=top + 3, width=x2 - x1, height=height - 6, fill=stale.colour) + shapes
            wishes.append(Wish(f"stale-if-error {window.stale_s:g} s", [(x1 + 3, bottom_tier, "start")], 8, stale.on))
        tip = window.tip() + (f" (and {len(group) - 1} more like it)" if len(group) > 1 else "")
        out.append(mark(shapes, tip))
        for wish in wishes:
            label = placer.place(wish)
            labels += [mark(label.svg(), tip)] if label is not None else []
    return out, labels
