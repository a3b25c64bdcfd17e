"""Zoomed insets: a magnified strip for every place where marks of one lane pile onto a few pixels.

A token issue, an 8005, a second token and the 200 within 2 ms, or three calls the open
breaker answers at one instant of a virtual clock, share a pixel of the main chart. No
label placement can make that legible, so each such **cluster** (marks of one lane whose
starts lie within ``DENSE_PX`` of each other; windows of different lanes that touch are one
cluster) is drawn again below the chart, numbered ("zoom 1") at both ends, with every event
of its time window, its own lanes and its own axis.

The inset's axis is time magnified, with one rule on top: in a lane, a mark starts no
sooner than the previous mark's label ends, and no mark starts left of an earlier event
in any lane. Events that share an instant (a virtual clock) are so spread in the order
they happened, and the axis says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from kiwoom_lab.chart_labels import LabelPlacer, Wish
from kiwoom_lab.chart_marks import SHORT, Item, Lanes, Painter, assign_rows, draw_items, label_of, span_kind
from kiwoom_lab.chart_style import StylesUsed
from kiwoom_lab.chart_svg import Box, Text, el, text_width

#: Marks of one lane closer than this (their starts, in px) are a cluster.
DENSE_PX = 10.0
#: Crowded windows closer than this (px) share one inset.
MERGE_PX = 30.0
#: Least room between two marks of one lane in an inset; more when the first has a label.
MIN_STEP = 14.0
NAME_W = 62.0
TITLE_H = 20.0
AXIS_H = 26.0
MARGIN = 20.0
GAP = 16.0
HIGHLIGHT = "#e9edf7"
#: Least width of an inset's strip, room for its axis note.
MIN_W = 190.0


@dataclass(frozen=True, slots=True)
class Cluster:
    """A time window of the run whose marks crowd the main chart: drawn again, magnified."""

    number: int
    start: float
    end: float
    #: The window's place on the main chart.
    x0: float
    x1: float
    #: Every mark whose event falls in the window, in causal order.
    items: tuple[Item, ...]


def _in_rows(item: Item, lanes: Lanes) -> bool:
    """A span in a lane of rows (a concurrent burst): its own row keeps it apart already."""
    return span_kind(item.first) and lanes.rows.get(item.lane, 1) > 1


def _crowded(items: Sequence[Item], lanes: Lanes) -> list[list[float]]:
    """``[x0, x1, t0, t1]`` of each run of marks in one lane that start within ``DENSE_PX`` of each other."""
    by_lane: dict[int, list[Item]] = {}
    for item in items:
        if item.first.kind == "response":  # an answer's ring sits under its request by design
            continue
        if _in_rows(item, lanes):
            continue
        by_lane.setdefault(item.lane, []).append(item)
    runs: list[list[float]] = []
    for members in by_lane.values():
        members.sort(key=lambda item: item.x0)
        chains = [[members[0]]]
        for item in members[1:]:
            if item.x0 - chains[-1][-1].x0 < DENSE_PX:
                chains[-1].append(item)
            else:
                chains.append([item])
        for chain in (c for c in chains if len(c) > 1):
            times = [m.first.t for m in chain]
            runs.append([chain[0].x0, chain[-1].x0, min(times), max(times)])
    return runs


def find_clusters(items: Sequence[Item], lanes: Lanes) -> list[Cluster]:
    """The crowded windows of the main chart, numbered left to right; neighbours close together are one."""
    merged: list[list[float]] = []
    for run in sorted(_crowded(items, lanes)):
        if merged and run[0] <= merged[-1][1] + MERGE_PX:
            merged[-1][1] = max(merged[-1][1], run[1])
        else:
            merged.append(run[:2])
    clusters = []
    for number, (x0, x1) in enumerate(merged, 1):
        members = tuple(item for item in items if x0 - 1 <= item.x0 <= x1 + 1 and not _in_rows(item, lanes))
        times = [item.first.t for item in members]
        clusters.append(Cluster(number, min(times), max(times), x0, x1, members))
    return clusters


def _spread(cluster: Cluster, *, name_trs: bool) -> tuple[list[Item], float]:
    """The cluster's items at inset x (from 0), and the width they need with their labels."""
    members = cluster.items
    span = cluster.end - cluster.start
    instants = len({round(item.first.t, 6) for item in members})
    scale = min(max(40.0 * instants, 120.0), 420.0) / span if span > 0 else 0.0
    shift, last_any, out = 0.0, 0.0, []
    free_from: dict[int, float] = {}
    right = 0.0
    for item in members:
        base = (item.first.t - cluster.start) * scale
        x = max(base + shift, last_any, free_from.get(item.lane, 0.0))
        shift = x - base
        width = text_width(label_of(item, compact=True, name_trs=name_trs), 9) if item.first.kind != "response" else 0.0
        end = item.first.t + item.first.duration_s
        x1 = (end - cluster.start) * scale + shift if end <= cluster.end else math.inf  # runs on past the window
        x1 = max(x1, x + 6.0) if span_kind(item.first) else max(x1, x)
        label_from = x1 if item.first.kind == "call" and x1 < math.inf else x  # a call's label follows its bar
        free_from[item.lane] = max(x + MIN_STEP, label_from + width + 10)
        last_any = x
        right = max(right, x + width + 14)
        out.append(Item(item.events, item.lane, x, x1, item.row))
    return out, max(right, MIN_W)


def _offset(items: Sequence[Item], dx: float, limit: float) -> list[Item]:
    """Items moved right by ``dx``, spans cut at ``limit`` (the inset's right edge)."""
    return [Item(i.events, i.lane, i.x0 + dx, min(i.x1 + dx, limit), i.row) for i in items]


def _shrink(items: Sequence[Item], width: float, room: float) -> tuple[list[Item], float]:
    """An inset wider than the page, squeezed to fit (labels that no longer fit go to the tooltip)."""
    if width <= room:
        return list(items), width
    k = room / width
    return [Item(i.events, i.lane, i.x0 * k, i.x1 * k if i.x1 < math.inf else i.x1, i.row) for i in items], room


class InsetDrawer:
    """Draws the insets of one chart below it, flowing left to right, a new row when the page is full."""

    def __init__(self, page_width: float, placer: LabelPlacer, used: StylesUsed, *, name_trs: bool = False) -> None:
        self.page_width, self.placer, self.used, self.name_trs = page_width, placer, used, name_trs
        self.frame: list[str] = []
        self.marks: list[str] = []
        self.labels: list[str] = []

    def markers(self, clusters: Sequence[Cluster], chart_top: float, axis_y: float) -> None:
        """On the main chart: a pale band over each crowded window, and its number under the axis."""
        for cluster in clusters:
            x0, x1 = cluster.x0 - 4, cluster.x1 + 4
            band = el("rect", x=x0, y=chart_top, width=x1 - x0, height=axis_y - chart_top, fill=HIGHLIGHT)
            middle = (x0 + x1) / 2
            spots = [(middle, axis_y + 26 + 11 * k, "middle") for k in range(3)]
            label = self.placer.place(Wish(f"zoom {cluster.number}", spots, 9, "#3a4a7a", bold=True))
            self.frame.append(band + (label.svg() if label is not None else ""))

    def draw(self, clusters: Sequence[Cluster], top: float) -> float:
        """Every inset from ``top`` down; returns the y below the last one."""
        x, y, row_bottom = MARGIN, top, top
        for cluster in clusters:
            spread, width = _spread(cluster, name_trs=self.name_trs)
            spread, width = _shrink(spread, width, self.page_width - 2 * MARGIN - NAME_W - 8)
            box_w = NAME_W + width + 8
            if x > MARGIN and x + box_w > self.page_width - MARGIN:
                x, y = MARGIN, row_bottom + GAP
            bottom = self._inset(cluster, spread, x, y, box_w)
            row_bottom = max(row_bottom, bottom)
            x += box_w + GAP
        return row_bottom

    def _inset(self, cluster: Cluster, spread: list[Item], left: float, top: float, box_w: float) -> float:
        items = assign_rows(_offset(spread, left + NAME_W, left + box_w - 4))
        shown = tuple(sorted({item.lane for item in items}))
        lanes = Lanes.of(items, top + TITLE_H, shown)
        box = Box(left, top, left + box_w, lanes.bottom + AXIS_H)
        frame = [el("rect", x=left, y=top, width=box_w, height=box.y1 - top, fill="#ffffff", stroke="#aab3c5")]
        span = (
            f"t+{cluster.start:.3f} s" if cluster.end == cluster.start else f"t+{cluster.start:.3f}–{cluster.end:.3f} s"
        )
        frame.append(
            self.placer.fixed(Text(left + 6, top + 14, f"zoom {cluster.number} · {span}", 10, "#3a4a7a", bold=True))
        )
        for index, lane in enumerate(shown):
            lane_top = lanes.lane_top(lane)
            fill = "#f7f8fa" if index % 2 == 0 else "#ffffff"
            frame.append(
                el("rect", x=left + NAME_W, y=lane_top, width=box_w - NAME_W - 4, height=lanes.height(lane), fill=fill)
            )
            name = Text(left + NAME_W - 5, lanes.tiers(lane)[1], SHORT[lane], 9, "#555", "end")
            frame.append(self.placer.fixed(name))
        self.frame += frame + self._axis(cluster, items, lanes.bottom, left + NAME_W, box.x1 - 4)
        painter = Painter(lanes, self.used, compact=True, name_trs=self.name_trs)
        marks, labels = draw_items(items, painter, self.placer, within=box)
        self.marks += marks
        self.labels += labels
        return box.y1

    def _axis(self, cluster: Cluster, items: Sequence[Item], y: float, x0: float, x1: float) -> list[str]:
        """The inset's own time axis: a tick at each distinct instant, in ms after the window's start."""
        out = [el("line", x1=x0, x2=x1, y1=y, y2=y, stroke="#888")]
        if cluster.start == cluster.end:
            out.append(self.placer.fixed(Text(x0, y + 13, "one instant: in the order it happened →", 8, "#666")))
            return out
        done: set[str] = set()
        for item in items:
            offset_ms = (item.first.t - cluster.start) * 1000
            shown = f"+{offset_ms:.1f}" if offset_ms < 10 else f"+{offset_ms:.0f}"
            if shown in done:
                continue
            done.add(shown)
            out.append(el("line", x1=item.x0, x2=item.x0, y1=y, y2=y + 3, stroke="#888"))
            out.append(self.placer.fixed(Text(item.x0, y + 12, shown, 8, "#666", "middle")))
        out.append(self.placer.fixed(Text(x0, y + 22, f"ms after t+{cluster.start:.3f} s (magnified)", 8, "#888")))
        return out
