"""Time → x for the timeline chart, with long idle stretches collapsed.

A run on the virtual clock may spend a second retrying, then skip 3600 s to let a cache
entry go stale. Drawn linearly the retries would vanish into a pixel, so idle gaps longer
than ``MIN_BREAK_S`` become a fixed-width break (the chart labels it with its length).
A **landmark** (the moment a cached result's TTL ends) gets a narrow drawn stretch of its
own, so a window's end is seen between the calls it separates instead of inside a break.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kiwoom_lab.timeline import Event

BREAK_W = 44
PAD_S = 0.3
#: Half the drawn stretch around a landmark: enough for its tick, little of the chart's width.
LANDMARK_PAD_S = 0.05
MIN_BREAK_S = 3.0


@dataclass(frozen=True, slots=True)
class _Segment:
    start: float
    end: float
    x0: float
    x1: float
    gap: bool


class TimeAxis:
    """Piecewise-linear time → x, with long idle gaps collapsed to a fixed-width break."""

    def __init__(self, events: Iterable[Event], left: float, right: float, *, landmarks: Iterable[float] = ()) -> None:
        spans = [(max(0.0, e.t - PAD_S), e.t + e.duration_s + PAD_S) for e in events]
        spans += [(max(0.0, t - LANDMARK_PAD_S), t + LANDMARK_PAD_S) for t in landmarks]
        spans = sorted(spans) or [(0.0, 1.0)]
        clusters: list[list[float]] = [list(spans[0])]
        for start, end in spans[1:]:
            if start - clusters[-1][1] <= MIN_BREAK_S:
                clusters[-1][1] = max(clusters[-1][1], end)
            else:
                clusters.append([start, end])
        clusters[-1][1] += 0.04 * sum(end - start for start, end in clusters)  # room for the last state
        busy = sum(end - start for start, end in clusters)
        gaps = len(clusters) - 1
        scale = (right - left - gaps * BREAK_W) / busy
        self.segments: list[_Segment] = []
        x = left
        for index, (start, end) in enumerate(clusters):
            if index:
                previous = clusters[index - 1][1]
                self.segments.append(_Segment(previous, start, x, x + BREAK_W, True))
                x += BREAK_W
            width = (end - start) * scale
            self.segments.append(_Segment(start, end, x, x + width, False))
            x += width

    def x(self, t: float) -> float:
        for seg in self.segments:
            if t <= seg.end:
                if t <= seg.start:
                    return seg.x0
                return seg.x0 + (seg.x1 - seg.x0) * (t - seg.start) / (seg.end - seg.start)
        return self.segments[-1].x1

    def ticks(self) -> list[tuple[float, float]]:
        """(t, x) at round numbers, about one per 90 px, inside the drawn (not collapsed) stretches."""
        out: list[tuple[float, float]] = []
        for seg in self.segments:
            if seg.gap:
                continue
            per_px = (seg.end - seg.start) / max(seg.x1 - seg.x0, 1.0)
            step = _nice(per_px * 90)
            t = (int(seg.start / step) + 1) * step
            while t < seg.end:
                out.append((t, self.x(t)))
                t += step
        return out


def _nice(raw: float) -> float:
    for step in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000):
        if step >= raw:
            return float(step)
    return 10000.0
